"""ember.distributed.all_reduce (float32, SUM, in place) of 1, 16 and 64 MB, timed as allreduce_bare.c times
a bare MPI_Allreduce on the same buffers: median of `iters` calls, each after a barrier.

    mpirun -n 2 python bench/distributed/bench_allreduce.py [iters]
"""
import sys
import time

import ember
import ember.distributed as dist

dist.init_process_group("mpi")
iters = int(sys.argv[1]) if len(sys.argv) > 1 else 20
for mb in (1, 16, 64):
    x = ember.ones((mb * (1 << 20) // 4,), dtype=ember.float32)
    for _ in range(3):
        dist.all_reduce(x)
    times = []
    for _ in range(iters):
        dist.barrier()
        t0 = time.perf_counter()
        dist.all_reduce(x)
        times.append(time.perf_counter() - t0)
    t = sorted(times)[iters // 2]
    if dist.get_rank() == 0:
        print(f"ember {mb:3d} MB  {t * 1e3:8.3f} ms  {mb / 1024 / t:6.2f} GB/s", flush=True)
dist.destroy_process_group()
