"""ember: tensors on oneDNN and Eigen with PyTorch's names, and a C++ core you can deploy.

>>> import ember
>>> x = ember.arange(6, dtype=ember.float32).reshape(2, 3)
>>> x.shape
ember.Size([2, 3])
"""
from __future__ import annotations

import os as _os
from pathlib import Path

# OpenMP threads that finish an op spin before they sleep: GNU libgomp's default is 300,000 turns, some
# 15 ms on current Xeons, so on a machine with more busy threads than cores every op waits for a spinning
# partner's time slice (measured: a 2-thread CNN step ~8x slower than 1 thread beside other jobs). 10,000
# turns (~0.5 ms) keep the team hot between the ops of a training loop and let it sleep when the machine is
# busy or the loop pauses. Read when libgomp loads (with _core, just below); a user's own
# OMP_WAIT_POLICY or GOMP_SPINCOUNT wins. Worker processes and MPI ranks inherit it.
if "OMP_WAIT_POLICY" not in _os.environ:
    _os.environ.setdefault("GOMP_SPINCOUNT", "10000")

try:
    from . import _core
except ImportError as _e:
    # The binary wheel links two shared libraries it does not carry: oneDNN's libdnnl.so.3 (the onednn-cpu-gomp
    # package, found through the module's RPATH in <prefix>/lib) and GNU OpenMP's libgomp.so.1, which that
    # libdnnl needs too (one OpenMP runtime in the process).
    if "libgomp.so" in str(_e):
        raise ImportError("ember needs the GNU OpenMP runtime libgomp.so.1: install it (`apt install libgomp1`, "
                          f"`dnf install libgomp`, `apk add libgomp`) ({_e})") from _e
    if "libdnnl.so" in str(_e):
        raise ImportError("ember needs oneDNN's libdnnl.so.3 from the onednn-cpu-gomp package in the same "
                          f"environment: `pip install onednn-cpu-gomp==2023.2.0` ({_e})") from _e
    raise
from ._core import *  # noqa: F401,F403 - the op functions, dtypes and Tensor
from ._core import Tensor, _to_numpy
from ._repr import set_printoptions, tensor_repr as _tensor_repr
from ._size import Size
from ._dtype_info import finfo, float16, half, iinfo
from ._tensor_api import *  # noqa: F401,F403 - module-level forms of tensor methods, the random *_like
from . import accelerator, backends
from . import autograd, jit, utils
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from . import amp
from .amp import autocast, get_autocast_dtype, is_autocast_available, is_autocast_enabled
from ._settings import *  # noqa: F401,F403 - set_float32_matmul_precision, compile, get_default_dtype, ...
from . import metrics, optim
from . import linalg  # ops1: ember.linalg.vector_norm / matrix_norm / norm
from .linalg import det, inverse, logdet, slogdet  # torch's top-level names
from . import nn
from . import datasets  # idx: ember.datasets.MNIST / FashionMNIST (reads nothing at import)
from .serialization import load, save

__version__: str = _core.__version__  # EMBER_VERSION_STRING of include/ember/version.hpp

Tensor.__repr__ = _tensor_repr
Tensor.__str__ = _tensor_repr
Tensor.__array_priority__ = 1000  # numpy scalars defer to ember's operators
_core._set_size_type(Size)


def _threads_from_env() -> None:
    """EMBER_NUM_THREADS=n sizes ember's thread pool at import (OMP_NUM_THREADS, read by OpenMP, also
    sizes other OpenMP libraries in the process); docs/data_loading.md says how to choose n."""
    import builtins
    import os

    value = os.environ.get("EMBER_NUM_THREADS", "").strip()
    if value:
        if not value.isdigit() or builtins.int(value) < 1:  # ember.int, a dtype, shadows int here
            import warnings

            warnings.warn(f"EMBER_NUM_THREADS should be a positive integer, got {value!r}; ignored", stacklevel=3)
            return
        _core.set_num_threads(builtins.int(value))


_threads_from_env()


def _package_dir() -> Path:
    # The compiled module and the installed headers sit together in site-packages/ember, also for an
    # editable install, where this file stays in the source tree.
    return Path(_core.__file__).resolve().parent


def get_include() -> str:
    """The folder holding ember's C++ headers (``<ember/ember.hpp>``) in this installation."""
    path = _package_dir() / "include"
    if not path.is_dir():  # a development build run from the source tree
        path = Path(__file__).resolve().parents[2] / "include"
    return str(path)


def get_cmake_dir() -> str:
    """The folder holding ``emberConfig.cmake``: pass it as ``-Dember_DIR=...`` to CMake."""
    path = _package_dir() / "share" / "cmake" / "ember"
    if not path.is_dir():
        raise FileNotFoundError(
            f"ember's CMake package is not installed beside {_core.__file__}; install ember with pip "
            "(pip install .) to get it"
        )
    return str(path)


# ember.cuda (as torch.cuda): is_available(), device_count(), unavailable_reason(), synchronize(),
# manual_seed(), memory_allocated(), memory_reserved(), empty_cache(), OutOfMemoryError (a MemoryError).
cuda = _core.cuda


def __getattr__(name: str):
    """``ember.deploy``, ``ember.distributed``, ``ember.onnx``, ``ember.quantization`` and ``ember.transforms`` on
    first use (``ember.onnx`` imports the optional ``onnx`` package), so that ``import ember`` stays fast for code
    that does not need them."""
    if name in ("deploy", "distributed", "distributions", "onnx", "quantization", "transforms"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'ember' has no attribute {name!r}")
