"""``ember.backends``: the switches and queries PyTorch scripts set or read under ``torch.backends``.
ember's CPU kernels are oneDNN (``mkldnn``) with OpenMP; it uses no cuDNN and has no MPS backend. The
flags are accepted so that such scripts run; they change nothing in ember, which has no autotuning and
no TF32 math."""
from __future__ import annotations

from types import SimpleNamespace

from .. import _core


def _false() -> bool:
    return False


def _true() -> bool:
    return True


#: cuDNN is not used by ember: is_available() is False; enabled/benchmark/deterministic/allow_tf32 are
#: plain attributes that scripts may set.
cudnn = SimpleNamespace(is_available=_false, version=lambda: None, enabled=True, benchmark=False,
                        deterministic=False, allow_tf32=False)
#: No Apple MPS backend.
mps = SimpleNamespace(is_available=_false, is_built=_false)
#: oneDNN (once named MKL-DNN) runs ember's CPU kernels.
mkldnn = SimpleNamespace(is_available=_true, enabled=True)
#: OpenMP runs ember's CPU threads.
openmp = SimpleNamespace(is_available=_true)
#: CUDA: is_built() says whether this ember was built with its CUDA backend; matmul.allow_tf32 is accepted.
cuda = SimpleNamespace(is_built=_core.cuda.is_built,
                       matmul=SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True),
                       allow_tf32=False)



def __getattr__(name: str):
    # ember.backends.cpu loads on first use, so that `python -m ember.backends.cpu` runs it fresh.
    if name == "cpu":
        import importlib
        return importlib.import_module(".cpu", __name__)
    raise AttributeError(f"module 'ember.backends' has no attribute {name!r}")


__all__ = ["cudnn", "mps", "mkldnn", "openmp", "cuda", "cpu"]
