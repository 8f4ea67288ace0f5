"""The public API is documented and typed: a docstring on every public function and Tensor method, and
a shipped .pyi stub that names them."""
import inspect
import re
from pathlib import Path

import pytest

import ember

PACKAGE = Path(ember.__file__).resolve().parent


def public_callables():
    for name in dir(ember):
        obj = getattr(ember, name)
        if not name.startswith("_") and callable(obj) and not inspect.isclass(obj) and not inspect.ismodule(obj):
            yield name, obj


def doc_text(name, obj) -> str:
    """The docstring without the signature lines that pybind11 adds."""
    lines = (getattr(obj, "__doc__", None) or "").splitlines()
    keep = [ln for ln in lines if ln.strip() and not re.match(rf"^\s*(\d+\.\s*)?{name}\(.*\)\s*->", ln)
            and ln.strip() != "Overloaded function."]
    return "\n".join(keep).strip()


def test_every_public_function_has_a_docstring():
    missing = [name for name, obj in public_callables() if not doc_text(name, obj)]
    assert not missing, f"functions without a docstring: {missing}"


def test_every_tensor_method_has_a_docstring():
    missing = []
    for name in dir(ember.Tensor):
        if name.startswith("_"):
            continue
        obj = getattr(ember.Tensor, name)
        if not doc_text(name, obj):
            missing.append(name)
    assert not missing, f"Tensor methods without a docstring: {missing}"


def test_stub_ships_and_names_the_api():
    stub = PACKAGE / "_core.pyi"
    assert stub.is_file(), "python/ember/_core.pyi is missing"
    text = stub.read_text()
    for name, _ in public_callables():
        if getattr(ember._core, name, None) is not None:
            assert f"def {name}(" in text or re.search(rf"^{name}\b.*[:=]", text, re.M), f"{name} is not in the stub"
    assert (PACKAGE / "py.typed").is_file()


def nn_public_objects():
    """Every public function and class of ember.nn, ember.nn.functional, ember.nn.init and
    ember.nn.utils, and the public methods those classes define themselves."""
    from ember import nn

    for mod in (nn, nn.functional, nn.init, nn.utils):
        for name in getattr(mod, "__all__", dir(mod)):
            obj = getattr(mod, name)
            if name.startswith("_") or inspect.ismodule(obj) or not callable(obj):
                continue
            yield f"{mod.__name__}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and callable(member) and attr != "extra_repr":
                        yield f"{mod.__name__}.{name}.{attr}", member


def test_every_public_nn_function_and_class_has_a_docstring():
    missing = [name for name, obj in nn_public_objects() if not (obj.__doc__ or "").strip()]
    assert not missing, f"ember.nn objects without a docstring: {missing}"
    assert len(list(nn_public_objects())) > 100


def test_import_ember_leaves_numpy_deploy_and_onnx_unimported():
    """`import ember` stays fast: NumPy, the exporter and ONNX load on first use (ember.deploy, .numpy())."""
    import subprocess
    import sys

    code = ("import sys, ember; print(sorted(m for m in ('numpy', 'ember.deploy', 'ember.onnx') if m in sys.modules)); "
            "ember.deploy; print(ember.ones(2).numpy().sum())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "2.0"]


def test_import_bounds_openmp_spinning_unless_the_user_chose():
    """ember sets GOMP_SPINCOUNT=10000 before libgomp loads (README: Several processes), never over a user's
    OMP_WAIT_POLICY or GOMP_SPINCOUNT."""
    import os
    import subprocess
    import sys

    code = "import os, ember; print(os.environ.get('GOMP_SPINCOUNT'))"
    base = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}

    def spin(**env):
        return subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True,
                              check=True).stdout.strip()

    assert spin() == "10000"
    assert spin(GOMP_SPINCOUNT="500") == "500"
    assert spin(OMP_WAIT_POLICY="active") == "None"


def test_finfo_and_iinfo_match_torch():
    torch = pytest.importorskip("torch")
    for e, t in [(ember.float32, torch.float32), (ember.float64, torch.float64), (ember.bfloat16, torch.bfloat16)]:
        fe, ft = ember.finfo(e), torch.finfo(t)
        assert repr(fe) == repr(ft)
        assert (fe.bits, fe.eps, fe.max, fe.min, fe.tiny, fe.smallest_normal, fe.resolution, fe.dtype) == (
            ft.bits, ft.eps, ft.max, ft.min, ft.tiny, ft.smallest_normal, ft.resolution, ft.dtype)
    assert repr(ember.finfo()) == repr(torch.finfo())
    for e, t in [(ember.uint8, torch.uint8), (ember.int8, torch.int8), (ember.int32, torch.int32),
                 (ember.int64, torch.int64)]:
        ie, it = ember.iinfo(e), torch.iinfo(t)
        assert (repr(ie), ie.bits, ie.min, ie.max, ie.dtype) == (repr(it), it.bits, it.min, it.max, it.dtype)
    # the attention-mask idiom: the most negative float of a tensor's dtype
    x = ember.zeros(2, dtype=ember.float64)
    assert x.masked_fill(ember.tensor([True, False]), ember.finfo(x.dtype).min).tolist()[0] == -1.7976931348623157e308
    with pytest.raises(TypeError, match="expected an integer dtype, got ember.bool"):
        ember.iinfo(ember.bool)
    with pytest.raises(TypeError, match="expected a floating dtype, got ember.int32"):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError, match="expected an ember dtype"):
        ember.finfo("float32")
