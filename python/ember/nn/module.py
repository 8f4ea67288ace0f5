"""``Module``: the base class of every layer and model, as ``torch.nn.Module``.

Parameters, buffers and submodules assigned as attributes are registered in ``_parameters``,
``_buffers`` and ``_modules`` (insertion-ordered dicts); the recursive walks (``named_parameters``,
``state_dict``...) visit them in that order, so keys read as PyTorch's (``"layer.0.weight"``).
Calling a module calls its ``forward``; a module with hooks (``register_forward_pre_hook``,
``register_forward_hook``, ``register_full_backward_hook``...) runs them around it (``_hooks.py``), and one
without pays one dict lookup for them.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator


from .. import _core
from .._core import Tensor
from .._np import is_ndarray
from ..autograd import no_grad
from ._hooks import RemovableHandle, call_with_hooks
from .parameter import Parameter

__all__ = ["Module"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """The keys that ``load_state_dict(strict=False)`` did not match."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _forward_unimplemented(self: Module, *input: Any) -> None:
    """Defines the computation of the module at every call; subclasses override it."""
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


def _as_tensor(value: Any) -> Tensor | None:
    if isinstance(value, Tensor):
        return value
    if is_ndarray(value):
        import numpy as np

        return _core.from_numpy(np.asarray(value, order="C"))  # (ascontiguousarray makes 0-d arrays 1-d)
    return None


