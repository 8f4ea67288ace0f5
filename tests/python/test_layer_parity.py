"""One definition, two languages: every public layer of ``ember.nn`` and function of
``ember.nn.functional`` has a C++ counterpart, and both give the same outputs, gradients and state_dict.

tests/parity/ is a C++ program built against the installed package. For each case below this test builds
the Python layer, runs it forward and backward, writes its options, state_dict, inputs and output
gradients to a safetensors file, and has the C++ twin (registered under the same name in
tests/parity/cases_*.cpp) do the same from that file. Both run in float64.
"""
from __future__ import annotations

import inspect
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn import functional as F
from _cpp_examples import build_example

PARITY = Path(__file__).resolve().parents[1] / "parity"

# Public names of ember.nn whose C++ counterpart is not a layer with a parity case: (C++ name, why).
STRUCTURAL = {
    "Module": "ember::nn::Module<T> (tests/cpp/test_nn.cpp)",
    "Parameter": "Module<T>::register_parameter: a C++ parameter is a registered leaf Tensor<T>",
    "Sequential": "ember::nn::Sequential<T> (tests/cpp/test_nn.cpp)",
    "ModuleList": "ember::nn::ModuleList<T> (tests/cpp/test_nn.cpp)",
    "ModuleDict": "ember::nn::ModuleDict<T> (tests/cpp/test_nn.cpp)",
}


@dataclass
class Case:
    name: str                      # the ember.nn class ("Linear") or "F.<function>"
    opts: dict = field(default_factory=dict)      # constructor (or functional keyword) arguments
    inputs: dict = field(default_factory=dict)    # name -> shape (float64 randn) or a numpy array
    train: bool = True             # the module's mode
    call: dict = field(default_factory=dict)      # extra keyword arguments of forward (both languages)

    @property
    def id(self) -> str:
        return self.name + "(" + ", ".join(f"{k}={v!r}" for k, v in {**self.opts, **self.call}.items()) + ")"


def _ints(shape, high, seed=0):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(np.int64)


