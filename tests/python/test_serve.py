"""`ember serve`: a deployed model over HTTP (Open Inference Protocol v2), called as a new user would, with a
client written from the protocol (http.client), every answer compared with the model's own forward.

Batched results: the server concatenates requests along dim 0 and runs one forward, so a row may be computed
at another batch size than the client's own. Found out: on the development machine (x86-64, oneDNN 2023.2)
every answer came back bitwise equal to the unbatched forward, for the digits CNN and for the MLP below, at
batch sizes 1 to 64 (288 of 288 in test_many_concurrent_clients...). oneDNN does not promise it (it picks
kernels by batch size, and other CPUs may reduce in another order), so the test asserts closeness (rtol 1e-5).
"""
from __future__ import annotations

import http.client
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import nn
from _deploy_models import digits_cnn, digits_images

_serve = pytest.importorskip("ember._serve", reason="ember was built without Boost (no ember._serve)")

REPO = Path(__file__).resolve().parents[2]


# --- a client written from the protocol ---

class Client:
    def __init__(self, port: int, token: str | None = None, timeout: float = 30.0):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | str | None = None,
                content_type: str | None = "application/json", headers: dict | None = None):
        h = dict(headers or {})
        if body is not None and content_type:
            h["Content-Type"] = content_type
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if isinstance(body, str):
            body = body.encode()
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
        except (ConnectionError, http.client.HTTPException):
            self.conn.close()  # the server may close a connection after an error: reconnect once
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
        data = r.read()
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return r.status, dict(r.getheaders()), data

    def json(self, method: str, path: str, body=None, **kw):
        status, headers, data = self.request(method, path, body if body is None or isinstance(body, (str, bytes))
                                             else json.dumps(body), **kw)
        return status, headers, json.loads(data) if data else None

    def infer(self, model: str, x: np.ndarray, name: str = "input", datatype: str = "FP32"):
        body = {"inputs": [{"name": name, "shape": list(x.shape), "datatype": datatype,
                            "data": x.reshape(-1).tolist()}]}
        return self.json("POST", f"/v2/models/{model}/infer", body)

    def close(self):
        self.conn.close()


def _output(body: dict) -> np.ndarray:
    (out,) = body["outputs"]
    assert out["datatype"] == "FP32"
    return np.asarray(out["data"], dtype=np.float32).reshape(out["shape"])


# --- servers as subprocesses ---

class Served:
    def __init__(self, *args: str, env: dict | None = None):
        cmd = [sys.executable, "-m", "ember.cli", "serve", *args, "--port", "0"]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=REPO,
                                     env={**os.environ, **(env or {})})
        line = self.proc.stderr.readline()
        m = re.search(r"listening on http://[\d.]+:(\d+)", line)
        if not m:
            rest = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.proc.kill()
            raise RuntimeError(f"the server did not start: {line}{rest}")
        self.port = int(m.group(1))
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True)
        self._reader.start()

    def client(self, **kw) -> Client:
        return Client(self.port, **kw)

    def stop(self, sig=signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("serve")
    cnn = digits_cnn()
    ember.deploy.export(cnn, digits_images(4), d / "digits.ember")
    ember.manual_seed(1)
    slow = nn.Sequential(nn.Flatten(), nn.Linear(64, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                         nn.Linear(1024, 10)).eval()
    ember.deploy.export(slow, ember.randn(4, 1, 8, 8), d / "slow.ember")
    (d / "token").write_text("s3cret-token\n")
    return d


@pytest.fixture(scope="module")
def server(files):
    s = Served(str(files / "digits.ember"), "--name", "digits", "--model", f"slow={files / 'slow.ember'}",
               "--max-body-mb", "0.5", "--threads", "4")
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def reference(files):
    return ember.deploy.load(files / "digits.ember")


def _images(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 1, 8, 8), dtype=np.float32)


# --- the protocol ---

def test_health_metadata_and_readiness(server, reference):
    c = server.client()
    assert c.json("GET", "/v2/health/live")[::2] == (200, {"live": True})
    assert c.json("GET", "/v2/health/ready")[::2] == (200, {"ready": True})
    assert c.json("GET", "/v2/models/digits/ready")[::2] == (200, {"ready": True})
    status, headers, meta = c.json("GET", "/v2/models/digits")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert meta == {"name": "digits", "platform": "ember",
                    "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 1, 8, 8]}],
                    "outputs": [{"name": reference.output_names[0], "datatype": "FP32", "shape": [-1, 10]}]}
    status, _, server_meta = c.json("GET", "/v2")
    assert status == 200 and server_meta == {"name": "ember", "version": ember.__version__, "extensions": []}


def test_infer_matches_the_models_own_forward(server, reference):
    c = server.client()
    for n in (1, 3, 17):
        x = _images(n, n)
        status, _, body = c.infer("digits", x)
        assert status == 200, body
        assert body["model_name"] == "digits"
        want = reference(ember.tensor(x)).numpy()
        np.testing.assert_array_equal(_output(body), want)  # alone in its batch: the same forward, bitwise
    # data given nested, and an id echoed back
    x = _images(2, 5)
    status, _, body = c.json("POST", "/v2/models/digits/infer", {
        "id": "r1", "inputs": [{"name": "input", "shape": [2, 1, 8, 8], "datatype": "FP32", "data": x.tolist()}]})
    assert status == 200 and body["id"] == "r1"
    np.testing.assert_array_equal(_output(body), reference(ember.tensor(x)).numpy())


def test_many_concurrent_clients_each_get_their_own_answer(server, reference):
    failures, bitwise, total = [], [0], [0]
    lock = threading.Lock()

    def client(k: int):
        c = server.client()
        try:
            for i in range(6):
                x = _images(1 + (k + i) % 3, 1000 * k + i)
                status, _, body = c.infer("digits", x)
                want = reference(ember.tensor(x)).numpy()
                if status != 200:
                    failures.append((k, i, status, body))
                    continue
                got = _output(body)
                if not np.allclose(got, want, rtol=1e-5, atol=1e-5):
                    failures.append((k, i, "mismatch", np.abs(got - want).max()))
                with lock:
                    total[0] += 1
                    bitwise[0] += int(np.array_equal(got, want))
        finally:
            c.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(48)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:5]
    assert total[0] == 48 * 6
    status, _, metrics = server.client().request("GET", "/metrics")
    text = metrics.decode()
    assert status == 200
    m = re.search(r'ember_batch_size_count\{model="digits"\} (\d+)', text)
    assert m and int(m.group(1)) < total[0] + 5, "some requests should have shared a forward"
    assert re.search(r'ember_requests_total\{model="digits"\} \d+', text)
    assert 'ember_request_latency_seconds_bucket{model="digits",le="+Inf"}' in text
    assert 'ember_queue_depth{model="digits"} 0' in text


