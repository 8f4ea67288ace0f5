"""ember.backends.cpu: the ISA oneDNN dispatches to, bf16/int8 capabilities, the report, and the once-per-dtype
warning on CPUs (or ISA caps) without native low precision. ONEDNN_MAX_CPU_ISA must be set before oneDNN is
first used, so the capped cases run in a subprocess."""
import json
import os
import subprocess
import sys
import warnings

import pytest

import ember
from ember.backends import cpu

ISAS = {"default", "sse41", "avx", "avx2", "avx2_vnni", "avx2_vnni_2", "avx512_core", "avx512_core_vnni",
        "avx512_core_bf16", "avx512_core_fp16", "avx512_core_amx", "avx512_core_amx_fp16"}


def run_capped(code: str, isa: str = "AVX2") -> subprocess.CompletedProcess:
    env = dict(os.environ, ONEDNN_MAX_CPU_ISA=isa)
    env.pop("DNNL_MAX_CPU_ISA", None)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_info_fields():
    i = cpu.info()
    assert i.isa in ISAS
    assert i.onednn_version.count(".") == 2
    assert i.num_threads == ember.get_num_threads()
    assert isinstance(i.cpu, dict) and "arch" in i.cpu and "amx_bf16" in i.cpu
    d = i.as_dict()
    assert set(d) >= {"isa", "max_isa", "bf16_native", "amx_bf16", "int8_native", "amx_int8", "fp16_native",
                      "onednn_version", "num_threads", "cpu"}
    assert cpu.bf16_supported() == i.bf16_native
    assert cpu.int8_supported() == i.int8_native
    assert cpu.fp16_supported() == i.fp16_native
    if i.amx_bf16:
        assert i.bf16_native and i.cpu["amx_bf16"]
    if i.bf16_native:
        assert i.int8_native
    assert ember.backends.cpu is cpu


def test_get_cpu_capability_matches_isa():
    cap, isa = cpu.get_cpu_capability(), cpu.info().isa
    assert cap in {"AVX512", "AVX2", "DEFAULT"}
    assert cap == ("AVX512" if isa.startswith("avx512") else "AVX2" if isa.startswith("avx2") else "DEFAULT")


def test_matmul_seconds():
    assert cpu.matmul_seconds("float32", 64, 2) > 0
    with pytest.raises(ValueError, match=r"\[cpu_matmul_seconds\].*float64"):
        cpu.matmul_seconds("float64")


def test_report_and_cli(capsys):
    cpu.report()
    out = capsys.readouterr().out
    assert cpu.info().isa in out and "bfloat16" in out and "int8" in out
    from ember import cli
    assert cli.main(["info"]) == 0
    assert cpu.info().isa in capsys.readouterr().out


def test_module_main_prints_report():
    r = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "ember.backends.cpu"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "oneDNN ISA" in r.stdout and cpu.info().isa in r.stdout


def test_warn_if_emulated_native_is_silent():
    i = cpu.info()
    for name, native in (("bfloat16", i.bf16_native), ("int8", i.int8_native)):
        if native:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert cpu.warn_if_emulated(name) is None
    with pytest.raises(ValueError, match="warn_if_emulated"):
        cpu.warn_if_emulated("float64")


def test_capped_isa_turns_off_native_and_warns_once():
    code = """
import json, warnings
from ember.backends import cpu
i = cpu.info()
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    first = cpu.warn_if_emulated("bfloat16")
    again = cpu.warn_if_emulated("bfloat16")
    int8 = cpu.warn_if_emulated("int8")
print(json.dumps({"info": i.as_dict(), "first": first, "again": again, "int8": int8, "summary": cpu.summary(),
                  "warnings": [(x.category.__name__, str(x.message)) for x in w]}))
"""
    r = run_capped(code)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    i = out["info"]
    assert i["isa"] == "avx2" and i["max_isa"] == "AVX2"
    assert not i["bf16_native"] and not i["int8_native"] and not i["amx_bf16"] and not i["fp16_native"]
    assert out["again"] is None
    cats = [c for c, _ in out["warnings"]]
    assert cats == ["RuntimeWarning", "RuntimeWarning"]  # bfloat16 once, int8 once
    bf16_msg, int8_msg = (m for _, m in out["warnings"])
    assert bf16_msg == out["first"] and int8_msg == out["int8"]
    assert "bfloat16" in bf16_msg and "oneDNN ISA avx2" in bf16_msg and "ONEDNN_MAX_CPU_ISA=AVX2" in bf16_msg
    assert "int8 matmul is emulated" in int8_msg and "than float32" in int8_msg and "measured" in int8_msg
    if cpu.info().cpu.get("avx512_bf16") or cpu.info().cpu.get("amx_bf16"):
        assert "capped at avx2" in out["summary"]


def test_capped_avx512_core_bf16_is_emulated():
    # AVX-512 without the BF16 extension: oneDNN emulates bfloat16 (a kernel exists, measured cost given).
    if not cpu.info().cpu.get("avx512f"):
        pytest.skip("needs an AVX-512 CPU")
    r = run_capped("from ember.backends import cpu; import warnings; warnings.simplefilter('error');\n"
                   "print(cpu.info().isa, cpu.bf16_supported())\ntry:\n  cpu.warn_if_emulated('bfloat16')\n"
                   "except RuntimeWarning as e:\n  print(e)", isa="AVX512_CORE")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "avx512_core False"
    assert "bfloat16 matmul is emulated on this CPU (oneDNN ISA avx512_core" in lines[1] and "measured" in lines[1]
