"""Adagrad, as ``torch.optim.Adagrad``."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import _core
from .optimizer import Optimizer, _check, _check_unsupported


class Adagrad(Optimizer):
    """Adagrad with learning-rate decay, L2 weight decay and maximize, step for step as
    ``torch.optim.Adagrad`` (dense gradients). As in torch, every parameter given to the constructor
    has state from the start: ``sum`` filled with the constructor's ``initial_accumulator_value`` and
    ``step`` 0; a parameter added later by ``add_param_group`` gets its group's value at its first step."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        _check_unsupported("Adagrad", foreach=foreach, differentiable=differentiable, fused=fused)
        _check("Adagrad", lr >= 0.0, f"invalid learning rate: {lr}")
        _check("Adagrad", lr_decay >= 0.0, f"invalid lr_decay value: {lr_decay}")
        _check("Adagrad", weight_decay >= 0.0, f"invalid weight_decay value: {weight_decay}")
        _check("Adagrad", initial_accumulator_value >= 0.0,
               f"invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check("Adagrad", eps >= 0.0, f"invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:  # torch fills every group's sums with the constructor's value
            for p in group["params"]:
                self._init_state(self.state[p], p, initial_accumulator_value)

    @staticmethod
    def _init_state(state: dict[str, Any], p: Any, initial_accumulator_value: float) -> None:
        state["step"] = 0.0
        state["sum"] = _core.full_like(p, float(initial_accumulator_value))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        _check("Adagrad", group["lr"] >= 0.0, f"invalid learning rate: {group['lr']}")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Updates every parameter that has a gradient once; returns closure()'s loss when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
            weight_decay, maximize = float(group["weight_decay"]), group["maximize"]
            for p, grad, state in self._params_with_grad(group):
                if "sum" not in state:  # added by add_param_group (torch fails here): its group's value
                    self._init_state(state, p, group["initial_accumulator_value"])
                state["step"] += 1.0
                _core._adagrad_step(p, grad, state["sum"], int(state["step"]), lr, lr_decay, weight_decay, eps,
                                    maximize)
        return loss
