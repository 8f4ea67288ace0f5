"""ember.transforms against torchvision's semantics: the math of ToTensor / Normalize / padding checked
with NumPy and PyTorch, the random crop and flip checked for their shapes, values and seeding."""
import numpy as np
import pytest

import ember
from ember import transforms as T
from ember.utils.data import DataLoader, Dataset


def image(h=5, w=7, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)


def test_to_tensor():
    a = image()
    for pic in (a, ember.from_numpy(a)):
        t = T.ToTensor()(pic)
        assert t.dtype == ember.float32 and tuple(t.shape) == (1, 5, 7)
        np.testing.assert_allclose(t.numpy()[0], a / 255.0, rtol=1e-6)
    rgb = np.random.default_rng(1).integers(0, 256, (4, 3, 3), dtype=np.uint8)
    np.testing.assert_allclose(T.ToTensor()(rgb).numpy(), rgb.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    f = np.random.default_rng(2).random((4, 3, 2)).astype(np.float32)  # floats are not rescaled
    np.testing.assert_allclose(T.ToTensor()(f).numpy(), f.transpose(2, 0, 1))
    with pytest.raises(ValueError, match=r"\[ToTensor\]"):
        T.ToTensor()(np.zeros(3, np.uint8))


def test_normalize_matches_torch(torch):
    x = np.random.default_rng(0).random((2, 3, 4, 5)).astype(np.float32)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    got = T.Normalize(mean, std)(ember.from_numpy(x)).numpy()
    tx = torch.from_numpy(x)
    want = (tx - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)
    one = T.Normalize((0.5,), (0.25,))(ember.from_numpy(x[0, :1])).numpy()
    np.testing.assert_allclose(one, (x[0, :1] - 0.5) / 0.25, rtol=1e-6)
    t = ember.from_numpy(x[0].copy())
    assert T.Normalize(mean, std, inplace=True)(t) is t
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize((0.0,), (0.0,))
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize((0.0,), (1.0,))(ember.zeros(1, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match="channels"):
        T.Normalize((0.0, 0.0), (1.0, 1.0))(ember.zeros(3, 2, 2))


@pytest.mark.parametrize("mode,np_mode", [("edge", "edge"), ("reflect", "reflect"), ("symmetric", "symmetric")])
@pytest.mark.parametrize("padding", [1, (2, 1), (1, 2, 3, 4)])
def test_padding_modes_match_numpy_and_torch(mode, np_mode, padding, torch):
    a = image()
    left, top, right, bottom = T._padding(padding)
    want = np.pad(a, ((top, bottom), (left, right)), mode=np_mode)
    got = T.pad(ember.from_numpy(a), padding, padding_mode=mode)
    assert got.dtype == ember.uint8
    np.testing.assert_array_equal(got.numpy(), want)
    if mode in ("edge", "reflect"):  # torchvision's tensor padding is torch's replicate / reflect
        tmode = {"edge": "replicate", "reflect": "reflect"}[mode]
        tp = torch.nn.functional.pad(torch.from_numpy(a).double()[None], (left, right, top, bottom), mode=tmode)
        np.testing.assert_array_equal(got.numpy(), tp[0].numpy())


def test_random_crop_with_constant_padding():
    a = ember.from_numpy(image(28, 28))
    crop = T.RandomCrop(28, padding=4, fill=255)
    padded = T.pad(a, 4, fill=255)
    assert tuple(padded.shape) == (36, 36) and padded[0].tolist() == [255] * 36
    offsets = set()
    ember.manual_seed(0)
    for _ in range(300):
        out = crop(a)
        assert tuple(out.shape) == (28, 28) and out.dtype == ember.uint8
        hits = [(i, j) for i in range(9) for j in range(9) if (padded[i:i + 28, j:j + 28] == out).all().item()]
        assert hits
        offsets.update(hits)
    assert len(offsets) > 60  # offsets cover the 9 x 9 range
    ember.manual_seed(5)
    first = [crop(a).tolist() for _ in range(5)]
    ember.manual_seed(5)
    assert [crop(a).tolist() for _ in range(5)] == first
    chw = T.RandomCrop((20, 24))(ember.rand(3, 28, 28))
    assert tuple(chw.shape) == (3, 20, 24)


def test_random_crop_pad_if_needed_and_errors():
    small = ember.ones(2, 10, 6)
    out = T.RandomCrop((12, 8), pad_if_needed=True, fill=-1.0)(small)
    assert tuple(out.shape) == (2, 12, 8)
    assert out.sum().item() == 2 * (60 - (96 - 60))  # 60 ones, 36 fills of -1 per channel
    assert tuple(T.RandomCrop(10)(ember.ones(10, 10)).shape) == (10, 10)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(12)(ember.ones(10, 10))
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(4, padding_mode="wrap")
    with pytest.raises(ValueError, match="padding"):
        T.RandomCrop(4, padding=(1, 2, 3))
    with pytest.raises(TypeError, match="ToTensor"):
        T.RandomCrop(4)(np.zeros((5, 5)))


def test_random_horizontal_flip():
    x = ember.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x).numpy(), x.numpy()[..., ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(x) is x
    ember.manual_seed(1)
    flips = [T.RandomHorizontalFlip()(x) is not x for _ in range(400)]
    assert 150 < sum(flips) < 250
    ember.manual_seed(1)
    assert [T.RandomHorizontalFlip()(x) is not x for _ in range(400)] == flips


def test_compose_lambda_and_a_seeded_pipeline_in_workers():
    pipeline = T.Compose([T.ToTensor(), T.RandomCrop(28, padding=2), T.RandomHorizontalFlip(),
                          T.Lambda(lambda t: t * 2), T.Normalize((0.5,), (0.5,))])
    assert "RandomCrop" in repr(pipeline)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
    images = np.random.default_rng(0).integers(0, 256, (16, 28, 28), dtype=np.uint8)

    class Images(Dataset):
        def __len__(self):
            return 16

        def __getitem__(self, i):
            return pipeline(images[i]), i

    def epoch(workers):
        g = ember.Generator().manual_seed(11)
        kw = {"num_workers": workers} if workers else {}
        return [(x.numpy().copy(), y.tolist()) for x, y in DataLoader(Images(), batch_size=4, shuffle=True,
                                                                       generator=g, **kw)]
    a, b = epoch(2), epoch(2)
    assert all((xa == xb).all() and ya == yb for (xa, ya), (xb, yb) in zip(a, b))
    assert a[0][0].shape == (4, 1, 28, 28) and a[0][0].dtype == np.float32
    ember.manual_seed(0)
    c = epoch(0)
    assert sorted(sum((y for _, y in c), [])) == list(range(16))
