"""``Embedding`` and ``EmbeddingBag``."""
from __future__ import annotations

from typing import Any

from ... import _core
from ..._core import Tensor
from ...autograd import no_grad
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


class Embedding(Module):
    """A lookup table: integer ids ``(*)`` -> rows of ``weight`` (num_embeddings, embedding_dim), giving
    ``(*, embedding_dim)``. The weight starts as N(0, 1); the row at ``padding_idx`` starts at zero and
    receives no gradient. Over ``_core.embedding``; the C++ twin is ``ember::nn::Embedding<T>``."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("[Embedding] max_norm, scale_grad_by_freq and sparse are not supported")
        padding_idx = _core._embedding_padding_idx(num_embeddings, embedding_dim, padding_idx)
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dtype = _core.float32 if dtype is None else dtype
            self.weight = Parameter(_core.empty((num_embeddings, embedding_dim), dtype=dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"[Embedding] shape of weight {tuple(_weight.shape)} does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Re-draws the weight from N(0, 1), with the padding row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0.0)

    def forward(self, input: Tensor) -> Tensor:
        """Looks up the rows of ``weight`` for the ids in ``input``."""
        try:
            return F.embedding(input, self.weight, self.padding_idx)
        except (IndexError, TypeError) as err:
            raise type(err)(f"[Embedding] {self._get_name()}({self.extra_repr()}): {err}") from None

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None,
                        **kwargs: Any) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (rows, dim), frozen unless ``freeze=False``."""
        _core._check_pretrained_embeddings(embeddings.shape)
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx=padding_idx, _weight=embeddings, _freeze=freeze, **kwargs)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s


class EmbeddingBag(Module):
    """Bags of integer ids -> the ``"sum"``, ``"mean"`` or ``"max"`` of their rows of ``weight``
    (num_embeddings, embedding_dim): ``(bags, embedding_dim)``, without the ``(bags, n, embedding_dim)`` lookup in
    between. ``forward(input, offsets=None, per_sample_weights=None)``: a 2-d ``input`` is a bag per row; a 1-d one
    needs ``offsets``. The weight starts as N(0, 1); ids equal to ``padding_idx`` are left out. Over
    ``_core.embedding_bag``; the C++ twin is ``ember::nn::EmbeddingBag<T>``."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                 _weight: Tensor | None = None, include_last_offset: bool = False, padding_idx: int | None = None,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("[EmbeddingBag] max_norm, scale_grad_by_freq and sparse are not supported")
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"[EmbeddingBag] mode must be 'sum', 'mean' or 'max', got {mode!r}")
        padding_idx = _core._embedding_padding_idx(num_embeddings, embedding_dim, padding_idx)
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.max_norm, self.norm_type, self.scale_grad_by_freq, self.sparse = max_norm, norm_type, scale_grad_by_freq, sparse
        self.mode, self.include_last_offset = mode, include_last_offset
        if _weight is None:
            dtype = _core.float32 if dtype is None else dtype
            self.weight = Parameter(_core.empty((num_embeddings, embedding_dim), dtype=dtype))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"[EmbeddingBag] shape of weight {tuple(_weight.shape)} does not match "
                                 f"num_embeddings and embedding_dim ({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight)

    def reset_parameters(self) -> None:
        """Re-draws the weight from N(0, 1), with the padding row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0.0)

    def forward(self, input: Tensor, offsets: Tensor | None = None, per_sample_weights: Tensor | None = None) -> Tensor:
        """Reduces the rows of each bag of ``input``."""
        try:
            return F.embedding_bag(input, self.weight, offsets, mode=self.mode, per_sample_weights=per_sample_weights,
                                   include_last_offset=self.include_last_offset, padding_idx=self.padding_idx)
        except (IndexError, TypeError, ValueError) as err:
            raise type(err)(f"[EmbeddingBag] {self._get_name()}({self.extra_repr()}): {err}") from None

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                        sparse: bool = False, include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag:
        """An EmbeddingBag whose weight is ``embeddings`` (rows, dim), frozen unless ``freeze=False``."""
        _core._check_pretrained_embeddings(embeddings.shape)
        rows, cols = embeddings.shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, _weight=embeddings,
                  include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
        if self.include_last_offset:
            s += ", include_last_offset=True"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
