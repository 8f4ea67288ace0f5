"""RAdam, as ``torch.optim.RAdam``."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .. import _core
from .optimizer import Optimizer, _check, _check_adam_family, _check_unsupported


class RAdam(Optimizer):
    """Adam with the variance of its adaptive rate rectified, with L2 or decoupled weight decay and
    maximize, step for step as ``torch.optim.RAdam``."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_unsupported("RAdam", foreach=foreach, differentiable=differentiable, capturable=capturable)
        _check_adam_family("RAdam", lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        _check("RAdam", group["lr"] >= 0.0, f"invalid learning rate: {group['lr']}")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Updates every parameter that has a gradient once; returns closure()'s loss when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
            beta1, beta2 = (float(b) for b in group["betas"])
            for p, grad, state in self._params_with_grad(group):
                self._count_step(state, p, "exp_avg", "exp_avg_sq")
                _core._radam_step(p, grad, state["exp_avg"], state["exp_avg_sq"], int(state["step"]), lr, beta1,
                                  beta2, eps, weight_decay, group["decoupled_weight_decay"], group["maximize"])
        return loss
