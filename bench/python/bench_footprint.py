#!/usr/bin/env python3
"""What ember costs before any math: import time, peak memory of a training run, and C++ compile time.

Usage::

    PYTHONPATH=python python bench/python/bench_footprint.py [--quick] [--json results.json] [--threads N]

- ``import ember`` beside ``import torch`` and ``import jax``: each in a fresh interpreter (the import
  statement alone is timed, inside the child), the libraries taking turns; median and spread over the runs.
  ``import numpy`` is given for scale (ember loads NumPy only when it is first used).
- Peak resident memory (VmHWM; footprint_worker.py says why not ``ru_maxrss``) of a process that imports one
  library and trains the digits MLP for a few epochs (footprint_worker.py), ember beside PyTorch; the peak
  right after the import is kept too.
- The time for ``g++ -std=c++20 -O2 -fopenmp -c`` of a one-file program that includes ``<ember/ember.hpp>``
  (compile only, no link), with ember's headers from ``ember.get_include()`` (the installed package, or
  the source tree's include/ in a development build: the JSON says which) and the oneDNN, Eigen and
  RapidJSON headers found under this Python's prefix or /usr; one untimed compile, then the median
  of 3. Full runs only (it takes 40-60 s).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_ops import arg_parser, available, ember, fmt, machine_info, spread, write_json

HERE = Path(__file__).resolve().parent
IMPORT_LIBS = ("ember", "torch", "jax", "numpy")
PROGRAM = """#include <ember/ember.hpp>

#include <iostream>

int main() {
  auto a = ember::randn<float>({64, 64});
  std::cout << ember::matmul(a, a).sum().item() << "\\n";
}
"""
# (what, a header that marks its include folder, folders to look in below each prefix)
SYSTEM_INCLUDE_DIRS = ("/usr/include", "/usr/local/include")  # searched by g++ anyway; -I on them breaks #include_next
HEADER_DEPS = (("oneDNN", "oneapi/dnnl/dnnl.hpp", ("include",)), ("Eigen", "Eigen/Core", ("include/eigen3",)),
               ("RapidJSON", "rapidjson/document.h", ("include",)))


def import_seconds(lib: str) -> float:
    """Seconds that `import lib` takes in a fresh interpreter."""
    code = f"import time; t = time.perf_counter(); import {lib}; print(time.perf_counter() - t)"
    # Python's default of caching bytecode, as pip-installed libraries have theirs: without it an editable
    # ember would be compiled from source on every import.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def import_times(runs: int) -> dict:
    """{lib: spread of import seconds} over `runs` fresh interpreters per library, taking turns."""
    libs = available(IMPORT_LIBS)
    samples = {lib: [] for lib in libs}
    for lib in libs:  # untimed: writes the bytecode caches
        import_seconds(lib)
    for _ in range(runs):
        for lib in libs:
            samples[lib].append(import_seconds(lib))
    return {lib: spread(v) for lib, v in samples.items()}


def peak_memory(epochs: int, threads: int) -> dict:
    """{lib: footprint_worker.py's JSON} for the digits MLP trained `epochs` epochs."""
    from sklearn.datasets import load_digits

    d = load_digits()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "digits.npz"
        np.savez(data, x=(d.data / 16.0).astype(np.float32), y=d.target.astype(np.int64))
        result = {}
        for lib in available(("ember", "torch")):
            out = subprocess.run([sys.executable, str(HERE / "footprint_worker.py"), lib, str(data), str(epochs),
                                  str(threads)], check=True, capture_output=True, text=True)
            result[lib] = json.loads(out.stdout)
        return result


def include_dirs() -> tuple[list, dict]:
    """The -I folders for a program that includes <ember/ember.hpp>, and where each came from."""
    try:
        ember.get_cmake_dir()
        source = "installed package (ember.get_include())"
    except FileNotFoundError:
        source = "source tree include/ (ember's CMake package is not installed)"
    dirs, found = [ember.get_include()], {"ember": source}
    prefixes = [Path(sys.prefix), Path("/usr/local"), Path("/usr")]
    for name, marker, subdirs in HEADER_DEPS:
        hit = next((prefix / sub for prefix in prefixes for sub in subdirs if (prefix / sub / marker).is_file()), None)
        found[name] = str(hit) if hit else None
        if hit and str(hit) not in dirs and str(hit) not in SYSTEM_INCLUDE_DIRS:
            dirs.append(str(hit))
    return dirs, found


def compile_time(runs: int = 3) -> dict:
    """Seconds to compile PROGRAM with g++ -O2 (spread over `runs` compiles after one untimed one that
    brings the headers into the page cache), the command, and where its headers came from."""
    cxx = os.environ.get("CXX") or shutil.which("g++")
    dirs, found = include_dirs()
    if not cxx:
        return {"skipped": "no g++ (or $CXX) found", "headers": found}
    missing = [name for name, where in found.items() if where is None]
    if missing:
        return {"skipped": f"headers not found: {', '.join(missing)}", "headers": found}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "uses_ember.cpp"
        src.write_text(PROGRAM)
        cmd = [cxx, "-std=c++20", "-O2", "-fopenmp", "-c", str(src), "-o", str(Path(tmp) / "uses_ember.o")]
        cmd += [f"-I{d}" for d in dirs]
        seconds = []
        for _ in range(runs + 1):
            t0 = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True)
            seconds.append(time.perf_counter() - t0)
            if done.returncode != 0:
                return {"skipped": f"compile failed: {done.stderr.strip().splitlines()[-1:]}", "headers": found,
                        "command": " ".join(cmd)}
    return {"seconds": spread(seconds[1:]), "command": " ".join(cmd), "headers": found}


