"""RMSprop, as ``torch.optim.RMSprop``."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import _core
from .optimizer import Optimizer, _check, _check_unsupported


class RMSprop(Optimizer):
    """RMSprop with optional centering, momentum, L2 weight decay and maximize, step for step as
    ``torch.optim.RMSprop``."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_unsupported("RMSprop", capturable=capturable, foreach=foreach, differentiable=differentiable)
        _check("RMSprop", lr >= 0.0, f"invalid learning rate: {lr}")
        _check("RMSprop", eps >= 0.0, f"invalid epsilon value: {eps}")
        _check("RMSprop", momentum >= 0.0, f"invalid momentum value: {momentum}")
        _check("RMSprop", weight_decay >= 0.0, f"invalid weight_decay value: {weight_decay}")
        _check("RMSprop", alpha >= 0.0, f"invalid alpha value: {alpha}")
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        _check("RMSprop", group["lr"] >= 0.0, f"invalid learning rate: {group['lr']}")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Updates every parameter that has a gradient once; returns closure()'s loss when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
            weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
            centered, maximize = group["centered"], group["maximize"]
            buffers = ("square_avg",) + (("momentum_buffer",) if momentum > 0 else ())
            buffers += ("grad_avg",) if centered else ()
            for p, grad, state in self._params_with_grad(group):
                self._count_step(state, p, *buffers)
                _core._rmsprop_step(p, grad, state["square_avg"], state.get("grad_avg"),
                                    state.get("momentum_buffer"), lr, alpha, eps, weight_decay, momentum, centered,
                                    maximize)
        return loss