def _to_spec(args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """The (dtype, device) of ``Module.to(...)`` arguments (None for what is not given)."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"[Module.to] unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, _core.dtype):
            dtype = arg
        elif isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg.device
        elif isinstance(arg, (str, _core.device)):
            device = arg
        elif isinstance(arg, bool):  # non_blocking given positionally
            continue
        else:
            raise TypeError(f"[Module.to] expected a dtype, a device or a tensor, got {type(arg).__name__}")
    if dtype is not None and not dtype.is_floating_point:
        raise TypeError(f"[Module.to] nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
    return dtype, None if device is None else _core.device(str(device))


class Module:
    """Base class for all neural network modules; subclass it and define ``forward``.

    Assigning a ``Parameter``, a ``Module`` or (through ``register_buffer``) a tensor as an attribute
    registers it, so that ``parameters()``, ``state_dict()``, ``to()``, ``train()``... reach it::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc(x).relu()
    """

    training: bool
    forward: Callable[..., Any] = _forward_unimplemented

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments {args} {kwargs}: "
                "Module.__init__ takes none"
            )
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.__dict__.get("_ember_hooks") is None:
            return self.forward(*args, **kwargs)
        return call_with_hooks(self, args, kwargs)

    # --- hooks (PyTorch's signatures; each returns a handle whose remove() unregisters it) ---

    def _add_hook(self, kind: str, hook: Callable, prepend: bool, **options: Any) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"[{kind}] expected a callable hook, got {type(hook).__name__}")
        hooks = self.__dict__.setdefault("_ember_hooks", {})
        return RemovableHandle.add(self, hooks.setdefault(kind, {}), (hook, options), prepend)

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` (or ``hook(module, args, kwargs)`` with ``with_kwargs``) before each forward; a
        returned value replaces the arguments (a tuple, or one value; ``(args, kwargs)`` with ``with_kwargs``)."""
        return self._add_hook("forward_pre", hook, prepend, with_kwargs=with_kwargs)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with ``with_kwargs``) after each
        forward; a returned value replaces the output. ``always_call``: also when forward raises."""
        return self._add_hook("forward", hook, prepend, with_kwargs=with_kwargs, always_call=always_call)

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` when the gradients with respect to the module's outputs are known; a
        returned tuple replaces them."""
        return self._add_hook("backward_pre", hook, prepend)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` when the gradients with respect to the module's tensor
        inputs are computed (``grad_input`` holds None for an input that takes none); a returned tuple
        replaces ``grad_input``."""
        return self._add_hook("backward", hook, prepend)

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        """PyTorch's deprecated form: registered as ``register_full_backward_hook``."""
        return self.register_full_backward_hook(hook)

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)``
        before ``load_state_dict`` reads its keys; it may rename or convert entries of ``state_dict`` (a copy)."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook: Callable, with_module: bool = False) -> RemovableHandle:
        # kept apart from _ember_hooks, whose presence sends every call through the hooked path
        hooks = self.__dict__.setdefault("_ember_state_hooks", {})
        return RemovableHandle.add(self, hooks, (hook, with_module), False)

    # --- registration ---

    def _check_name(self, kind: str, name: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a parameter (or None, a declared but absent one, as ``bias=False``) under ``name``."""
        self._check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(ember.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Adds a buffer: state that is not a parameter (BatchNorm's running mean), saved in the state
        dict unless ``persistent=False``."""
        self._check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (ember Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Adds a child module under ``name`` (reachable as an attribute)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias of ``add_module``."""
        self.add_module(name, module)

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' (ember.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            d["_modules"][name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' (Module or None expected)")
            d["_modules"][name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        d = self.__dict__
        d.pop(name, None)
        d["_parameters"].pop(name, None)
        d["_buffers"].pop(name, None)
        d["_modules"].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: registered entries live in the three dicts.
        d = self.__dict__
        if "_parameters" in d:
            if name in d["_parameters"]:
                return d["_parameters"][name]
            if name in d["_buffers"]:
                return d["_buffers"][name]
            if name in d["_modules"]:
                return d["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if name in d.get("_parameters", ()):
            del d["_parameters"][name]
        elif name in d.get("_buffers", ()):
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d.get("_modules", ()):
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        attrs = set(dir(type(self))) | set(self.__dict__)
        attrs |= set(self._parameters) | set(self._modules) | set(self._buffers)
        return sorted(a for a in attrs if not a[0].isdigit())

    # --- walks ---

    def _named_members(self, get: Callable[[Module], Any], prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        memo: set[int] = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in mods:
            for name, value in get(module).items():
                if value is None or (remove_duplicate and id(value) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(value))
                yield (module_prefix + "." + name if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yields ``(name, parameter)`` pairs, each shared parameter once, with dotted names."""
        return self._named_members(lambda m: m._parameters, prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yields the parameters of this module and (with ``recurse``) of its submodules."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Yields ``(name, buffer)`` pairs with dotted names."""
        return self._named_members(lambda m: m._buffers, prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yields the buffers of this module and (with ``recurse``) of its submodules."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yields ``(name, module)`` for the immediate children."""
        memo: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Yields the immediate child modules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Yields ``(name, module)`` for this module (name ``prefix``) and every submodule, depth first."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + "." + name if prefix else name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """Yields this module and every submodule, depth first, each once."""
        for _, module in self.named_modules():
            yield module

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path such as ``"encoder.layers.0"`` (``""`` is this module)."""
        module = self
        for item in target.split(".") if target else []:
            if not hasattr(module, item) or not isinstance(getattr(module, item), Module):
                raise AttributeError(f"{module._get_name()} has no submodule `{item}` (looking up {target!r})")
            module = getattr(module, item)
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as ``"fc.weight"``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters or module._parameters[name] is None:
            raise AttributeError(f"{module._get_name()} has no parameter `{name}`")
        return module._parameters[name]

    # --- modes and conversions ---

    def train(self, mode: bool = True) -> Module:
        """Sets training mode (``mode=True``) or evaluation mode on this module and its submodules."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            module.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Sets evaluation mode (dropout off, batch norm uses its running statistics); ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Sets ``requires_grad`` on every parameter (freezing or unfreezing the module)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all parameters: to None (default) or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                with no_grad():
                    p.grad.zero_()

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Calls ``fn`` on every submodule (children first) and then on this module; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply_dtype(self, dtype: Any, device: Any = None) -> Module:
        # ember tensors cannot swap their storage in place, so a parameter whose dtype or device
        # changes becomes a new Parameter object (PyTorch keeps the object): build optimizers after .to().
        def convert(t):
            if dtype is not None and t.is_floating_point() and t.dtype != dtype:
                t = t.to(dtype)
            return t if device is None or t.device == device else t.to(device)

        for module in self.modules():
            params = module._parameters
            for name, p in params.items():
                if p is None:
                    continue
                data = convert(p.detach())
                if data.dtype == p.dtype and data.device == p.device:
                    continue
                new = Parameter(data, p.requires_grad)
                if p.grad is not None:
                    new.grad = convert(p.grad)
                params[name] = new
            bufs = module._buffers
            for name, b in bufs.items():
                if b is not None:
                    bufs[name] = convert(b)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Casts floating parameters and buffers to a dtype and/or moves them to a device
        (``to(ember.float64)``, ``to("cuda")``, ``to("cuda", ember.float64)``).

        A parameter whose dtype or device changes is replaced by a new ``Parameter`` object, so create
        the optimizer after calling ``to``.
        """
        dtype, device = _to_spec(args, dict(kwargs))
        return self._apply_dtype(dtype, device) if dtype is not None or device is not None else self

    def double(self) -> Module:
        """Casts floating parameters and buffers to float64."""
        return self._apply_dtype(_core.float64)

    def bfloat16(self) -> Module:
        """Casts floating parameters and buffers to bfloat16 (their ops compute in float32 and round each
        result once; optimizers keep float32 state for them)."""
        return self._apply_dtype(_core.bfloat16)

    def float(self) -> Module:
        """Casts floating parameters and buffers to float32."""
        return self._apply_dtype(_core.float32)

    def cpu(self) -> Module:
        """Moves parameters and buffers to the CPU."""
        return self._apply_dtype(None, _core.device("cpu"))

    def cuda(self, device: Any = None) -> Module:
        """Moves parameters and buffers to a CUDA device (cuda:0 by default, or an index)."""
        index = 0 if device is None else device if isinstance(device, int) else _core.device(str(device)).index
        return self._apply_dtype(None, _core.device("cuda", index))

    def type(self, dst_type: Any) -> Module:
        """Casts floating parameters and buffers to ``dst_type``."""
        return self.to(dst_type)

    # --- state dicts ---

    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str, keep_vars: bool) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Tensor]:
        """An ordered dict of every parameter and persistent buffer under its dotted name.

        The values are detached tensors sharing memory with the module (``keep_vars=True`` gives the
        parameters themselves).
        """
        if args:  # PyTorch's positional (destination, prefix, keep_vars)
            destination, *rest = args
            if rest:
                prefix = rest[0]
            if len(rest) > 1:
                keep_vars = rest[1]
        if destination is None:
            destination = OrderedDict()
        for name, module in self.named_modules(prefix=prefix.rstrip(".")):
            module._save_to_state_dict(destination, name + "." if name else "", keep_vars)
        return destination

    def _state_entries(self) -> dict[str, tuple[Module, str, Tensor, bool]]:
        """name -> (module, attribute, current tensor, is parameter) for everything a state dict holds."""
        entries: dict[str, tuple[Module, str, Tensor, bool]] = {}
        for prefix, module in self.named_modules(remove_duplicate=False):
            pre = prefix + "." if prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    entries[pre + name] = (module, name, p, True)
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    entries[pre + name] = (module, name, b, False)
        return entries

    def _run_load_pre_hooks(self, state_dict: Any, strict: bool) -> Any:
        hooked = [(p, m) for p, m in self.named_modules() if m.__dict__.get("_ember_state_hooks")]
        if not hooked:
            return state_dict
        state_dict = dict(state_dict.items())
        for prefix, module in hooked:
            for hook, with_module in list(module.__dict__["_ember_state_hooks"].values()):
                args = (state_dict, prefix + "." if prefix else "", {}, strict, [], [], [])
                hook(module, *args) if with_module else hook(*args)
        return state_dict

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> _IncompatibleKeys:
        """Copies parameters and buffers from ``state_dict`` (values are ember tensors or NumPy arrays).

        Every key, shape and value is validated before anything is written: with ``strict=True`` a missing
        or unexpected key raises, and a shape mismatch always raises (RuntimeError listing every problem
        with both shapes), leaving the module unchanged. Returns ``(missing_keys, unexpected_keys)``.
        Values are cast to each parameter's dtype; ``assign=True`` is not supported.
        """
        if not isinstance(state_dict, dict) and not hasattr(state_dict, "items"):
            raise TypeError(f"[load_state_dict] expected a dict-like state_dict, got {type(state_dict).__name__}")
        if assign:
            raise NotImplementedError("[load_state_dict] assign=True is not supported: values are copied")
        state_dict = self._run_load_pre_hooks(state_dict, strict)
        entries = self._state_entries()
        missing = [k for k in entries if k not in state_dict]
        unexpected = [k for k in state_dict if k not in entries]
        problems: list[str] = []
        if strict:
            if unexpected:
                problems.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                problems.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        sources: dict[str, Tensor] = {}
        for key, (_, _, current, _) in entries.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            src = _as_tensor(value)
            if src is None:
                problems.append(
                    f'While copying the parameter named "{key}", expected a Tensor or NumPy array from '
                    f"checkpoint but received {type(value).__name__}."
                )
                continue
            if tuple(src.shape) != tuple(current.shape):
                problems.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(src.shape)} from checkpoint, "
                    f"the shape in current model is {tuple(current.shape)}."
                )
                continue
            sources[key] = src
        if problems:
            raise RuntimeError(
                f"[load_state_dict] Error(s) in loading state_dict for {self._get_name()}:\n\t" + "\n\t".join(problems)
            )
        with no_grad():
            for key, src in sources.items():
                module, name, current, _ = entries[key]
                current.copy_(src)
        return _IncompatibleKeys(missing, unexpected)

    # --- repr ---

    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The layer's settings shown inside its repr (``in_features=4, out_features=2, bias=True``)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
