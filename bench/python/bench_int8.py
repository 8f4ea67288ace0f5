#!/usr/bin/env python3
"""int8 deployment of the Fashion-MNIST CNN: ember's C++ deploy program on the int8 file beside its float32
file, onnxruntime on the same quantized model (ONNX QDQ) and PyTorch eager float32, in one run.

Usage::

    python bench/python/bench_int8.py [--quick] [--json results.json] [--threads N] [--smoke]

The model is the demo's CNN for 28x28 images (``demo.make_model(28)``, examples/demo.py): the weights of
``make demo``'s checkpoint (build/demo/fashion.safetensors) when there is one, else trained here for one epoch
(``demo.train``); the output says which. ``ember.quantization.quantize(model, <256 training images>,
method="percentile")`` quantizes it, and four files are written: model.ember (float, ``ember.deploy.export``),
model.int8.ember (``qmodel.save``), model.onnx and model.int8.onnx (``ember.onnx.export``).

Timed at batch 1 and 256 of Fashion-MNIST test images, the same thread count for all:

- ember: ``examples/deploy`` (C++, ``--bench N``: the median of N forward calls) on each ``.ember`` file, built
  as bench_deploy.py builds it (incrementally; from the source tree's CMake package when ember is not
  pip-installed);
- onnxruntime: an ``InferenceSession`` (CPU provider) on each ONNX file;
- PyTorch: the same layers in ``torch.nn``, eager float32 (no int8 row: PyTorch's eager int8 is another model).

Each library runs in a process of its own, taking turns over several rounds; a figure is the median over the
rounds. Also measured: the top-1 accuracy on the 10,000 test images of float32 ember, int8 ember (the Python
``qmodel``), int8 through the C++ deploy program (``--mnist default``) and int8 onnxruntime. Targets (issue 25),
at batch 256: ember int8 <= 0.5x ember float32 and <= 1.0x onnxruntime int8; int8 loses <= 1.0 point.

``--smoke`` checks the script itself in seconds: a random-init model, random images, no C++ build (ember is
timed in its Python binding of the same runtime, ``ember.deploy.load``), no accuracy.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import bench_deploy
from bench_ops import arg_parser, ember, fmt, machine_info, measure, torch, write_json

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT = ROOT / "build" / "demo" / "fashion.safetensors"
BATCHES = (1, 256)
PRECISIONS = ("float32", "int8", "int8-ort")  # int8-ort: onnxruntime's own quantizer (a reference, no target)
FILES = {("ember", "float32"): "model.ember", ("ember", "int8"): "model.int8.ember",
         ("onnxruntime", "float32"): "model.onnx", ("onnxruntime", "int8"): "model.int8.onnx",
         ("onnxruntime", "int8-ort"): "model.ort-int8.onnx"}
TARGET_INT8_FLOAT, TARGET_INT8_ONNXRUNTIME, MAX_ACCURACY_LOSS = 0.5, 1.0, 1.0  # at batch 256; points


def _demo():
    sys.path.insert(0, str(ROOT / "examples"))
    import demo

    return demo


def get_model(smoke: bool):
    """(model in eval mode, data dict, where the weights come from)."""
    demo = _demo()
    if smoke:
        ember.manual_seed(0)
        x = ember.rand(512, 1, 28, 28)
        data = {"x_train": x[:256], "x_test": x[256:], "y_test": None}
        model = demo.make_model(28)
        with ember.no_grad():
            for i in range(0, 256, 64):
                model(x[i:i + 64])  # non-trivial batch-norm statistics
        return model.eval(), data, "random init (--smoke)"
    data = demo.fashion_mnist()
    if CHECKPOINT.exists():
        model = demo.make_model(28)
        model.load_state_dict(ember.load(CHECKPOINT)["model"])
        return model.eval(), data, f"make demo's checkpoint {CHECKPOINT.relative_to(ROOT)}"
    model, _, _ = demo.train(data, epochs=1)
    return model.eval(), data, "trained here for 1 epoch (no build/demo/fashion.safetensors)"


def prepare(work: Path, smoke: bool) -> dict:
    """Writes the four model files, data.safetensors (256 test images) and the Python outputs into work."""
    model, data, source = get_model(smoke)
    qmodel = ember.quantization.quantize(model, data["x_train"][:256], method="percentile")
    x = data["x_test"][:256].contiguous()
    ember.deploy.export(model, x[:8], work / "model.ember")
    qmodel.save(work / "model.int8.ember")
    ember.onnx.export(model, x[:8], work / "model.onnx")
    ember.onnx.export(qmodel, x[:8], work / "model.int8.onnx")
    np.savez(work / "weights.npz", **{k: v.numpy() for k, v in model.state_dict().items()})
    ember.save({"x": x}, work / "data.safetensors")
    with ember.no_grad():
        np.save(work / "expected.float32.npy", model(x).numpy())
    np.save(work / "expected.int8.npy", qmodel(x).numpy())
    ort_quantizer = ort_quantize(work, data["x_train"][:256].numpy())
    return {"model": model, "qmodel": qmodel, "data": data, "source": source, "summary": qmodel.summary(),
            "ort_quantizer": ort_quantizer}


def ort_quantize(work: Path, calibration: np.ndarray) -> str:
    """A reference: model.onnx quantized by onnxruntime's own quantize_static (QDQ, per-channel int8 weights,
    uint8 activations, min-max on the same 256 images) into model.ort-int8.onnx. Returns what happened."""
    try:
        import onnxruntime as ort
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as err:
        return f"not run: {err}"
    name = ort.InferenceSession(str(work / "model.onnx"), providers=["CPUExecutionProvider"]).get_inputs()[0].name

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{name: calibration[i:i + 32]} for i in range(0, len(calibration), 32)])

        def get_next(self):
            return next(self.batches, None)

    try:
        quant_pre_process(str(work / "model.onnx"), str(work / "model.pre.onnx"))
        quantize_static(str(work / "model.pre.onnx"), str(work / FILES["onnxruntime", "int8-ort"]), Reader(),
                        quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8)
    except Exception as err:  # a reference row only: its failure must not end the run
        return f"failed: {type(err).__name__}: {err}"
    return "QDQ, per-channel int8 weights, uint8 activations, min-max"


def build_program() -> tuple[Path, str]:
    """examples/deploy, brought up to date (bench_deploy.build_program's incremental build); without a
    pip-installed ember, against the source tree's CMake package installed into build/bench/ember_prefix."""
    try:
        binary, seconds, _, how = bench_deploy.build_program(quick=True)
        return binary, f"{how}, {seconds:.1f} s"
    except FileNotFoundError:
        pass
    cmake = shutil.which("cmake", path=str(Path(sys.executable).parent)) or shutil.which("cmake")
    cfg, prefix, build = (ROOT / "build" / "bench" / d for d in ("ember_cfg", "ember_prefix", "int8_deploy"))
    py = f"-DPython_EXECUTABLE={sys.executable}"
    subprocess.run([cmake, "-S", ROOT, "-B", cfg, "-DEMBER_WITH_MPI=OFF", "-DEMBER_WITH_CUDA=OFF", py,
                    f"-DCMAKE_INSTALL_PREFIX={prefix}"], check=True, capture_output=True)
    subprocess.run([cmake, "--install", cfg], check=True, capture_output=True)
    subprocess.run([cmake, "-S", ROOT / "examples" / "deploy", "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                    f"-Dember_DIR={prefix / 'lib' / 'cmake' / 'ember'}", f"-DCMAKE_PREFIX_PATH={Path(sys.prefix)}"],
                   check=True, capture_output=True)
    subprocess.run([cmake, "--build", build, "-j2"], check=True, capture_output=True)
    return build / "deploy", f"incremental build in {build.relative_to(ROOT)} (the source tree's CMake package)"


def _env(threads: int) -> dict:
    return dict(os.environ, OMP_NUM_THREADS=str(threads))


def cpp_outputs(program: Path, work: Path, threads: int) -> dict:
    out = {}
    for p in ("float32", "int8"):
        subprocess.run([program, work / FILES["ember", p], work / "data.safetensors", "--out", work / f"out.{p}.st"],
                       check=True, capture_output=True, env=_env(threads))
        out[p] = ember.load(work / f"out.{p}.st")["output"].numpy()
    return out


def cpp_accuracy(program: Path, work: Path, precision: str, threads: int) -> float:
    run = subprocess.run([program, work / FILES["ember", precision], "--mnist", "default"], check=True,
                         capture_output=True, text=True, env=_env(threads))
    return float(re.search(r"C\+\+ deploy accuracy: ([0-9.]+)%", run.stdout).group(1))


def _session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})[0]


