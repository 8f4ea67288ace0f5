"""Adadelta, as ``torch.optim.Adadelta``."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import _core
from .optimizer import Optimizer, _check, _check_unsupported


class Adadelta(Optimizer):
    """Adadelta with L2 weight decay and maximize, step for step as ``torch.optim.Adadelta``."""

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_unsupported("Adadelta", foreach=foreach, capturable=capturable, differentiable=differentiable)
        _check("Adadelta", lr >= 0.0, f"invalid learning rate: {lr}")
        _check("Adadelta", 0.0 <= rho <= 1.0, f"invalid rho value: {rho}")
        _check("Adadelta", eps >= 0.0, f"invalid epsilon value: {eps}")
        _check("Adadelta", weight_decay >= 0.0, f"invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        _check("Adadelta", group["lr"] >= 0.0, f"invalid learning rate: {group['lr']}")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Updates every parameter that has a gradient once; returns closure()'s loss when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
            weight_decay, maximize = float(group["weight_decay"]), group["maximize"]
            for p, grad, state in self._params_with_grad(group):
                self._count_step(state, p, "square_avg", "acc_delta")
                _core._adadelta_step(p, grad, state["square_avg"], state["acc_delta"], lr, rho, eps, weight_decay,
                                     maximize)
        return loss
