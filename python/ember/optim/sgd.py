"""Stochastic gradient descent, as ``torch.optim.SGD``."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import _core
from .optimizer import Optimizer, _check, _check_unsupported


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
    decay, step for step as ``torch.optim.SGD``."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        _check_unsupported("SGD", foreach=foreach, differentiable=differentiable, fused=fused)
        _check("SGD", lr >= 0.0, f"invalid learning rate: {lr}")
        _check("SGD", momentum >= 0.0, f"invalid momentum value: {momentum}")
        _check("SGD", weight_decay >= 0.0, f"invalid weight_decay value: {weight_decay}")
        _check("SGD", not nesterov or (momentum > 0 and dampening == 0),
               "Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        _check("SGD", group["lr"] >= 0.0, f"invalid learning rate: {group['lr']}")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Updates every parameter that has a gradient once; returns closure()'s loss when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum, dampening = float(group["lr"]), float(group["momentum"]), float(group["dampening"])
            weight_decay, nesterov, maximize = float(group["weight_decay"]), group["nesterov"], group["maximize"]
            for p, grad, state in self._params_with_grad(group):
                buf = _core._sgd_step(p, grad, state.get("momentum_buffer"), lr, momentum, dampening,
                                      weight_decay, nesterov, maximize)
                if momentum != 0.0:
                    state["momentum_buffer"] = buf
        return loss