def test_256_concurrent_keep_alive_clients(server, reference):
    clients = [server.client() for _ in range(256)]
    for c in clients:  # every connection open at once, before any request
        c.conn.connect()
    failures = []

    def use(k: int, c: Client):
        try:
            x = _images(1, 5000 + k)
            for _ in range(2):
                status, _, body = c.infer("digits", x)
                if status != 200 or not np.allclose(_output(body), reference(ember.tensor(x)).numpy(), rtol=1e-5,
                                                    atol=1e-5):
                    failures.append((k, status))
            if c.json("GET", "/v2/health/live")[0] != 200:
                failures.append((k, "live"))
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append((k, repr(e)))
        finally:
            c.close()

    threads = [threading.Thread(target=use, args=(k, c)) for k, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:5]


def test_slow_clients_are_dropped(files):
    s = Served(str(files / "digits.ember"), "--read-timeout-s", "0.5")
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as sock:
            sock.sendall(b"POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\n")  # and never the rest
            t0 = time.time()
            assert sock.recv(100) == b""  # closed by the server
            assert time.time() - t0 < 4
        assert s.client().json("GET", "/v2/health/live")[0] == 200
    finally:
        assert s.stop() == 0


@pytest.mark.parametrize("body, content_type, status, words", [
    ('{"inputs": [', "application/json", 400, "malformed JSON"),
    ('[1, 2]', "application/json", 400, "JSON object"),
    ({"inputs": [{"name": "x", "shape": [1, 1, 8, 8], "datatype": "FP32", "data": [0.0] * 64}]},
     "application/json", 400, "no input 'x'"),
    ({"inputs": [{"name": "input", "shape": [1, 1, 8, 8], "datatype": "FP64", "data": [0.0] * 64}]},
     "application/json", 400, "must have datatype FP32, got FP64"),
    ({"inputs": [{"name": "input", "shape": [1, 8, 8], "datatype": "FP32", "data": [0.0] * 64}]},
     "application/json", 400, "must have shape [-1, 1, 8, 8]"),
    ({"inputs": [{"name": "input", "shape": [1, 1, 8, 8], "datatype": "FP32", "data": [0.0] * 63}]},
     "application/json", 400, "has 63 data elements but shape [1, 1, 8, 8] needs 64"),
    ({"inputs": [{"name": "input", "shape": [1, 1, 8, 8], "datatype": "FP32", "data": [math.nan] + [0.0] * 63}]},
     "application/json", 400, "not finite"),
    ({"inputs": [{"name": "input", "shape": [1, 1, 8, 8], "datatype": "FP32", "data": [math.inf] + [0.0] * 63}]},
     "application/json", 400, "not finite"),
    ({"inputs": [{"name": "input", "shape": [1, 1, 8, 8], "datatype": "FP32", "data": [0.0] * 64}]},
     "text/plain", 415, "application/json"),
    ({"inputs": []}, "application/json", 400, "'input' is missing"),
    ({"inputs": [{"name": "input", "shape": [1, 1, 8, 8], "datatype": "FP32", "data": [1e39] + [0.0] * 63}]},
     "application/json", 400, "out of range for FP32"),
    # nested past any stack (the test server takes bodies up to 512 KiB): a recursive parser would crash
    ("[" * (1 << 18), "application/json", 400, "malformed JSON"),
    ('{"inputs": [{"name": "input", "shape": [1, 1, 8, 8], "datatype": "FP32", "data": ' + "[" * (1 << 17) + "1"
     + "]" * (1 << 17) + "}]}", "application/json", 400, "nested deeper than its shape [1, 1, 8, 8]"),
])
def test_bad_requests_get_a_4xx_with_a_json_error(server, body, content_type, status, words):
    c = server.client()
    payload = body if isinstance(body, str) else json.dumps(body)  # json.dumps writes NaN and Infinity
    got, headers, data = c.request("POST", "/v2/models/digits/infer", payload, content_type=content_type)
    err = json.loads(data)
    assert got == status, err
    assert words in err["error"]
    assert headers["Content-Type"] == "application/json"
    assert c.json("GET", "/v2/health/live")[0] == 200  # the same connection still serves
    assert c.infer("digits", _images(1, 0))[0] == 200