def _forward(lib: str, precision: str, work: Path, threads: int):
    """A function numpy batch -> numpy logits (None when lib is missing or has no such precision)."""
    if lib == "torch":
        if torch is None or precision != "float32":
            return None
        torch.set_num_threads(threads)
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
        model.load_state_dict({k: torch.from_numpy(v) for k, v in np.load(work / "weights.npz").items()})
        model.eval()

        def run(x):
            with torch.inference_mode():
                return model(torch.from_numpy(x)).numpy()
        return run
    if lib == "ember":  # --smoke only: the Python binding of the C++ runtime
        if (lib, precision) not in FILES:
            return None
        deployed = ember.deploy.load(work / FILES["ember", precision])
        return lambda x: deployed(ember.from_numpy(x)).numpy()
    if not (work / FILES[lib, precision]).exists():
        return None
    try:
        return _session(work / FILES[lib, precision], threads)
    except ImportError:
        return None


def worker(lib: str, work: Path, threads: int, repeat: int, target_s: float) -> dict:
    """{precision: {batch: seconds per call}} for lib, in this process."""
    x = ember.load(work / "data.safetensors")["x"].numpy()
    out = {}
    for p in PRECISIONS:
        fn = _forward(lib, p, work, threads)
        if fn is not None:
            out[p] = {str(b): measure({lib: (lambda xb=np.ascontiguousarray(x[:b]): fn(xb))}, None, repeat,
                                      target_s)[lib] for b in BATCHES}
    return out


