"""ember.distributed.all_reduce (float32, SUM, in place) of 1, 16 and 64 MB beside a bare MPI_Allreduce on
the same buffer in the same processes (OpenMPI's C function called through ctypes, so that the load of a
shared machine hits both alike): calls alternate, each after a barrier; medians (and minima: the least
disturbed call, the fairer number on a loaded machine) of `iters` calls.
allreduce_bare.c is the same bare loop as a C program.

    mpirun -n 2 python bench/distributed/bench_allreduce.py [iters]
"""
import ctypes
import statistics
import sys
import time

import ember
import ember.distributed as dist

dist.init_process_group("mpi")
iters = int(sys.argv[1]) if len(sys.argv) > 1 else 20

# OpenMPI's handles are the addresses of its predefined objects; MPI_IN_PLACE is (void*)1.
libmpi = ctypes.CDLL("libmpi.so.40", mode=ctypes.RTLD_GLOBAL)
handle = lambda name: ctypes.c_void_p(ctypes.addressof(ctypes.c_char.in_dll(libmpi, name)))  # noqa: E731
COMM, FLOAT, SUM = handle("ompi_mpi_comm_world"), handle("ompi_mpi_float"), handle("ompi_mpi_op_sum")
libmpi.MPI_Allreduce.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int] + [ctypes.c_void_p] * 3


def bare(x):
    rc = libmpi.MPI_Allreduce(ctypes.c_void_p(1), ctypes.c_void_p(x.data_ptr()), x.numel(), FLOAT, SUM, COMM)
    assert rc == 0


if dist.get_rank() == 0:
    print(f"{'MB':>4} {'bare ms':>9} {'ember ms':>9} {'bare GB/s':>10} {'ember GB/s':>11} {'ember/bare bw':>14}"
          f" {'min: bare ms':>13} {'ember ms':>9} {'ember/bare bw':>14}")
for mb in (1, 16, 64):
    x = ember.zeros((mb * (1 << 20) // 4,), dtype=ember.float32)
    for _ in range(3):
        dist.all_reduce(x)
        bare(x)
    t_ember, t_bare = [], []
    for _ in range(iters):
        for f, ts in ((dist.all_reduce, t_ember), (bare, t_bare)):
            dist.barrier()
            t0 = time.perf_counter()
            f(x)
            ts.append(time.perf_counter() - t0)
    e, b = statistics.median(t_ember), statistics.median(t_bare)
    emin, bmin = min(t_ember), min(t_bare)
    if dist.get_rank() == 0:
        print(f"{mb:4d} {b * 1e3:9.3f} {e * 1e3:9.3f} {mb / 1024 / b:10.2f} {mb / 1024 / e:11.2f} {b / e:13.0%}"
              f" {bmin * 1e3:13.3f} {emin * 1e3:9.3f} {bmin / emin:13.0%}", flush=True)
dist.destroy_process_group()
