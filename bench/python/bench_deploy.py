#!/usr/bin/env python3
"""Inference of the digits CNN: ember's C++ deploy path beside PyTorch eager and onnxruntime, in one run.

Usage::

    python bench/python/bench_deploy.py [--quick] [--json results.json] [--threads N]

(with ember pip-installed, e.g. ``.venv/bin/python`` after ``make setup``: the C++ program is built
against the installed package). The model is the demo's CNN (examples/demo.py) in evaluation mode,
with the same weights everywhere:

- ember: ``examples/deploy`` (C++, ``ember::deploy::load`` + ``forward``) on the file that
  ``ember.deploy.export`` wrote, timed inside the program (``--bench``: one call per sample);
- PyTorch: the same layers in ``torch.nn``, eager, under ``torch.inference_mode()``;
- onnxruntime: ``ember.onnx.export``'s model in an ``InferenceSession`` (CPU provider).

Batch 1 and batch 256 of real digit images, float32, the same thread count for all three (oneDNN's
OpenMP, torch.set_num_threads, intra_op_num_threads). Each runs in a process of its own, taking turns
over several rounds; a figure is the median over the rounds of each process's median time per call.
Targets at batch 1: ember <= 0.5x PyTorch eager and <= 1.0x onnxruntime. Also printed: the wall time
to configure and build the C++ example from scratch (``--quick``: to bring an existing build up to
date), and the size of its binary.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_ops import arg_parser, ember, fmt, machine_info, measure, torch, write_json

ROOT = Path(__file__).resolve().parents[2]
BATCHES = (1, 256)
TARGETS = {("torch", 1): 0.5, ("onnxruntime", 1): 1.0, ("onnxruntime", 256): 1.0}  # batch 256: the real-data issue


def digits_model():
    """The demo CNN with seeded weights and non-trivial batch-norm statistics."""
    sys.path.insert(0, str(ROOT / "examples"))
    import demo

    ember.manual_seed(0)
    model = demo.make_model()
    with ember.no_grad():
        for _ in range(3):
            model(ember.randn(32, 1, 8, 8) + 0.5)
    return model.eval()


def images(n: int) -> np.ndarray:
    from sklearn.datasets import load_digits

    x = (load_digits().images / 16.0).astype(np.float32)[:, None]
    return np.ascontiguousarray(np.concatenate([x] * (n // len(x) + 1))[:n])


def torch_model(state: dict):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(512, 64), nn.ReLU(), nn.Linear(64, 10))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return model.eval()


def build_program(quick: bool) -> tuple[Path, float, int, str]:
    """Builds examples/deploy; returns the binary, the seconds it took, its size and how it was built.

    A full run configures and builds from scratch in build/bench/deploy_example (the build time is a
    figure of the report). A quick run reuses a configured build folder when there is one (`make demo`'s
    build/deploy, else the previous run's): cmake --build only recompiles what changed.
    """
    cmake = shutil.which("cmake", path=str(Path(sys.executable).parent)) or shutil.which("cmake")
    build = ROOT / "build" / "bench" / "deploy_example"
    reused = [b for b in (ROOT / "build" / "deploy", build) if (b / "CMakeCache.txt").exists()] if quick else []
    if reused:
        build = reused[0]
    else:
        shutil.rmtree(build, ignore_errors=True)
    t0 = time.perf_counter()
    subprocess.run([cmake, "-S", ROOT / "examples" / "deploy", "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                    f"-Dember_DIR={ember.get_cmake_dir()}"], check=True, capture_output=True)
    subprocess.run([cmake, "--build", build, "-j2"], check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    binary = build / "deploy"
    how = f"incremental build in {build.relative_to(ROOT)}" if reused else "configure + build from scratch"
    return binary, seconds, binary.stat().st_size, how


def prepare(work: Path) -> None:
    """Writes model.ember, model.onnx, weights.npz and data.safetensors into work."""
    model = digits_model()
    x = ember.from_numpy(images(256))
    ember.deploy.export(model, x[:8], work / "model.ember")
    ember.onnx.export(model, x[:8], work / "model.onnx")
    np.savez(work / "weights.npz", **{k: v.numpy() for k, v in model.state_dict().items()})
    ember.save({"x": x}, work / "data.safetensors")
    with ember.no_grad():
        np.save(work / "expected.npy", model(x).numpy())


def check_agree(work: Path, program: Path, threads: int) -> None:
    """Refuses to time implementations whose outputs differ from the Python model's."""
    want = np.load(work / "expected.npy")
    subprocess.run([program, work / "model.ember", work / "data.safetensors", "--out", work / "out.safetensors"],
                   check=True, capture_output=True, env=_env(threads))
    outputs = {"ember": ember.load(work / "out.safetensors")["output"].numpy()}
    for lib in ("torch", "onnxruntime"):
        fn = _forward(lib, work, threads)
        outputs[lib] = fn(images(256))
    for lib, got in outputs.items():
        if got is not None and not np.allclose(got, want, rtol=1e-4, atol=1e-4):
            raise SystemExit(f"{lib}'s outputs differ from ember's Python model: max abs diff "
                             f"{np.max(np.abs(got - want)):.3g}")


def _forward(lib: str, work: Path, threads: int):
    """A function numpy batch -> numpy logits running the model in lib (None when lib is missing)."""
    if lib == "torch":
        if torch is None:
            return None
        torch.set_num_threads(threads)
        model = torch_model(dict(np.load(work / "weights.npz")))

        def run(x):
            with torch.inference_mode():
                return model(torch.from_numpy(x)).numpy()
        return run
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(str(work / "model.onnx"), opts, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})[0]