def time_cpp(program: Path, work: Path, precision: str, threads: int, reps: int) -> dict:
    run = subprocess.run([program, work / FILES["ember", precision], work / "data.safetensors", "--bench", str(reps)],
                         check=True, capture_output=True, text=True, env=_env(threads))
    return {b: float(us) * 1e-6 for b, us in re.findall(r"^bench batch=(\d+) median_us=([0-9.]+)", run.stdout, re.M)}


def check_agree(work: Path, program: Path | None, threads: int) -> dict:
    """Refuses to time float32 implementations that disagree with ember's Python model, or a C++ int8 run that
    disagrees with the Python qmodel (the same runtime); reports how far onnxruntime's int8 is from ember's."""
    want = {p: np.load(work / f"expected.{p[:4] if p.startswith('int8') else p}.npy") for p in PRECISIONS}
    x = ember.load(work / "data.safetensors")["x"].numpy()
    got = {("ember C++", p): o for p, o in (cpp_outputs(program, work, threads) if program else {}).items()}
    # int8-ort is compared with ember's int8 model: another quantizer, so only for information
    for lib in ("torch", "onnxruntime"):
        for p in PRECISIONS:
            fn = _forward(lib, p, work, threads)
            if fn is not None:
                got[lib, p] = fn(x)
    notes = {}
    for (lib, p), out in got.items():
        diff = float(np.max(np.abs(out - want[p])))
        same = float(np.mean(out.argmax(1) == want[p].argmax(1)))
        notes[f"{lib} {p}"] = {"max_abs_diff": diff, "same_top1": same}
        if (p == "float32" or lib == "ember C++") and not np.allclose(out, want[p], rtol=1e-3, atol=1e-3):
            raise SystemExit(f"{lib} {p}'s outputs differ from ember's Python model: max abs diff {diff:.3g}")
    return notes


def accuracies(prep: dict, work: Path, program: Path | None, threads: int) -> dict:
    """Top-1 test accuracy in percent of each way of running the model (empty for --smoke)."""
    data = prep["data"]
    if data["y_test"] is None:
        return {}
    demo = _demo()
    x, y = data["x_test"], data["y_test"]
    acc = {"ember float32 (Python)": 100 * demo.evaluate(prep["model"], x, y)[1],
           "ember int8 (Python qmodel)": 100 * demo.evaluate(prep["qmodel"], x, y)[1]}
    if program is not None:
        acc["ember int8 (C++ deploy --mnist)"] = cpp_accuracy(program, work, "int8", threads)
        acc["ember float32 (C++ deploy --mnist)"] = cpp_accuracy(program, work, "float32", threads)
    try:
        xs, ys = x.numpy(), y.numpy()
        for p in PRECISIONS:
            if not (work / FILES["onnxruntime", p]).exists():
                continue
            fn = _session(work / FILES["onnxruntime", p], threads)
            pred = np.concatenate([fn(np.ascontiguousarray(xs[i:i + 1000])).argmax(1) for i in range(0, len(xs), 1000)])
            acc[f"onnxruntime {p.replace('int8-ort', 'int8 (its own quantizer)')}"] = 100 * float(np.mean(pred == ys))
    except ImportError:
        pass
    return acc


