"""Image transforms named and behaving as ``torchvision.transforms``, written with ember ops (no PIL).

Images are tensors shaped (..., H, W): a uint8 (H, W) image as a dataset stores it, or a float
(C, H, W) one after ``ToTensor``. Random transforms draw from ember's global generator, which each
DataLoader worker seeds, so augmentation repeats run to run under ``ember.manual_seed`` or a
seeded loader ``generator``.

>>> from ember import transforms as T
>>> train_tf = T.Compose([T.ToTensor(), T.RandomCrop(28, padding=2), T.RandomHorizontalFlip(),
...                       T.Normalize((0.2860,), (0.3530,))])
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence

import numpy as np

import ember

__all__ = ["Compose", "Lambda", "Normalize", "RandomCrop", "RandomHorizontalFlip", "ToTensor"]


class Compose:
    """Applies ``transforms`` one after the other."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """An (H, W) or (H, W, C) image (ember tensor, ndarray, or anything ``numpy.asarray`` reads, such as
    a PIL image) -> a float32 (C, H, W) tensor; uint8 values are scaled from [0, 255] to [0, 1]."""

    def __call__(self, pic: Any) -> ember.Tensor:
        t = pic if isinstance(pic, ember.Tensor) else ember.from_numpy(np.ascontiguousarray(np.asarray(pic)))
        if t.dim() not in (2, 3):
            raise ValueError(f"[ToTensor] expected an (H, W) or (H, W, C) image, got shape {tuple(t.shape)}")
        t = t.unsqueeze(0) if t.dim() == 2 else t.permute(2, 0, 1)
        if t.dtype == ember.uint8:
            return t.float().div(255.0)
        return t.float() if t.dtype != ember.float64 else t.contiguous()

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """``(img - mean[c]) / std[c]`` for each channel c of a float (..., C, H, W) tensor."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean, self.std = [float(m) for m in _seq(mean)], [float(s) for s in _seq(std)]
        if any(s == 0 for s in self.std):
            raise ValueError(f"[Normalize] std evaluated to zero after conversion to float, leading to "
                             f"division by zero: std={self.std}")
        self.inplace = inplace
        self._tensors: dict = {}  # dtype -> (mean, std) shaped (C, 1, 1)

    def __call__(self, img: ember.Tensor) -> ember.Tensor:
        _check_image("Normalize", img, min_dim=3)
        if not img.is_floating_point():
            raise TypeError(f"[Normalize] input tensor should be a float tensor, got {img.dtype}")
        channels = img.size(-3)
        if len(self.mean) not in (1, channels) or len(self.std) not in (1, channels):
            raise ValueError(f"[Normalize] mean ({len(self.mean)} values) and std ({len(self.std)} values) do "
                             f"not match the {channels} channels of an image shaped {tuple(img.shape)}")
        if len(self.mean) == len(self.std) == 1:
            out = (img - self.mean[0]) / self.std[0]
        else:
            mean, std = self._tensors.get(img.dtype) or self._tensors.setdefault(img.dtype, (
                ember.tensor(self.mean, dtype=img.dtype).reshape(-1, 1, 1),
                ember.tensor(self.std, dtype=img.dtype).reshape(-1, 1, 1)))
            out = (img - mean) / std
        if self.inplace:
            img.copy_(out)
            return img
        return out

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class RandomCrop:
    """A ``size`` crop at a random place of an (..., H, W) image, after ``padding`` (an int for every
    side, (left/right, top/bottom), or (left, top, right, bottom)) and, with ``pad_if_needed``, after
    padding an image smaller than ``size``. ``padding_mode``: "constant" (with ``fill``), "edge",
    "reflect" (without repeating the edge) or "symmetric" (repeating it)."""

    _MODES = ("constant", "edge", "reflect", "symmetric")

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] | None = None,
                 pad_if_needed: bool = False, fill: float = 0, padding_mode: str = "constant") -> None:
        self.size = _pair("RandomCrop", size, "size")
        if padding_mode not in self._MODES:
            raise ValueError(f"[RandomCrop] padding_mode should be one of {self._MODES}, got {padding_mode!r}")
        if not isinstance(fill, numbers.Real):
            raise TypeError(f"[RandomCrop] fill should be a number, got {type(fill).__name__}")
        self.padding = None if padding is None else _padding(padding)
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img: ember.Tensor, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a random crop of ``output_size`` inside ``img``."""
        return RandomCrop._draw(img.size(-2), img.size(-1), output_size)

    @staticmethod
    def _draw(h: int, w: int, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"[RandomCrop] required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if h == th and w == tw:
            return 0, 0, h, w
        i = int(ember.randint(0, h - th + 1, (1,)).item())
        j = int(ember.randint(0, w - tw + 1, (1,)).item())
        return i, j, th, tw

    def __call__(self, img: ember.Tensor) -> ember.Tensor:
        _check_image("RandomCrop", img, min_dim=2)
        if self.padding_mode == "constant":
            return self._constant_crop(img)
        if self.padding is not None:
            img = pad(img, self.padding, self.fill, self.padding_mode)
        h, w = img.size(-2), img.size(-1)
        if self.pad_if_needed and w < self.size[1]:
            img = pad(img, [self.size[1] - w, 0, self.size[1] - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < self.size[0]:
            img = pad(img, [0, self.size[0] - h, 0, self.size[0] - h], self.fill, self.padding_mode)
        i, j, th, tw = self.get_params(img, self.size)
        return img[..., i:i + th, j:j + tw]

    def _constant_crop(self, img: ember.Tensor) -> ember.Tensor:
        """The crop of the constant-padded image, drawn as torchvision draws it, without building the
        padded image: a view when the window falls inside ``img``, else the fill with the overlap copied."""
        h, w = img.size(-2), img.size(-1)
        left, top, right, bottom = self.padding or (0, 0, 0, 0)
        if self.pad_if_needed and w + left + right < self.size[1]:
            extra = self.size[1] - (w + left + right)
            left, right = left + extra, right + extra
        if self.pad_if_needed and h + top + bottom < self.size[0]:
            extra = self.size[0] - (h + top + bottom)
            top, bottom = top + extra, bottom + extra
        i, j, th, tw = self._draw(h + top + bottom, w + left + right, self.size)
        i, j = i - top, j - left  # the window's corner in img's coordinates
        if i >= 0 and j >= 0 and i + th <= h and j + tw <= w:
            return img[..., i:i + th, j:j + tw]
        out = ember.full((*img.shape[:-2], th, tw), self.fill, dtype=img.dtype)
        r0, r1, c0, c1 = max(i, 0), min(i + th, h), max(j, 0), min(j + tw, w)
        if r0 < r1 and c0 < c1:
            out[..., r0 - i:r1 - i, c0 - j:c1 - j] = img[..., r0:r1, c0:c1]
        return out

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirrors an (..., H, W) image left to right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: ember.Tensor) -> ember.Tensor:
        _check_image("RandomHorizontalFlip", img, min_dim=2)
        if ember.rand(1).item() < self.p:
            return img.flip(-1)
        return img

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class Lambda:
    """Applies ``lambd`` (any callable) as a transform."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"[Lambda] argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


