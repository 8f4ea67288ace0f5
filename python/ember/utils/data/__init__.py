"""Datasets and the DataLoader, named as in ``torch.utils.data``.

>>> from ember.utils.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True,
...                     generator=ember.Generator().manual_seed(0))
>>> for xb, yb in loader: ...

``num_workers=N`` loads in N worker processes (docs/data_loading.md: seeding, shared memory, failures,
and how to size threads).
"""
from .dataloader import DataLoader, default_collate
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .distributed import DistributedSampler
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "Subset",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "get_worker_info",
    "random_split",
]


def __getattr__(name: str):
    """``get_worker_info`` and ``WorkerInfo`` on first use: ``import ember`` stays free of the worker code."""
    if name in ("get_worker_info", "WorkerInfo"):
        from . import _worker

        return getattr(_worker, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