def run(quick: bool, threads: int, work: Path | None = None, smoke: bool = False) -> dict:
    if work is None:
        with tempfile.TemporaryDirectory() as tmp:
            return run(quick, threads, Path(tmp), smoke)
    load_start = os.getloadavg()
    program, how = (None, "not built (--smoke)") if smoke else build_program()
    prep = prepare(work, smoke)
    agreement = check_agree(work, program, threads)
    acc = accuracies(prep, work, program, threads)
    rounds, repeat, target_s, reps = ((1, 1, 0.0, 3) if smoke else (2, 3, 0.05, 20) if quick else (5, 5, 0.2, 100))
    libs = ("ember", "onnxruntime") if smoke else ("torch", "onnxruntime")
    samples = {(lib, p, str(b)): [] for lib in ("ember", "torch", "onnxruntime") for p in PRECISIONS for b in BATCHES}
    for _ in range(rounds):
        if program is not None:
            for p in ("float32", "int8"):
                for b, t in time_cpp(program, work, p, threads, reps).items():
                    samples["ember", p, b].append(t)
        for lib in libs:
            out = subprocess.run([sys.executable, __file__, "--worker", lib, "--work", str(work), "--threads",
                                  str(threads), "--repeat", str(repeat), "--target-s", str(target_s)],
                                 check=True, capture_output=True, text=True)
            for p, per in json.loads(out.stdout).items():
                for b, t in per.items():
                    samples[lib, p, b].append(t)
    med = {k: statistics.median(v) * 1e6 for k, v in samples.items() if v}
    rows = []
    for p in PRECISIONS:
        for b in BATCHES:
            row = {"workload": f"Fashion CNN {p}, batch {b}", "precision": p, "batch": b, "unit": "us/call"}
            row.update({lib: med[key] for lib in ("ember", "torch", "onnxruntime") if (key := (lib, p, str(b))) in med})
            if "ember" in row and "onnxruntime" in row:
                row["ratio_ember_onnxruntime"] = row["ember"] / row["onnxruntime"]
            if p == "int8-ort" and ("ember", "int8", str(b)) in med:
                row["workload"] = f"Fashion CNN int8 (onnxrt's quantizer), batch {b}"
                row["ember"] = med["ember", "int8", str(b)]
                row["ratio_ember_onnxruntime"] = row["ember"] / row["onnxruntime"] if "onnxruntime" in row else None
            if p == "int8" and ("ember", "float32", str(b)) in med and "ember" in row:
                row["ember_float32"] = med["ember", "float32", str(b)]
                row["ratio_int8_float32"] = row["ember"] / row["ember_float32"]
            if p == "int8" and b == 256:
                row["target_ember_onnxruntime"], row["target_int8_float32"] = TARGET_INT8_ONNXRUNTIME, TARGET_INT8_FLOAT
            rows.append(row)
    info = machine_info(threads)
    cpu = ember.backends.cpu.info()
    info["onednn"] = dataclasses.asdict(cpu) if dataclasses.is_dataclass(cpu) else str(cpu)
    info["isa"] = cpu.isa
    info["load_average_start"], info["load_average_end"] = load_start, os.getloadavg()
    try:
        import onnxruntime
        info["onnxruntime"] = onnxruntime.__version__
    except ImportError:
        info["onnxruntime"] = None
    loss = None
    if "ember float32 (Python)" in acc:
        worst = min(v for k, v in acc.items() if "int8" in k and "own quantizer" not in k)
        loss = acc["ember float32 (Python)"] - worst
    return {"machine": info, "quick": quick, "smoke": smoke, "rows": rows, "model": prep["source"],
            "quantized": prep["summary"], "accuracy": acc, "int8_accuracy_loss": loss, "agreement": agreement,
            "cpp_example": how, "rounds": rounds, "cpp_reps": reps, "ort_quantizer": prep["ort_quantizer"]}


