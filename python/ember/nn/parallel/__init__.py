"""``ember.nn.parallel``, as ``torch.nn.parallel``: ``DataParallel`` (one device: it runs the wrapped module
as it is, with PyTorch's ``module.`` state-dict prefix, so scripts that wrap their model keep working and
their checkpoints keep their keys) and ``DistributedDataParallel`` (multi-process training over ``ember.distributed``,
in distributed.py)."""
from __future__ import annotations

from typing import Any, Sequence

from ... import _core
from ..module import Module
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]


def _device_count(device_ids: Sequence[Any] | None) -> int:
    if device_ids is None:
        return _core.cuda.device_count() if _core.cuda.is_available() else 0
    return len(device_ids)


class DataParallel(Module):
    """Wraps ``module`` as ``torch.nn.DataParallel`` does: ``forward`` calls ``module`` (registered as the
    submodule ``module``). ember runs it on one device; splitting a batch over several GPUs is not
    implemented, and asking for more than one device raises NotImplementedError."""

    def __init__(self, module: Module, device_ids: Sequence[Any] | None = None, output_device: Any = None,
                 dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"[DataParallel] expected an ember.nn.Module, got {type(module).__name__}")
        if _device_count(device_ids) > 1:
            raise NotImplementedError("[DataParallel] splitting a batch over several devices is not implemented: "
                                      "ember runs the module on one device (pass device_ids=[0] or none)")
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """``module(*inputs, **kwargs)``."""
        return self.module(*inputs, **kwargs)
