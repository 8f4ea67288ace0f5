"""ember.datasets: Fashion-MNIST from Debian's package and MNIST-format files, against an independent reading
(numpy + gzip) of the same bytes; transforms; the errors for missing, corrupt and truncated files."""
from __future__ import annotations

import gzip
import pickle
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.datasets import MNIST, FashionMNIST

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
needs_debian = pytest.mark.skipif(not (DEBIAN / "t10k-images-idx3-ubyte.gz").exists(),
                                  reason="apt install dataset-fashion-mnist")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx_numpy(path: Path) -> np.ndarray:
    """The reference reader: struct for the big-endian header, numpy for the payload."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and dtype == 0x08
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def idx_file(array: np.ndarray, type_code: int = 0x08) -> bytes:
    return struct.pack(f">HBB{array.ndim}I", 0, type_code, array.ndim, *array.shape) + array.tobytes()


def write_split(folder: Path, images: np.ndarray, labels: np.ndarray, split: str = "train", gz: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
        data = idx_file(array)
        name = f"{split}-{kind}-ubyte"
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


@pytest.fixture(scope="module")
def fashion_test():
    return FashionMNIST(train=False)


@needs_debian
def test_fashion_mnist_matches_an_independent_reading(fashion_test):
    ds = fashion_test
    assert len(ds) == 10000
    assert ds.data.shape == (10000, 28, 28) and ds.data.dtype == ember.uint8
    assert ds.targets.shape == (10000,) and ds.targets.dtype == ember.int64
    images = read_idx_numpy(DEBIAN / "t10k-images-idx3-ubyte.gz")
    labels = read_idx_numpy(DEBIAN / "t10k-labels-idx1-ubyte.gz")
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels.astype(np.int64))
    assert np.bincount(labels).tolist() == [1000] * 10
    assert ds.classes == FASHION_CLASSES
    assert ds.class_to_idx["Ankle boot"] == 9
    assert ds.root == str(DEBIAN) and ds.train is False
    for i in (0, 1, 4321, 9999, -1):
        img, target = ds[i]
        assert isinstance(img, ember.Tensor) and img.dtype == ember.uint8 and img.shape == (28, 28)
        assert type(target) is int and target == int(labels[i])
        np.testing.assert_array_equal(img.numpy(), images[i])
    with pytest.raises(IndexError):
        ds[10000]
    assert "Number of datapoints: 10000" in repr(ds) and "Split: Test" in repr(ds)


@needs_debian
def test_fashion_mnist_train_split():
    ds = FashionMNIST()
    assert ds.data.shape == (60000, 28, 28) and len(ds) == 60000 and ds.train
    labels = read_idx_numpy(DEBIAN / "train-labels-idx1-ubyte.gz")
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    images = read_idx_numpy(DEBIAN / "train-images-idx3-ubyte.gz")
    for i in (0, 12345, 59999):
        np.testing.assert_array_equal(ds.data[i].numpy(), images[i])


@needs_debian
def test_transform_and_target_transform(fashion_test):
    ds = FashionMNIST(train=False, transform=lambda x: x.float() / 255.0, target_transform=lambda y: ("label", y))
    img, target = ds[3]
    assert img.dtype == ember.float32 and img.shape == (28, 28)
    np.testing.assert_allclose(img.numpy(), fashion_test.data[3].numpy() / np.float32(255.0), rtol=1e-6)
    assert target == ("label", int(fashion_test.targets[3]))
    assert "Transform:" in repr(ds)


@needs_debian
def test_download_true_reads_installed_files():
    assert len(FashionMNIST(train=False, download=True)) == 10000


def test_mnist_from_a_root_in_all_layouts(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    plain, gz, raw = tmp_path / "plain", tmp_path / "gz", tmp_path / "torchvision"
    write_split(plain, images, labels)
    write_split(gz, images, labels, gz=True)
    write_split(raw / "MNIST" / "raw", images, labels, split="t10k", gz=True)
    for root, train in ((plain, True), (str(gz), True), (raw, False)):
        ds = MNIST(root, train=train)
        np.testing.assert_array_equal(ds.data.numpy(), images)
        assert ds.targets.tolist() == [3, 1, 4, 1, 5]
        assert ds[2][1] == 4
    assert ds.classes[0] == "0 - zero" and len(ds.classes) == 10
    # Picklable, as DataLoader workers that spawn need.
    again = pickle.loads(pickle.dumps(MNIST(plain, transform=abs)))
    np.testing.assert_array_equal(again.data.numpy(), images)
    assert again.targets.dtype == ember.int64 and again[4][1] == 5 and again.transform is abs


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"\[MNIST\] no train-images-idx3-ubyte") as e:
        MNIST(tmp_path)
    assert str(tmp_path) in str(e.value) and "put the dataset's IDX files" in str(e.value)
    with pytest.raises(FileNotFoundError, match="ember never downloads datasets"):
        MNIST(tmp_path, download=True)
    with pytest.raises(FileNotFoundError, match="apt install dataset-fashion-mnist") as e:
        ember._core._read_idx(str(DEBIAN / "no-such-file-idx3-ubyte.gz"))
    assert e.value.filename == str(DEBIAN / "no-such-file-idx3-ubyte.gz")
    with pytest.raises(ValueError, match="root is required"):
        MNIST(None)


def test_corrupt_and_truncated_files(tmp_path):
    images = np.arange(3 * 4 * 4, dtype=np.uint8).reshape(3, 4, 4)
    labels = np.array([0, 1, 2], dtype=np.uint8)
    write_split(tmp_path, images, labels, gz=True)
    lab = tmp_path / "train-labels-idx1-ubyte.gz"
    img = tmp_path / "train-images-idx3-ubyte.gz"
    good = img.read_bytes()

    img.write_bytes(good[: len(good) - 10])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz: the gzip stream ends early"):
        MNIST(tmp_path)
    img.write_bytes(good[:-8] + bytes(b ^ 0x5A for b in good[-8:-4]) + good[-4:])  # the CRC-32
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz: corrupt gzip stream .*incorrect data check"):
        MNIST(tmp_path)
    img.write_bytes(gzip.compress(idx_file(images)[:-5]))
    with pytest.raises(ValueError, match=r"truncated: the header's dims \(3, 4, 4\) need 48 payload bytes"):
        MNIST(tmp_path)
    img.write_bytes(gzip.compress(idx_file(images) + b"\0"))
    with pytest.raises(ValueError, match="1 trailing bytes"):
        MNIST(tmp_path)
    img.write_bytes(b"\x00\x01" + idx_file(images)[2:])
    with pytest.raises(ValueError, match="not an IDX file"):
        MNIST(tmp_path)
    img.write_bytes(idx_file(images.astype(np.float32).view(np.uint8), type_code=0x0D))
    with pytest.raises(ValueError, match=r"the elements are float32 .* ember reads uint8"):
        MNIST(tmp_path)
    img.write_bytes(good)

    lab.write_bytes(gzip.compress(idx_file(np.array([0, 1, 10], dtype=np.uint8))))
    with pytest.raises(ValueError, match=r"label 10 at index 2 is not a class"):
        MNIST(tmp_path)
    lab.write_bytes(gzip.compress(idx_file(np.array([0, 1], dtype=np.uint8))))
    with pytest.raises(ValueError, match="holds 2 labels for the 3 images"):
        MNIST(tmp_path)
    shutil.copy(img, lab)
    with pytest.raises(ValueError, match="labels must be 1-D"):
        MNIST(tmp_path)


@needs_debian
def test_real_files_copied_and_damaged(tmp_path):
    for kind in ("images-idx3", "labels-idx1"):
        shutil.copy(DEBIAN / f"t10k-{kind}-ubyte.gz", tmp_path)
    assert len(FashionMNIST(tmp_path, train=False)) == 10000
    img = tmp_path / "t10k-images-idx3-ubyte.gz"
    raw = img.read_bytes()
    img.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(ValueError, match=rf"{img}: the gzip stream ends early .* of the 7840016 its header describes"):
        FashionMNIST(tmp_path, train=False)
    img.unlink()
    with pytest.raises(FileNotFoundError, match="no t10k-images-idx3-ubyte"):
        FashionMNIST(tmp_path, train=False)
    # The plain (decompressed) file, cut inside the payload.
    img.with_suffix("").write_bytes(gzip.decompress(raw)[:-100])
    with pytest.raises(ValueError, match=r"truncated: the header's dims \(10000, 28, 28\) need 7840000 payload bytes"):
        FashionMNIST(tmp_path, train=False)