def print_table(result: dict) -> None:
    m = result["machine"]
    la, lb = m["load_average_start"], m["load_average_end"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads; oneDNN ISA {m['isa']} (int8 native: "
          f"{m['onednn'].get('int8_native') if isinstance(m['onednn'], dict) else '?'}); torch {m['torch']}, "
          f"onnxruntime {m['onnxruntime']}, ember {m['ember']}")
    print(f"# load average (1/5/15 min): start {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}, end {lb[0]:.2f} {lb[1]:.2f} "
          f"{lb[2]:.2f}")
    print(f"# model: {result['model']}; calibration: 256 training images, method=percentile")
    print(f"# the 'onnxrt's quantizer' rows (a reference, no target): ember's int8 beside model.onnx quantized by "
          f"onnxruntime.quantization.quantize_static: {result['ort_quantizer']}")
    print(f"# ember = the C++ deploy program (examples/deploy --bench {result['cpp_reps']}: {result['cpp_example']})"
          if not result["smoke"] else "# ember = ember.deploy.load in Python (--smoke)")
    print(f"# median microseconds per forward call over {result['rounds']} rounds; ratio < 1: ember faster")
    head = (f"{'workload':<46}{'ember':>10}{'torch':>10}{'onnxrt':>10}{'ember/onnxrt':>14}"
            f"{'int8/float32':>14}")
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        print(f"{r['workload']:<46}{fmt(r.get('ember'), prec=1)}{fmt(r.get('torch'), prec=1)}"
              f"{fmt(r.get('onnxruntime'), prec=1)}{fmt(r.get('ratio_ember_onnxruntime'), 14)}"
              f"{fmt(r.get('ratio_int8_float32'), 14)}")
    print(f"# targets at batch 256: ember int8 / ember float32 <= {TARGET_INT8_FLOAT:.2f}, ember int8 / onnxrt int8 "
          f"<= {TARGET_INT8_ONNXRUNTIME:.2f}")
    for r in result["rows"]:
        if r.get("target_int8_float32") and "ratio_int8_float32" in r:
            ok = [r["ratio_int8_float32"] <= TARGET_INT8_FLOAT,
                  r.get("ratio_ember_onnxruntime", float("inf")) <= TARGET_INT8_ONNXRUNTIME]
            print(f"#   {r['workload']}: int8/float32 {r['ratio_int8_float32']:.2f} ({'met' if ok[0] else 'MISSED'}), "
                  f"int8 ember/onnxrt {fmt(r.get('ratio_ember_onnxruntime'), 0)} ({'met' if ok[1] else 'MISSED'})")
    if result["accuracy"]:
        print("# top-1 accuracy on the 10,000 Fashion-MNIST test images:")
        for k, v in result["accuracy"].items():
            print(f"#   {k:<36}{v:7.2f}%")
        loss = result["int8_accuracy_loss"]
        print(f"#   int8 loses at most {loss:.2f} points (target <= {MAX_ACCURACY_LOSS:.1f}): "
              f"{'met' if loss <= MAX_ACCURACY_LOSS else 'MISSED'}")
    for k, v in result["agreement"].items():
        print(f"# {k} vs ember's Python model: max abs diff {v['max_abs_diff']:.3g}, same top-1 on "
              f"{100 * v['same_top1']:.1f}% of 256 images")


def main(argv=None) -> int:
    p = arg_parser(__doc__, "a short run: fewer rounds and repetitions")
    p.add_argument("--smoke", action="store_true", help="check the script in seconds: random model, no C++ build")
    p.add_argument("--worker", choices=["ember", "torch", "onnxruntime"], help="internal: time one library")
    p.add_argument("--work", help="internal: the folder with the exported models")
    p.add_argument("--repeat", type=int, default=5, help="internal")
    p.add_argument("--target-s", type=float, default=0.2, help="internal")
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.work), args.threads, args.repeat, args.target_s)))
        return 0
    result = run(args.quick, args.threads, smoke=args.smoke)
    print_table(result)
    write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