def run(quick: bool, threads: int) -> dict:
    imports = import_times(3 if quick else 10)
    epochs = 1 if quick else 5
    memory = peak_memory(epochs, threads)
    compiled = {"skipped": "full runs only"} if quick else compile_time()
    rows = [{"workload": "import time", "unit": "ms", "peers": ["torch", "jax"], "spread": {},
             "numpy_floor": imports.get("numpy", {}).get("median", 0) * 1e3}]
    for lib in ("ember", "torch", "jax"):
        if lib in imports:
            st = imports[lib]
            rows[0][lib] = st["median"] * 1e3
            rows[0]["spread"][lib] = {"p10": st["p10"] * 1e3, "p90": st["p90"] * 1e3, "n": st["n"]}
    rows.append({"workload": f"peak RSS, digits MLP training ({epochs} epochs)", "unit": "MB",
                 **{lib: m["peak_mb"] for lib, m in memory.items()},
                 "after_import": {lib: m["peak_mb_after_import"] for lib, m in memory.items()},
                 "final_loss": {lib: m["final_loss"] for lib, m in memory.items()}})
    row = {"workload": "compile #include <ember/ember.hpp> (g++ -O2 -c)", "unit": "s"}
    if "seconds" in compiled:
        st = compiled["seconds"]
        row["ember"] = st["median"]
        row["spread"] = {"ember": {"p10": st["p10"], "p90": st["p90"], "n": st["n"]}}
    else:
        row["skipped"] = compiled["skipped"]
    rows.append(row)
    return {"machine": machine_info(threads), "quick": quick, "rows": rows, "compile": compiled}


def print_table(result: dict) -> None:
    print("# import: median ms in a fresh interpreter; peak RSS: MB (VmHWM); compile: s")
    head = f"{'workload':<56}{'ember':>10}{'torch':>10}{'jax':>10}  note"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        note = r.get("skipped", "")
        if "numpy_floor" in r:
            note = f"numpy alone {r['numpy_floor']:.0f} ms"
        if "after_import" in r:
            note = "after import: " + ", ".join(f"{lib} {mb:.0f} MB" for lib, mb in r["after_import"].items())
        print(f"{r['workload']:<56}{fmt(r.get('ember'), prec=1)}{fmt(r.get('torch'), prec=1)}"
              f"{fmt(r.get('jax'), prec=1)}  {note}")
    headers = result["compile"].get("headers")
    if headers:
        print(f"# compile headers: {headers}")


def main(argv=None) -> int:
    args = arg_parser(__doc__, "a short run: 3 imports each, 1 epoch, no compile").parse_args(argv)
    result = run(args.quick, args.threads)
    print_table(result)
    write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
