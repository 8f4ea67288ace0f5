"""ember.utils.data: TensorDataset, DataLoader (batching, seeded shuffling, drop_last, collate), random_split."""
import numpy as np
import pytest

import ember
from ember.utils.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, default_collate,
                              random_split)


def dataset(n=10):
    x = ember.arange(n * 2, dtype=ember.float32).reshape(n, 2)
    y = ember.arange(n)
    return TensorDataset(x, y)


def seen(loader):
    return [int(v) for _, yb in loader for v in yb.tolist()]


def test_tensor_dataset_indexes_together():
    ds = dataset()
    assert len(ds) == 10
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    with pytest.raises(ValueError, match=r"\[TensorDataset\] size mismatch.*\(5,\)"):
        TensorDataset(ember.zeros(4, 2), ember.zeros(5))
    with pytest.raises(TypeError, match="not an ember.Tensor"):
        TensorDataset(np.zeros(3))


@pytest.mark.parametrize("batch_size,drop_last,sizes", [(3, False, [3, 3, 3, 1]), (3, True, [3, 3, 3]),
                                                        (10, False, [10]), (16, False, [10]), (16, True, [])])
def test_batches_in_order(batch_size, drop_last, sizes):
    loader = DataLoader(dataset(), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(sizes)
    batches = list(loader)
    assert [len(yb) for _, yb in batches] == sizes
    assert seen(loader) == list(range(sum(sizes)))
    for xb, yb in batches:
        assert xb.shape == (len(yb), 2) and xb.dtype == ember.float32 and yb.dtype == ember.int64
        np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy() * 2)


def test_shuffle_is_seeded_and_new_each_epoch():
    loader = DataLoader(dataset(50), batch_size=8, shuffle=True, generator=ember.Generator().manual_seed(3))
    first, second = seen(loader), seen(loader)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != second and first != list(range(50))
    again = DataLoader(dataset(50), batch_size=8, shuffle=True, generator=ember.Generator().manual_seed(3))
    assert seen(again) == first


class Squares(Dataset):
    """A Python dataset whose samples are (tensor, int, dict)."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return ember.full((2,), float(i)), i * i, {"id": i, "w": 0.5}


def test_default_collate_of_python_samples():
    x, y, d = next(iter(DataLoader(Squares(), batch_size=3)))
    assert x.shape == (3, 2) and x.tolist() == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
    assert y.dtype == ember.int64 and y.tolist() == [0, 1, 4]
    assert d["id"].tolist() == [0, 1, 2] and d["w"].dtype == ember.float32
    with pytest.raises(TypeError, match=r"\[default_collate\] cannot batch samples of type object"):
        default_collate([object(), object()])


def test_custom_collate_and_batch_size_none():
    loader = DataLoader(Squares(), batch_size=2, collate_fn=lambda samples: [s[1] for s in samples])
    assert list(loader) == [[0, 1], [4, 9], [16]]
    assert [s[1] for s in DataLoader(Squares(), batch_size=None)] == [0, 1, 4, 9, 16]


def test_random_split():
    ds = dataset(10)
    a, b = random_split(ds, [7, 3], generator=ember.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3 and isinstance(a, Subset)
    ids = sorted(int(a[i][1].item()) for i in range(7)) + sorted(int(b[i][1].item()) for i in range(3))
    assert sorted(ids) == list(range(10))
    c, d = random_split(ds, [0.75, 0.25], generator=ember.Generator().manual_seed(0))
    assert (len(c), len(d)) == (8, 2)  # 7.5 and 2.5 floored, the remainder to the first
    with pytest.raises(ValueError, match=r"\[random_split\] sum of input lengths 9 does not equal.*10"):
        random_split(ds, [5, 4])
    # a Subset of a TensorDataset is batched by indexing too, and keeps its indices
    loader = DataLoader(a, batch_size=4)
    assert sorted(seen(loader)) == sorted(int(a[i][1].item()) for i in range(7))


def test_concat_dataset_and_errors():
    both = dataset(3) + dataset(2)
    assert isinstance(both, ConcatDataset) and len(both) == 5
    assert [int(both[i][1].item()) for i in range(5)] == [0, 1, 2, 0, 1]
    with pytest.raises(IndexError):
        both[5]
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(dataset(), batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(dataset(), shuffle=True, sampler=iter([]))
    with pytest.raises(ValueError, match="prefetch_factor"):  # workers: tests/python/test_dataloader_workers.py
        DataLoader(dataset(), prefetch_factor=2)


def test_randperm():
    p = ember.randperm(100, generator=ember.Generator().manual_seed(1))
    assert p.dtype == ember.int64 and sorted(p.tolist()) == list(range(100))
    assert p.tolist() == ember.randperm(100, generator=ember.Generator().manual_seed(1)).tolist()
    assert ember.randperm(0).shape == (0,)
    assert ember.randperm(5, dtype=ember.int32).dtype == ember.int32
    with pytest.raises(ValueError, match=r"\[randperm\] n must be non-negative"):
        ember.randperm(-1)


def test_abstract_bases_name_what_is_missing():
    from ember.utils.data import Sampler

    class NoItems(Dataset):
        def __len__(self):
            return 0

    with pytest.raises(TypeError, match="__getitem__"):
        NoItems()
    with pytest.raises(TypeError, match="__iter__"):
        Sampler()
    with pytest.raises(TypeError, match="step"):
        ember.optim.Optimizer([ember.zeros(2, requires_grad=True)], {"lr": 0.1})
    with pytest.raises(TypeError, match="get_lr"):
        ember.optim.lr_scheduler.LRScheduler(ember.optim.SGD([ember.zeros(2, requires_grad=True)], lr=0.1))