CASES = [
    Case("ReLU", inputs={"x": (3, 4)}),
    Case("GELU", inputs={"x": (3, 4)}),
    Case("GELU", {"approximate": "tanh"}, {"x": (3, 4)}),
    Case("Tanh", inputs={"x": (3, 4)}),
    Case("Sigmoid", inputs={"x": (3, 4)}),
    Case("SiLU", inputs={"x": (3, 4)}),
    Case("Flatten", inputs={"x": (2, 3, 4)}),
    Case("Flatten", {"start_dim": 0, "end_dim": 1}, {"x": (2, 3, 4)}),
    Case("Linear", {"in_features": 4, "out_features": 3}, {"x": (5, 4)}),
    Case("Linear", {"in_features": 4, "out_features": 3, "bias": False}, {"x": (2, 5, 4)}),
    Case("Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3}, {"x": (2, 2, 6, 5)}),
    Case("Conv2d", {"in_channels": 4, "out_channels": 2, "kernel_size": (3, 2), "stride": 2, "padding": 1,
                    "groups": 2, "bias": False}, {"x": (1, 4, 7, 6)}),
    Case("BatchNorm2d", {"num_features": 3}, {"x": (4, 3, 2, 2)}),
    Case("BatchNorm2d", {"num_features": 3, "momentum": 0.3}, {"x": (4, 3, 2, 2)}, train=False),
    Case("LayerNorm", {"normalized_shape": (4,)}, {"x": (3, 4)}),
    Case("LayerNorm", {"normalized_shape": (3, 4), "elementwise_affine": False}, {"x": (2, 3, 4)}),
    Case("MaxPool2d", {"kernel_size": 2}, {"x": (2, 3, 4, 4)}),
    Case("AvgPool2d", {"kernel_size": 2}, {"x": (2, 3, 4, 6)}),
    Case("AdaptiveAvgPool2d", {"output_size": (2, 3)}, {"x": (2, 3, 5, 7)}),
    Case("F.linear", inputs={"input": (3, 4), "weight": (2, 4), "bias": (2,)}),
    Case("F.softmax", {"dim": 1}, {"input": (3, 4)}),
    Case("F.log_softmax", {"dim": 0}, {"input": (3, 4)}),
]


@pytest.fixture(scope="module")
def parity_exe(tmp_path_factory) -> Path:
    if os.environ.get("EMBER_PARITY_EXE"):  # a build of tests/parity to reuse while editing the cases
        return Path(os.environ["EMBER_PARITY_EXE"])
    build = build_example(PARITY, tmp_path_factory.mktemp("parity") / "build")
    return build / "layer_parity"


def _registered(exe: Path) -> set[str]:
    out = subprocess.run([exe, "--list"], capture_output=True, text=True, timeout=60, check=True).stdout
    return set(out.split())


def test_every_public_layer_and_function_has_a_cpp_counterpart(parity_exe):
    registered = _registered(parity_exe)
    classes = {n for n in nn.__all__ if inspect.isclass(getattr(nn, n))}
    missing = sorted(classes - registered - set(STRUCTURAL))
    assert not missing, f"ember.nn classes without a C++ counterpart (tests/parity/cases_*.cpp): {missing}"
    missing_f = sorted(f"F.{n}" for n in F.__all__ if f"F.{n}" not in registered)
    assert not missing_f, f"ember.nn.functional functions without a C++ counterpart: {missing_f}"
    # and the census is not hollow: every registered case runs below
    untested = sorted(registered - {c.name for c in CASES})
    assert not untested, f"C++ parity cases that no Python case runs: {untested}"


def _literal(v: Any) -> str:
    return repr(tuple(v)) if isinstance(v, list) else repr(v)


def _python_run(case: Case, arrays: dict[str, np.ndarray]):
    """(module or None, its state_dict before the forward as numpy, the inputs, the outputs)."""
    inputs = {}
    for k, a in arrays.items():
        t = ember.tensor(a)
        if t.is_floating_point():
            t.requires_grad_(True)
        inputs[k] = t
    module, initial = None, {}
    if case.name.startswith("F."):
        outs = getattr(F, case.name[2:])(*inputs.values(), **case.opts, **case.call)
    else:
        cls = getattr(nn, case.name)
        takes_dtype = "dtype" in inspect.signature(cls.__init__).parameters
        module = cls(**case.opts, dtype=ember.float64) if takes_dtype else cls(**case.opts).double()
        module.train(case.train)
        initial = {k: np.array(v.detach().numpy(), order="C", copy=True) for k, v in module.state_dict().items()}
        outs = module(*inputs.values(), **case.call)
    outs = list(outs) if isinstance(outs, tuple) else [outs]
    return module, initial, inputs, outs


def _check(name: str, got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape, f"{name}: C++ shape {got.shape}, Python shape {want.shape}"
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_cpp_and_python_layers_agree(case, parity_exe, tmp_path):
    from safetensors.numpy import load_file, save_file

    rng = np.random.default_rng(0)
    arrays = {k: (rng.standard_normal(v) if isinstance(v, tuple) else v) for k, v in case.inputs.items()}
    module, initial, inputs, outs = _python_run(case, arrays)
    grads_out = [rng.standard_normal(tuple(o.shape)) if o is not None and o.is_floating_point() else None
                 for o in outs]
    total = None
    for o, g in zip(outs, grads_out):
        if o is not None and o.requires_grad:
            term = (o * ember.tensor(g)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()

    tensors = {f"input.{k}": a for k, a in arrays.items()}
    tensors.update({f"grad_output.{i}": g for i, g in enumerate(grads_out) if g is not None})
    tensors.update({f"state.{k}": v for k, v in initial.items()})
    meta = {"case": case.name, **{f"opt.{k}": _literal(v) for k, v in {**case.opts, **case.call}.items()}}
    if module is not None:
        meta["opt.training"] = repr(case.train)
    save_file(tensors, str(tmp_path / "case.safetensors"), metadata=meta)

    run = subprocess.run([parity_exe, tmp_path / "case.safetensors", tmp_path / "out.safetensors"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"C++ {case.name} failed: {run.stderr}"
    res = load_file(str(tmp_path / "out.safetensors"))

    for i, o in enumerate(outs):
        if o is not None:
            _check(f"output {i}", res[f"output.{i}"], o.detach().numpy())
    for k, t in inputs.items():
        if t.is_floating_point() and t.grad is not None:
            _check(f"grad of input {k}", res[f"grad.input.{k}"], t.grad.numpy())
    if module is not None:
        for k, p in module.named_parameters():
            if p.grad is not None:
                _check(f"grad of {k}", res[f"grad.param.{k}"], p.grad.numpy())
        cpp_state = {k[6:]: v for k, v in res.items() if k.startswith("state.")}
        assert sorted(cpp_state) == sorted(module.state_dict()), "state_dict keys differ"
        for k, v in module.state_dict().items():
            _check(f"state {k}", cpp_state[k].astype(np.float64), np.asarray(v.detach().numpy(), dtype=np.float64))
