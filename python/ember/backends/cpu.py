"""``ember.backends.cpu``: the instruction set oneDNN dispatches to on this CPU, and whether bfloat16, int8 and
float16 run natively there (``torch.backends.cpu.get_cpu_capability()`` is the PyTorch counterpart).

The capabilities follow the ISA oneDNN actually uses, which ``ONEDNN_MAX_CPU_ISA`` (or ``DNNL_MAX_CPU_ISA``)
can cap below what the CPU has; the raw CPUID flags are in ``info().cpu``. ``python -m ember.backends.cpu``
and ``ember info`` print :func:`report`."""
from __future__ import annotations

import sys
import warnings
from dataclasses import asdict, dataclass, field

from .. import _core

__all__ = ["CpuInfo", "info", "get_cpu_capability", "bf16_supported", "int8_supported", "fp16_supported",
           "summary", "report", "warn_if_emulated", "matmul_seconds"]


@dataclass(frozen=True)
class CpuInfo:
    """What oneDNN runs on this CPU (ember::cpu_info()).

    isa: oneDNN's effective ISA by its enum name ("avx512_core_amx", "avx2", ... "default" off x86).
    max_isa: the ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA cap as set ("" when none).
    bf16_native / int8_native / fp16_native: the ISA has bfloat16 / int8 (VNNI) / float16 dot products.
    amx_bf16 / amx_int8: oneDNN uses AMX tiles. cpu: the CPU's own CPUID flags, whatever the cap."""
    isa: str
    max_isa: str
    bf16_native: bool
    amx_bf16: bool
    int8_native: bool
    amx_int8: bool
    fp16_native: bool
    onednn_version: str
    num_threads: int
    cpu: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def info() -> CpuInfo:
    """The ISA oneDNN dispatches to, what it makes native, and the CPU's raw flags."""
    return CpuInfo(**_core._cpu.info())


def get_cpu_capability() -> str:
    """PyTorch's coarse name for the vector ISA: "AVX512" when oneDNN dispatches to an AVX-512 ISA (AMX
    included), "AVX2" for the AVX2 ones (avx2_vnni included), "DEFAULT" otherwise. ``info().isa`` has the
    exact oneDNN name."""
    isa = info().isa
    if isa.startswith("avx512"):
        return "AVX512"
    if isa.startswith("avx2"):
        return "AVX2"
    return "DEFAULT"


def bf16_supported() -> bool:
    """Whether bfloat16 matrix products are native (AVX512-BF16, AVX2-VNNI-2 or AMX) under oneDNN's ISA."""
    return info().bf16_native


def int8_supported() -> bool:
    """Whether int8 dot products are native (VNNI or AMX) under oneDNN's ISA."""
    return info().int8_native


def fp16_supported() -> bool:
    """Whether float16 arithmetic is native (AVX512-FP16, AMX-FP16 or AVX2-VNNI-2) under oneDNN's ISA."""
    return info().fp16_native


def matmul_seconds(dtype: str, n: int = 256, reps: int = 10) -> float | None:
    """Best seconds per run of a plain oneDNN n x n matmul in dtype ("float32", "bfloat16" with float32
    output, "int8" with int32 output); None when oneDNN has no kernel for dtype on this ISA."""
    s = _core._cpu.matmul_seconds(dtype, n, reps)
    return None if s < 0 else s


def _yes(flag: bool, how: str = "") -> str:
    return ("native" + (f" ({how})" if how else "")) if flag else "not native (emulated or unsupported)"


def summary() -> str:
    """The report as text."""
    i = info()
    cpu_flags = [k for k, v in i.cpu.items() if k != "arch" and v]
    cap = f"{i.max_isa} (ONEDNN_MAX_CPU_ISA)" if i.max_isa else "none"
    lines = [
        f"ember CPU backend: oneDNN {i.onednn_version}, {i.num_threads} threads",
        f"  oneDNN ISA : {i.isa} (capability {get_cpu_capability()})",
        f"  ISA cap    : {cap}",
        f"  bfloat16   : {_yes(i.bf16_native, 'AMX' if i.amx_bf16 else '')}",
        f"  int8       : {_yes(i.int8_native, 'AMX' if i.amx_int8 else 'VNNI')}",
        f"  float16    : {_yes(i.fp16_native)}",
        f"  CPU flags  : {i.cpu.get('arch', '?')}: {' '.join(cpu_flags) or '(none of the listed)'}",
    ]
    hw_bf16 = [k for k in ("amx_bf16", "avx512_bf16") if i.cpu.get(k)]
    hw_int8 = [k for k in ("amx_int8", "avx512_vnni", "avx_vnni") if i.cpu.get(k)]
    lost = [k for k, native in ((hw_bf16, i.bf16_native), (hw_int8, i.int8_native)) if k and not native]
    if lost:
        has = " ".join(f for group in lost for f in group)
        lines.append(f"  note       : the CPU has {has} but oneDNN is capped at {i.isa}"
                     + (f" by ONEDNN_MAX_CPU_ISA={i.max_isa}" if i.max_isa else ""))
    return "\n".join(lines)


def report(file=None) -> None:
    """Prints a human-readable summary of :func:`info`."""
    print(summary(), file=file if file is not None else sys.stdout)


_NATIVE = {"bfloat16": "bf16_native", "int8": "int8_native"}
_warned: set[str] = set()


def warn_if_emulated(dtype_name, consequence: str = "") -> str | None:
    """Warns once per dtype (RuntimeWarning) when ``dtype_name`` ("bfloat16" or "int8", or a dtype object
    whose str ends in one) has no native instructions under oneDNN's ISA, with the measured cost of a
    256x256 matmul against float32, and what the caller does about it (``consequence``). Returns the message, or None when native or already warned. The
    low-precision paths call it before their first oneDNN primitive."""
    name = str(dtype_name).rsplit(".", 1)[-1]
    name = {"bf16": "bfloat16", "qint8": "int8"}.get(name, name)
    if name not in _NATIVE:
        raise ValueError(f"[warn_if_emulated] dtype must be bfloat16 or int8, got {dtype_name!r}")
    if name in _warned:
        return None
    i = info()
    if getattr(i, _NATIVE[name]):
        return None
    _warned.add(name)
    t32 = matmul_seconds("float32", 256, 20)
    tlow = matmul_seconds(name, 256, 20)
    where = f"on this CPU (oneDNN ISA {i.isa}"
    where += f", capped by ONEDNN_MAX_CPU_ISA={i.max_isa})" if i.max_isa else ")"
    if tlow is None:
        msg = (f"{name} matmul has no native instructions {where} and oneDNN has no {name} matmul kernel here: "
               f"it can only run as float32 (measured float32 256x256 matmul: {t32 * 1e6:.0f} us), never faster")
    else:
        ratio = tlow / t32
        cost = (f"measured {ratio:.1f}x slower than float32" if ratio >= 1
                else f"measured {1 / ratio:.1f}x faster than float32, below what native instructions give")
        msg = f"{name} matmul is emulated {where}: {cost} (256x256 matmul)"
    if consequence:
        msg += f"; {consequence}"
    warnings.warn(msg, RuntimeWarning, stacklevel=2)
    return msg


if __name__ == "__main__":
    report()
