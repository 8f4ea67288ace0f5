"""The public API is documented and typed: a docstring on every public function and Tensor method, and
a shipped .pyi stub that names them."""
import inspect
import re
from pathlib import Path

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