def _env(threads: int) -> dict:
    return dict(os.environ, OMP_NUM_THREADS=str(threads))


def worker(lib: str, work: Path, threads: int, repeat: int, target_s: float) -> dict:
    fn = _forward(lib, work, threads)
    if fn is None:
        return {}
    return {str(b): measure({lib: (lambda x=images(b): fn(x))}, None, repeat, target_s)[lib] for b in BATCHES}


def time_cpp(program: Path, work: Path, threads: int, reps: int) -> dict:
    run = subprocess.run([program, work / "model.ember", work / "data.safetensors", "--bench", str(reps)],
                         check=True, capture_output=True, text=True, env=_env(threads))
    found = re.findall(r"^bench batch=(\d+) median_us=([0-9.]+)", run.stdout, re.M)
    return {b: float(us) * 1e-6 for b, us in found}


def run(quick: bool, threads: int, work: Path) -> dict:
    program, build_s, size, how = build_program(quick)
    prepare(work)
    check_agree(work, program, threads)
    rounds, repeat, target_s, reps = (2, 3, 0.05, 100) if quick else (5, 7, 0.2, 1000)
    samples = {lib: {str(b): [] for b in BATCHES} for lib in ("ember", "torch", "onnxruntime")}
    for _ in range(rounds):
        for b, t in time_cpp(program, work, threads, reps).items():
            samples["ember"][b].append(t)
        for lib in ("torch", "onnxruntime"):
            out = subprocess.run([sys.executable, __file__, "--worker", lib, "--work", str(work), "--threads",
                                  str(threads), "--repeat", str(repeat), "--target-s", str(target_s)],
                                 check=True, capture_output=True, text=True)
            for b, t in json.loads(out.stdout).items():
                samples[lib][b].append(t)
    rows = []
    for b in BATCHES:
        row = {"workload": f"digits CNN, batch {b}", "batch": b}
        for lib, per in samples.items():
            if per[str(b)]:
                row[lib] = statistics.median(per[str(b)]) * 1e6
        for peer in ("torch", "onnxruntime"):
            if "ember" in row and peer in row:
                row[f"ratio_ember_{peer}"] = row["ember"] / row[peer]
                row[f"target_ember_{peer}"] = TARGETS.get((peer, b))
        rows.append(row)
    info = machine_info(threads)
    try:
        import onnxruntime
        info["onnxruntime"] = onnxruntime.__version__
    except ImportError:
        info["onnxruntime"] = None
    return {"machine": info, "quick": quick, "rows": rows,
            "cpp_example": {"build_seconds": build_s, "build": how, "binary_bytes": size}}


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; torch {m['torch']}, onnxruntime "
          f"{m['onnxruntime']}, ember {m['ember']}")
    print("# inference, float32, median microseconds per forward call; ember = the C++ deploy path "
          "(examples/deploy); ratio < 1: ember faster")
    head = f"{'workload':<24}{'ember':>10}{'torch':>10}{'onnxrt':>10}{'ember/torch':>13}{'ember/onnxrt':>14}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        print(f"{r['workload']:<24}{fmt(r.get('ember'), prec=1)}{fmt(r.get('torch'), prec=1)}"
              f"{fmt(r.get('onnxruntime'), prec=1)}{fmt(r.get('ratio_ember_torch'), 13)}"
              f"{fmt(r.get('ratio_ember_onnxruntime'), 14)}")
    print("# targets: at batch 1 ember/torch <= 0.50 and ember/onnxrt <= 1.00; at batch 256 ember/onnxrt <= 1.00")
    c = result["cpp_example"]
    print(f"# examples/deploy: {c['build']} {c['build_seconds']:.1f} s (-j2), "
          f"binary {c['binary_bytes'] / 1e6:.2f} MB")


def main(argv=None) -> int:
    p = arg_parser(__doc__, "a short run: fewer rounds and repetitions")
    p.add_argument("--worker", choices=["torch", "onnxruntime"], help="internal: time one library")
    p.add_argument("--work", help="internal: the folder with the exported model")
    p.add_argument("--repeat", type=int, default=7, help="internal")
    p.add_argument("--target-s", type=float, default=0.2, help="internal")
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.work), args.threads, args.repeat, args.target_s)))
        return 0
    with tempfile.TemporaryDirectory() as work:
        result = run(args.quick, args.threads, Path(work))
    print_table(result)
    write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
