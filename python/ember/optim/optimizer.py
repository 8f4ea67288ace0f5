"""The ``Optimizer`` base class: parameter groups, per-parameter state, ``zero_grad`` and state dicts
in PyTorch's layout."""
from __future__ import annotations

import abc
from collections import defaultdict
from typing import Any, Callable, Iterable

from .._core import Tensor, bfloat16, float32, float64, zeros_like
from ..autograd import enable_grad



class _Required:
    """Marks a hyperparameter that has no default."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _state_dtype(param: Tensor) -> Any:
    """The dtype of a parameter's optimizer state: its own, but float32 for bfloat16 parameters (whose
    updates run in float32 and are rounded once; see ember._core._sgd_step)."""
    return float32 if param.dtype == bfloat16 else param.dtype


class Optimizer(abc.ABC):
    """Base class of ember's optimizers, as ``torch.optim.Optimizer``.

    ``param_groups`` is a list of dicts, each holding ``"params"`` (a list of tensors) and the
    hyperparameters for them; ``state`` maps each parameter to a dict of its state (tensors and the
    step count). Subclasses implement ``step``.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"[{self._name}] params must be an iterable of Tensors or dicts, but got a Tensor; "
                "wrap it in a list"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"[{self._name}] optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Raises ValueError for an invalid hyperparameter of a group (subclasses override)."""

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a group of parameters with its own hyperparameters (missing ones take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"[{self._name}] a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                f"[{self._name}] optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets changes between runs; use a list"
            )
        elif params is None:
            raise ValueError(f"[{self._name}] a parameter group needs a 'params' entry")
        else:
            params = list(params)
        if not params:
            raise ValueError(f"[{self._name}] optimizer got an empty parameter list")
        first = sum(len(g["params"]) for g in self.param_groups)
        for i, p in enumerate(params, first):
            if not isinstance(p, Tensor):
                raise TypeError(f"[{self._name}] parameter {i} is a {type(p).__name__}, not a Tensor")
            if p.dtype not in (float32, float64, bfloat16):
                raise TypeError(f"[{self._name}] parameter {i} has dtype {p.dtype}; only float32, float64 and "
                                "bfloat16 parameters can be optimized")
            if not p.is_leaf:
                raise ValueError(f"[{self._name}] parameter {i} (shape {tuple(p.shape)}) is not a leaf tensor: "
                                 "can't optimize a tensor that a recorded op made")
            if not p.is_contiguous():
                raise ValueError(f"[{self._name}] parameter {i} (shape {tuple(p.shape)}) is not contiguous")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"[{self._name}] parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        self._check_hyperparameters(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError(f"[{self._name}] some parameters appear more than once (in one group or in "
                             "more than one parameter group)")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears every parameter's gradient: to None (the default), or filled with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    @abc.abstractmethod
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Updates the parameters once; closure, when given, re-evaluates the model and returns the loss."""

    def _params_with_grad(self, group: dict[str, Any]):
        """(param, grad, state) for each parameter of group that has a gradient (the others are skipped)."""
        for p in group["params"]:
            if p.grad is not None:
                yield p, p.grad, self.state[p]

    @staticmethod
    def _count_step(state: dict[str, Any], param: Tensor, *buffers: str) -> None:
        """Counts one more step in state; the first creates the zero-filled buffers named."""
        if not state:
            state["step"] = 0.0
            for name in buffers:
                state[name] = zeros_like(param, dtype=_state_dtype(param))
        state["step"] += 1.0

    def _evaluate(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # --- state dicts ---

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as PyTorch lays it out: ``{"state": {index: {...}}, "param_groups":
        [{..., "params": [indices]}]}``; parameters are numbered across groups in order. The state's
        tensors are the optimizer's own (not copies)."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a ``state_dict()`` (hyperparameters and state) saved from an optimizer with the same
        parameter groups; the state's tensors are copied."""
        op = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(f"[{op}] expected a dict with 'state' and 'param_groups' keys")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"[{op}] loaded state dict has {len(saved_groups)} parameter groups but the optimizer "
                             f"has {len(self.param_groups)}")
        params_of: dict[Any, Tensor] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"[{op}] loaded parameter group {i} has {len(saved['params'])} parameters but the "
                                 f"optimizer's group {i} has {len(group['params'])}")
            params_of.update(zip(saved["params"], group["params"]))
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key not in params_of:
                raise ValueError(f"[{op}] loaded state refers to parameter {key!r}, which no group lists")
            p = params_of[key]
            state[p] = {name: self._load_value(op, key, name, p, v) for name, v in value.items()}
        self.state = state
        for saved, group in zip(saved_groups, self.param_groups):
            params = group["params"]
            group.clear()
            group.update({k: v for k, v in saved.items() if k != "params"})
            group["params"] = params

    @staticmethod
    def _load_value(op: str, key: Any, name: str, p: Tensor, value: Any) -> Any:
        if name == "step":
            return float(value.item() if hasattr(value, "item") else value)
        if isinstance(value, Tensor):
            if tuple(value.shape) != tuple(p.shape):
                raise ValueError(f"[{op}] state {name!r} of parameter {key} has shape {tuple(value.shape)} but the "
                                 f"parameter has shape {tuple(p.shape)}")
            return value.to(_state_dtype(p)).detach().clone()
        return value


def _check(op: str, ok: bool, message: str) -> None:
    """Raises ValueError ``[op] message`` unless ok."""
    if not ok:
        raise ValueError(f"[{op}] {message}")


def _check_adam_family(op: str, lr: float, eps: float, betas: Any, weight_decay: float) -> None:
    """The hyperparameter checks Adam, AdamW, Adamax, NAdam and RAdam share, with torch's messages."""
    _check(op, lr >= 0.0, f"invalid learning rate: {lr}")
    _check(op, eps >= 0.0, f"invalid epsilon value: {eps}")
    _check(op, len(betas) == 2, f"betas must be a pair, got {betas!r}")
    for i, beta in enumerate(betas):
        _check(op, 0.0 <= beta < 1.0, f"invalid beta parameter at index {i}: {beta} (must be in [0, 1))")
    _check(op, weight_decay >= 0.0, f"invalid weight_decay value: {weight_decay}")


def _check_unsupported(op: str, **options: Any) -> None:
    """Raises NotImplementedError naming the first of torch's execution options (foreach, fused,
    capturable, differentiable) given a value other than None or False: ember runs one C++ loop per
    parameter, which is torch's default single-tensor path."""
    for name, value in options.items():
        if value:
            raise NotImplementedError(f"[{op}] {name}={value!r} is not supported: ember's optimizers run one C++ "
                                      "loop per parameter (torch's foreach=False path)")


__all__ = ["Optimizer", "required"]
