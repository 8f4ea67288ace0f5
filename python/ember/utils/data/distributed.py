"""DistributedSampler: each rank of a distributed job reads its own shard of the dataset, as in
``torch.utils.data.distributed``."""
from __future__ import annotations

import math
from typing import Iterator

import ember

from .sampler import Sampler


class DistributedSampler(Sampler):
    """The indices of rank ``rank`` among ``num_replicas`` (default: the process group's rank and world size).

    Every rank draws the same permutation (seeded with ``seed + epoch``: call ``set_epoch(epoch)`` before each
    epoch so that the order changes), then takes every ``num_replicas``-th index starting at its rank. All ranks
    get the same number of indices: without ``drop_last`` the list is padded by repeating its first indices,
    with ``drop_last`` the tail that does not divide evenly is dropped. The split is torch's, index for index,
    given the same permutation (ember's generator draws a different one than torch's for the same seed)."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            import ember.distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("[DistributedSampler] num_replicas and rank default to the process group's, "
                                   "which is not initialized: call ember.distributed.init_process_group() or pass them")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"[DistributedSampler] num_replicas must be positive, got {num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"[DistributedSampler] invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.seed = seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def _permutation(self, n: int) -> list[int]:
        g = ember.Generator().manual_seed(self.seed + self.epoch)
        return ember.randperm(n, generator=g).tolist()

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        indices = self._permutation(n) if self.shuffle else list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[: self.total_size]
        assert len(indices) == self.total_size
        return iter(indices[self.rank: self.total_size: self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose permutation the next pass draws (the same on every rank)."""
        self.epoch = epoch
