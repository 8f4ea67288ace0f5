"""The demo's Fashion-MNIST CNN trained data-parallel on N processes with DistributedDataParallel over MPI.

    python examples/ddp/train.py [--epochs 2] [--batch 128]               # one process
    mpirun -n 2 python examples/ddp/train.py [--epochs 2] [--batch 128]   # two ranks, same global batch
    mpirun -n 4 --hostfile hosts python examples/ddp/train.py             # several machines (docs/distributed.md)

(As root, OpenMPI also wants OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1.)

Every rank reads the same files and takes its shard of each global batch through DistributedSampler: with
the same seed, rank r's k-th batch holds the positions k*B + r, k*B + r + N, ... of the epoch's order, so
the N shards of a step together are exactly the one-process run's batch, and DDP averages their gradients
into that batch's gradient. The runs differ only where a layer looks at its shard alone: BatchNorm's
batch statistics (as in PyTorch, without SyncBatchNorm), so the accuracies agree closely, not bitwise.
Rank 0 evaluates, prints and writes the checkpoint; the others wait for it at a barrier.
"""
from __future__ import annotations

import argparse
import runpy
import time
from pathlib import Path

import ember
import ember.distributed as dist
from ember.nn.parallel import DistributedDataParallel
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset

DEMO = runpy.run_path(str(Path(__file__).resolve().parents[1] / "demo.py"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=128, help="the global batch, split over the ranks")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--limit", type=int, default=0, help="train on the first N images only")
    p.add_argument("--root", default=None, help="folder of the IDX files (default: Debian's package)")
    p.add_argument("--out", default="build/ddp", help="where rank 0 writes the checkpoint")
    args = p.parse_args()

    dist.init_process_group("mpi")  # rank and world size from mpirun; one process without it
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} must be a multiple of the {world} ranks")
    data = DEMO["fashion_mnist"](args.root)
    x, y = data["x_train"], data["y_train"]
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    train = TensorDataset(x, y)
    sampler = DistributedSampler(train, shuffle=True, seed=0, drop_last=True)
    loader = DataLoader(train, batch_size=args.batch // world, sampler=sampler)

    ember.manual_seed(0)  # the same initial weights everywhere (DDP also broadcasts rank 0's)
    model = DistributedDataParallel(DEMO["make_model"](28))
    optimizer = ember.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = ember.nn.CrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        model.train()
        start = time.perf_counter()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()  # gradients averaged over the ranks while backward runs
            optimizer.step()
        seconds = time.perf_counter() - start
        if rank == 0:
            _, accuracy, _ = DEMO["evaluate"](model.module, data["x_test"], data["y_test"])
            print(f"epoch {epoch}/{args.epochs} on {world} rank(s): last loss {loss.item():.4f}, "
                  f"test accuracy {accuracy:.2%}, {seconds:.1f} s", flush=True)
    if rank == 0:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        ember.save({"model": model.module.state_dict(), "epoch": args.epochs}, Path(args.out) / "fashion_ddp.safetensors")
    dist.barrier()  # the others leave once the checkpoint is complete
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
