"""MNIST and Fashion-MNIST: IDX files (plain or .gz) read and validated by ember's C++ reader
(ember/data/idx.hpp), exposed as torchvision.datasets exposes them."""
from __future__ import annotations

import errno
import os
from typing import Any, Callable, Optional, Union

from .. import _core
from .._core import from_numpy
from ..utils.data import Dataset

_PathLike = Union[str, "os.PathLike[str]"]


class MNIST(Dataset):
    """An MNIST-format dataset: ``root`` holds ``{train,t10k}-{images-idx3,labels-idx1}-ubyte``, each plain or
    ``.gz``, directly or in torchvision's ``root/<name>/raw/``.

    ``data`` is a uint8 tensor (N, 28, 28), ``targets`` an int64 tensor (N,); ``ds[i]`` is
    ``(transform(image), target_transform(label))`` with the image a uint8 (28, 28) tensor and the label an int.
    A missing file raises FileNotFoundError, a corrupt one ValueError, each naming the file.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: Optional[_PathLike], train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        name = type(self)._dataset_name()
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else self._default_root()
        if not self.root:
            raise ValueError(f"[{name}] root is required: the folder holding the IDX files")
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        try:
            self.data, self.targets = _core._load_mnist(self.root, self.train, name)
        except FileNotFoundError as e:
            if not download:
                raise
            # torchvision would fetch the files; ember reads only what is on disk.
            detail = str(e.strerror).removeprefix(f"[{name}] ")
            raise FileNotFoundError(
                errno.ENOENT, f"[{name}] download=True: ember never downloads datasets; {detail}", e.filename) from None
        self._labels = self.targets.tolist()  # ints for __getitem__, without a tensor per sample

    @classmethod
    def _dataset_name(cls) -> str:
        # Subclasses of MNIST/FashionMNIST keep the name of the dataset they read (torchvision's raw folder).
        for c in cls.__mro__:
            if c in (MNIST, FashionMNIST):
                return c.__name__
        return cls.__name__

    def _default_root(self) -> str:
        return ""

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        target = self._labels[index]
        img = self.data[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self._labels)

    def __getstate__(self) -> dict:
        # For DataLoader workers that spawn: ember tensors do not pickle, their NumPy views do.
        state = self.__dict__.copy()
        state["data"], state["targets"] = self.data.numpy(), self.targets.numpy()
        return state

    def __setstate__(self, state: dict) -> None:
        state["data"] = from_numpy(state["data"])
        state["targets"] = from_numpy(state["targets"])
        self.__dict__.update(state)

    def extra_repr(self) -> str:
        """The split, for ``repr``."""
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}", self.extra_repr()]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}")
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}")
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in lines])


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's 28x28 grey images of ten kinds of clothing, 60,000 train and 10,000 test).

    ``root=None`` reads Debian's package (``apt install dataset-fashion-mnist``, files in
    ``/usr/share/datasets/fashion-mnist``); otherwise as :class:`MNIST`.
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    def __init__(self, root: Optional[_PathLike] = None, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform, download)

    def _default_root(self) -> str:
        return _core._fashion_mnist_default_root()
