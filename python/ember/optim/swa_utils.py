"""Weight averaging, as ``torch.optim.swa_utils``: ``AveragedModel`` keeps a running average of a model's weights
(stochastic weight averaging, or an exponential moving average with ``get_ema_multi_avg_fn``), ``SWALR`` anneals
the learning rate to the SWA rate, and ``update_bn`` recomputes batch-norm statistics for the averaged weights.

>>> ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
>>> ...; optimizer.step(); ema.update_parameters(model)
"""
from __future__ import annotations

import copy
import itertools
import math
from typing import Any, Callable, Iterable

from .. import _core
from ..autograd import no_grad
from ..nn.module import Module
from ..nn.modules.normalization import _BatchNorm
from .lr_scheduler import LRScheduler
from .optimizer import Optimizer

__all__ = ["AveragedModel", "SWALR", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
           "get_swa_multi_avg_fn", "update_bn"]


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """An averaging function over lists of tensors: ema = decay * ema + (1 - decay) * current, in place."""
    def ema_update(ema_params: list, current_params: list, _num_averaged: Any) -> None:
        with no_grad():
            for e, c in zip(ema_params, current_params):
                e.copy_(e * decay + c * (1.0 - decay))
    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """An averaging function over lists of tensors: the running mean of every model seen, in place."""
    def swa_update(averaged: list, current: list, num_averaged: Any) -> None:
        n = float(num_averaged.item() if isinstance(num_averaged, _core.Tensor) else num_averaged)
        with no_grad():
            for a, c in zip(averaged, current):
                a.copy_(a + (c - a) / (n + 1.0))
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """An averaging function of one tensor: decay * ema + (1 - decay) * current (returned, not in place)."""
    def ema_update(ema_param: Any, current_param: Any, _num_averaged: Any) -> Any:
        with no_grad():
            return decay * ema_param + (1.0 - decay) * current_param
    return ema_update


def get_swa_avg_fn() -> Callable:
    """An averaging function of one tensor: the running mean after num_averaged models (returned)."""
    def swa_update(averaged_param: Any, current_param: Any, num_averaged: Any) -> Any:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are an average of the models passed to ``update_parameters``: their
    running mean by default (SWA), or what ``avg_fn`` (one tensor at a time) or ``multi_avg_fn`` (lists of
    tensors, in place) compute. Buffers follow the model unless ``use_buffers``, which averages them too. Calling
    it runs the averaged copy. Its state dict holds ``n_averaged`` and ``module.*``, as PyTorch's."""

    def __init__(self, model: Module, device: Any = None, avg_fn: Callable | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("[AveragedModel] give avg_fn or multi_avg_fn, not both")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _core.tensor(0, dtype=_core.int64))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _tensors(self, model: Module) -> Iterable:
        return itertools.chain(model.parameters(), model.buffers()) if self.use_buffers else model.parameters()

    def update_parameters(self, model: Module) -> None:
        """Folds model's current weights into the average."""
        averaged, current = [], []
        with no_grad():
            for a, m in zip(self._tensors(self.module), self._tensors(model)):
                a, m = a.detach(), m.detach().to(a.device)
                averaged.append(a)
                current.append(m)
                if int(self.n_averaged.item()) == 0:
                    a.copy_(m)
            if int(self.n_averaged.item()) > 0:
                if self.avg_fn is not None:
                    for a, m in zip(averaged, current):
                        a.copy_(self.avg_fn(a, m, self.n_averaged))
                else:
                    floats = [(a, m) for a, m in zip(averaged, current) if a.is_floating_point()]
                    others = [(a, m) for a, m in zip(averaged, current) if not a.is_floating_point()]
                    multi = self.multi_avg_fn or get_swa_multi_avg_fn()
                    for group in (floats, others):  # PyTorch groups the tensors by dtype before the call
                        if group:
                            multi([a for a, _ in group], [m for _, m in group], self.n_averaged)
            if not self.use_buffers:  # the buffers follow the model
                for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                    b_avg.detach().copy_(b_model.detach().to(b_avg.device))
            self.n_averaged.add_(1)


def update_bn(loader: Iterable, model: Module, device: Any = None) -> None:
    """Recomputes the running statistics of model's batch norms over one pass of loader (their cumulative average,
    as for averaged weights); the first element of a list or tuple batch is the input."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            x = batch[0] if isinstance(batch, (list, tuple)) else batch
            if device is not None:
                x = x.to(device)
            model(x)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's learning rate from its value to ``swa_lr`` over ``anneal_epochs`` steps ("cos" or
    "linear"), then holds it there, as ``torch.optim.swa_utils.SWALR``."""

    def __init__(self, optimizer: Optimizer, swa_lr: Any, anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:
        groups = optimizer.param_groups
        if isinstance(swa_lr, (list, tuple)):
            if len(swa_lr) != len(groups):
                raise ValueError(f"[SWALR] swa_lr must have one value per parameter group ({len(groups)}), got "
                                 f"{len(swa_lr)}")
            swa_lrs = list(swa_lr)
        else:
            swa_lrs = [swa_lr] * len(groups)
        for lr, group in zip(swa_lrs, groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"[SWALR] anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"[SWALR] anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(self.optimizer.param_groups, prev_lrs)]
