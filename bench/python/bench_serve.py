#!/usr/bin/env python3
"""Serving: `ember serve` under load from wrk (Debian package), on the Fashion-MNIST CNN with one 1x784 image per
request, beside the same model in PyTorch behind FastAPI + uvicorn (what a user would otherwise deploy).

Rows: time per request at 64 concurrent keep-alive clients (1 / throughput) for ember with dynamic batching,
ember with --max-batch 1, and the FastAPI peer; p99 latency at 64 clients; and ember's p50 overhead (HTTP +
JSON + queue) over the bare forward at low load (one client, the forward on one thread in both), with its p99. Targets (issue 24): batching >= 3x
the throughput of --max-batch 1, >= 5x FastAPI's throughput with a lower p99, p50 overhead <= 100 us.

Usage::

    PYTHONPATH=python python bench/python/bench_serve.py [--quick] [--threads N] [--json out.json]
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_ops import arg_parser, fmt, machine_info, write_json

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 64

FASTAPI_APP = '''
import os, torch
from fastapi import FastAPI, Request
torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
nn = torch.nn
model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
model.load_state_dict(torch.load(os.environ["BENCH_WEIGHTS"]), strict=False)
model.eval()
app = FastAPI()

@app.get("/v2/health/ready")
def ready():
    return {"ready": True}

@app.post("/v2/models/{name}/infer")
async def infer(name: str, request: Request):
    body = await request.json()
    inp = body["inputs"][0]
    x = torch.tensor(inp["data"], dtype=torch.float32).reshape(inp["shape"])
    with torch.inference_mode():
        y = model(x)
    return {"model_name": name, "outputs": [{"name": "output", "datatype": "FP32", "shape": list(y.shape),
                                             "data": y.reshape(-1).tolist()}]}
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    import http.client
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/v2/health/ready")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no server on port {port} after {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def wrk(url: str, script: Path, clients: int, seconds: int) -> dict:
    """wrk's throughput and latency percentiles (ms) for POSTs of script's body at `clients` connections."""
    cmd = ["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    pct = {int(p): float(v) * unit[u] for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50_ms": pct.get(50),
            "p99_ms": pct.get(99), "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1).strip() if errors else ""}


def ember_server(model: Path, port: int, threads: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT / "python")}
    return subprocess.Popen([sys.executable, "-m", "ember.cli", "serve", str(model), "--name", "fashion", "--port",
                             str(port), *extra], env=env, stderr=subprocess.PIPE, text=True)


def bare_forward_us(model: Path, x: np.ndarray, threads: int, n: int, batch: int = 1) -> dict:
    """The deployed model's own forward on `batch` copies of x, in a fresh process (as the server runs it: no Python
    per op): its p50 and p99 in us."""
    code = (f"import ember, numpy as np, time, json; ember.set_num_threads({threads}); "
            f"m = ember.deploy.load({str(model)!r}); x = ember.tensor(np.repeat(np.load({str(x)!r}), {batch}, 0)); "
            f"[m(x) for _ in range(20)]; ts = []\n"
            f"for _ in range({n}):\n t = time.perf_counter(); m(x); ts.append(time.perf_counter() - t)\n"
            f"print(json.dumps({{'p50': float(np.median(ts)) * 1e6, 'p99': float(np.percentile(ts, 99)) * 1e6}}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "python")}).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(quick: bool, threads: int) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt install wrk")
    import ember
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_fashion import demo_cnn

    seconds = 3 if quick else 10
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        ember.manual_seed(0)
        model = demo_cnn(ember).eval()
        ember.deploy.export(model, ember.randn(4, 1, 28, 28), work / "fashion.ember")
        x = np.random.default_rng(0).random((1, 1, 28, 28), dtype=np.float32)
        np.save(work / "x.npy", x)
        body = {"inputs": [{"name": "input", "shape": [1, 1, 28, 28], "datatype": "FP32", "data": x.ravel().tolist()}]}
        (work / "body.json").write_text(json.dumps(body))
        script = work / "post.lua"
        script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                          f'local f = io.open("{work / "body.json"}")\nwrk.body = f:read("*a")\nf:close()\n')

        results = {}
        # The overhead at low load is measured with one thread for the forward in both the server and the bare
        # run: a batch-1 forward gains little from more, and on a loaded machine an OpenMP team's wake-up costs
        # more than the server itself, which would hide the overhead sought.
        for key, clients, omp, extra in (("batching", CLIENTS, threads, ()),
                                         ("max_batch_1", CLIENTS, threads, ("--max-batch", "1")),
                                         ("low_load", 1, 1, ("--threads", "1"))):
            port = free_port()
            proc = ember_server(work / "fashion.ember", port, omp, *extra)
            try:
                wait_ready(port, proc)
                url = f"http://127.0.0.1:{port}/v2/models/fashion/infer"
                wrk(url, script, clients, 1)  # warm-up
                results[key] = wrk(url, script, clients, seconds)
            finally:
                stop(proc)
        results["bare"] = bare_forward_us(work / "fashion.ember", work / "x.npy", 1, 300 if quick else 2000)
        # What batching can gain at most, serving cost aside: the forward's time per row at batch 1 over that
        # at batch CLIENTS, both on the server's threads. A model whose batch-1 forward is already compute-bound
        # (this CNN: about 8 MFLOP per image) gains little, whatever the server does.
        one_row, full = (bare_forward_us(work / "fashion.ember", work / "x.npy", threads, n, batch=b)
                         for b, n in ((1, 200 if quick else 1000), (CLIENTS, 20 if quick else 100)))
        results["forward_ceiling"] = {"batch_1_us": one_row["p50"], f"batch_{CLIENTS}_us": full["p50"],
                                      "speedup": one_row["p50"] * CLIENTS / full["p50"]}

        try:
            import fastapi  # noqa: F401
            import torch
            import uvicorn  # noqa: F401
        except ImportError as e:
            results["fastapi"] = None
            results["fastapi_skipped"] = f"{e} (pip install fastapi uvicorn torch)"
        else:
            torch.save({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()},
                       work / "weights.pt")
            (work / "app.py").write_text(FASTAPI_APP)
            port = free_port()
            env = {**os.environ, "BENCH_THREADS": str(threads), "BENCH_WEIGHTS": str(work / "weights.pt")}
            proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app:app", "--port", str(port), "--log-level",
                                     "warning"], cwd=work, env=env, stderr=subprocess.PIPE, text=True)
            try:
                wait_ready(port, proc)
                url = f"http://127.0.0.1:{port}/v2/models/fashion/infer"
                wrk(url, script, CLIENTS, 1)
                results["fastapi"] = wrk(url, script, CLIENTS, seconds)
            finally:
                stop(proc)

    b, one, low, bare, peer = (results["batching"], results["max_batch_1"], results["low_load"], results["bare"],
                               results["fastapi"])
    workload = f"serve Fashion CNN, 1x784 per request, {CLIENTS} clients (wrk)"
    rows = [
        {"workload": f"{workload}: time per request", "unit": "us/req", "ember": 1e6 / b["rps"],
         "torch": 1e6 / peer["rps"] if peer else None, "ember_max_batch_1": 1e6 / one["rps"],
         "batching_speedup": b["rps"] / one["rps"], "rps": {"ember": b["rps"], "ember_max_batch_1": one["rps"],
                                                           "fastapi": peer["rps"] if peer else None},
         "target_speedup": 3.0, "target_ember_torch": 0.2, "forward_ceiling": results["forward_ceiling"]},
        {"workload": f"{workload}: p99 latency", "unit": "ms", "ember": b["p99_ms"],
         "torch": peer["p99_ms"] if peer else None, "p50": {"ember": b["p50_ms"], "fastapi": peer and peer["p50_ms"]}},
        {"workload": "serve p50 overhead over the bare forward, 1 client", "unit": "us",
         "ember": low["p50_ms"] * 1e3 - bare["p50"], "p99_us": low["p99_ms"] * 1e3, "bare_forward_us": bare,
         "target_us": 100.0},
    ]
    return {"machine": machine_info(threads), "quick": quick, "rows": rows, "raw": results,
            "notes": "torch: the same CNN in PyTorch eager behind FastAPI + uvicorn (1 worker)"}


def print_table(result: dict) -> None:
    m = result["machine"]
    print(f"# {m['cpu']}, {m['cpu_count']} CPUs, {m['threads']} threads")
    head = f"{'workload':<72}{'unit':>8}{'ember':>12}{'peer':>12}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        print(f"{r['workload']:<72}{r['unit']:>8}{fmt(r.get('ember'), 12, 1)}{fmt(r.get('torch'), 12, 1)}")
    r0 = result["rows"][0]
    print(f"# throughput (req/s): {r0['rps']}; batching / --max-batch 1: {r0['batching_speedup']:.2f}x (target 3x); "
          f"the forward alone gains {r0['forward_ceiling']['speedup']:.2f}x per row from batch 1 to {CLIENTS}")


def main(argv=None) -> int:
    p = arg_parser(__doc__, "3 s of load per point instead of 10")
    args = p.parse_args(argv)
    result = run(args.quick, args.threads)
    print_table(result)
    if args.json:
        write_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