def pad(img: ember.Tensor, padding: Sequence[int], fill: float = 0, padding_mode: str = "constant") -> ember.Tensor:
    """Pads the last two dims of ``img`` by ``padding`` = (left, top, right, bottom) (torchvision's
    ``F.pad`` on tensors); every dtype, every mode."""
    left, top, right, bottom = _padding(padding)
    h, w = img.size(-2), img.size(-1)
    if padding_mode == "constant":
        out = ember.full((*img.shape[:-2], h + top + bottom, w + left + right), fill, dtype=img.dtype)
        out[..., top:top + h, left:left + w] = img
        return out
    if padding_mode in ("reflect",) and (max(top, bottom) >= h or max(left, right) >= w):
        raise ValueError(f"[pad] reflect padding {(left, top, right, bottom)} must be smaller than the image's "
                         f"size {(h, w)}")
    rows = ember.tensor(_pad_index(h, top, bottom, padding_mode), dtype=ember.int64)
    cols = ember.tensor(_pad_index(w, left, right, padding_mode), dtype=ember.int64)
    return img.index_select(-2, rows).index_select(-1, cols)


def _pad_index(n: int, before: int, after: int, mode: str) -> list[int]:
    """Source index of each padded position along a dim of size n, for the index-based padding modes."""
    out = []
    for k in range(-before, n + after):
        if mode == "edge":
            k = min(max(k, 0), n - 1)
        else:  # reflect mirrors about the edge element, symmetric about the edge itself
            period, shift = (2 * n - 2, 0) if mode == "reflect" else (2 * n, 1)
            k = k % period if period else 0
            if k >= n:
                k = period - k - shift
        out.append(k)
    return out


def _padding(padding) -> list[int]:
    if isinstance(padding, numbers.Integral):
        padding = [int(padding)]
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        padding = padding * 4
    elif len(padding) == 2:
        padding = padding * 2
    if len(padding) != 4 or any(p < 0 for p in padding):
        raise ValueError(f"[pad] padding must be a non-negative int or a sequence of 1, 2 or 4 of them, got {padding}")
    return padding


def _pair(name: str, size, what: str) -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(f"[{name}] {what} should be an int or a sequence of 1 or 2 ints, got {size}")
    return size


def _seq(values) -> list:
    return [values] if isinstance(values, numbers.Real) else list(values)


def _check_image(name: str, img: Any, min_dim: int) -> None:
    if not isinstance(img, ember.Tensor):
        raise TypeError(f"[{name}] expected an ember.Tensor image, got {type(img).__name__} (use ToTensor first)")
    if img.dim() < min_dim:
        raise ValueError(f"[{name}] expected a tensor with at least {min_dim} dims, got shape {tuple(img.shape)}")