def test_unknown_model_path_method_and_oversized_body(server):
    c = server.client()
    status, _, err = c.infer("nope", _images(1, 0))
    assert status == 404 and "unknown model 'nope'" in err["error"] and "'digits'" in err["error"]
    assert c.json("GET", "/v2/models/nope")[0] == 404
    assert c.json("GET", "/v3/whatever")[0] == 404
    assert c.json("GET", "/v2/models/digits/infer")[0] == 405
    status, headers, err = c.json("POST", "/v2/health/live", "{}")
    assert status == 405 and headers["Allow"] == "GET" and "not allowed" in err["error"]
    big = _images(1500, 0)  # ~1.9 MB of JSON against --max-body-mb 0.5
    status, _, err = c.infer("digits", big)
    assert status == 413 and "exceeds the limit" in err["error"]
    assert c.infer("digits", _images(1, 0))[0] == 200  # the client reconnects; the server serves on


def test_a_flood_past_the_queue_gets_503_with_retry_after(files):
    s = Served(str(files / "slow.ember"), "--queue", "2", "--max-batch", "1", "--threads", "4")
    results, lock = [], threading.Lock()

    def client(k):
        c = s.client()
        x = _images(256, k)
        for _ in range(3):
            status, headers, body = c.infer("slow", x)
            with lock:
                results.append((status, headers.get("Retry-After"), body))
        c.close()

    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = [r[0] for r in results]
        assert set(statuses) <= {200, 503}, statuses
        assert 503 in statuses and 200 in statuses
        for status, retry, body in results:
            if status == 503:
                assert retry == "1" and "queue" in body["error"]
        assert s.client().json("GET", "/v2/health/live")[0] == 200
    finally:
        assert s.stop() == 0


def test_bearer_token(files):
    s = Served(str(files / "digits.ember"), "--token-file", str(files / "token"))
    try:
        status, headers, err = s.client().json("GET", "/v2/models/digits")
        assert status == 401 and headers["WWW-Authenticate"] == "Bearer" and "token" in err["error"]
        assert s.client().json("GET", "/metrics")[0] == 401
        # health stays open for an orchestrator's probes
        assert s.client().json("GET", "/v2/health/live")[0] == 200
        assert s.client().json("GET", "/v2/health/ready")[0] == 200
        assert s.client(token="wrong").infer("digits", _images(1, 0))[0] == 401
        assert s.client(token="s3cret-token").infer("digits", _images(1, 0))[0] == 200
    finally:
        assert s.stop() == 0


def test_sigterm_during_load_answers_requests_in_flight_and_exits_0(files):
    s = Served(str(files / "slow.ember"), "--max-batch", "4096", "--max-delay-us", "20000")
    ref = ember.deploy.load(files / "slow.ember")
    outcomes, lock = [], threading.Lock()
    stop_sent = threading.Event()

    def client(k):
        c = s.client(timeout=60)
        for i in range(1000):
            x = _images(512, 10 * k + i)
            sent_before_stop = not stop_sent.is_set()
            try:
                status, _, body = c.infer("slow", x)
            except OSError:  # refused or closed after the stop: never got in
                break
            with lock:
                outcomes.append((sent_before_stop, status, status == 200 and np.allclose(
                    _output(body), ref(ember.tensor(x)).numpy(), rtol=1e-4, atol=1e-4)))
            if stop_sent.is_set():
                break

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    stop_sent.set()
    s.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(60)
    assert s.proc.wait(timeout=60) == 0
    assert outcomes and all(status in (200, 503) for _, status, _ in outcomes), outcomes
    assert all(ok for _, status, ok in outcomes if status == 200)
    assert any(status == 200 for _, status, _ in outcomes)


@pytest.mark.parametrize("content", [None, b"not a safetensors file at all"])
def test_a_model_that_fails_to_load_stops_the_start(tmp_path, content):
    path = tmp_path / "bad.ember"
    if content is not None:
        path.write_bytes(content)
    r = subprocess.run([sys.executable, "-m", "ember.cli", "serve", str(path), "--port", "0"], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "cannot serve model 'bad'" in r.stderr and str(path) in r.stderr


def test_the_console_script_is_declared():
    text = (REPO / "pyproject.toml").read_text()
    assert 'ember = "ember.cli:main"' in text


def test_binds_loopback_by_default(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5):
        pass
