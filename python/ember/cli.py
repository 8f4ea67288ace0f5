"""The ``ember`` command (installed by pip). ``ember serve MODEL.ember`` serves deployed models over HTTP with the
Open Inference Protocol v2 (docs/serving.md); the server is C++ (ember::serve::Server, module ember._serve).
``ember info`` prints what oneDNN runs on this CPU (ember.backends.cpu.report())."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _serve_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve .ember models over HTTP (Open Inference Protocol v2)",
                       description="Serve deployed models (ember.deploy.export) over HTTP/JSON, Open Inference "
                                   "Protocol v2, with dynamic batching. SIGTERM or SIGINT: stop accepting, answer "
                                   "the requests in flight, exit 0.")
    p.add_argument("model_file", nargs="?", metavar="MODEL",
                   help="a .ember file, served as --name (default: the file's stem)")
    p.add_argument("--name", help="the name of MODEL in URLs (/v2/models/NAME/infer)")
    p.add_argument("--model", dest="models", action="append", default=[], metavar="NAME=PATH",
                   help="one more model (repeatable)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0: any free port)")
    p.add_argument("--max-batch", type=int, default=64, help="rows per forward (default 64)")
    p.add_argument("--max-delay-us", type=int, default=2000,
                   help="how long a request waits for others to share its forward (default 2000)")
    p.add_argument("--threads", type=int, default=0, help="HTTP threads (default: one per core)")
    p.add_argument("--queue", type=int, default=1024, help="waiting requests per model before 503 (default 1024)")
    p.add_argument("--max-body-mb", type=float, default=16.0, help="largest request body in MiB (default 16)")
    p.add_argument("--timeout-s", type=float, default=30.0,
                   help="a request not run within this is answered 504 (default 30)")
    p.add_argument("--read-timeout-s", type=float, default=30.0,
                   help="a request must arrive whole within this; idle connections close after it (default 30)")
    p.add_argument("--token-file", help="a file holding a bearer token that every request but the health probes must send")


def _fail(msg: str) -> int:
    print(f"ember serve: {msg}", file=sys.stderr, flush=True)
    return 2


def serve(args: argparse.Namespace) -> int:
    models: list[tuple[str, str]] = []
    if args.model_file:
        models.append((args.name or Path(args.model_file).stem, args.model_file))
    elif args.name:
        return _fail("--name names MODEL, but no MODEL was given")
    for spec in args.models:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            return _fail(f"--model takes NAME=PATH, got {spec!r}")
        models.append((name, path))
    if not models:
        return _fail("no model to serve: give MODEL.ember or --model NAME=PATH")
    token = ""
    if args.token_file:
        try:
            token = Path(args.token_file).read_text().strip()
        except OSError as e:
            return _fail(f"cannot read --token-file: {e}")
        if not token:
            return _fail(f"--token-file {args.token_file} is empty")
    for flag, value in (("--max-batch", args.max_batch), ("--queue", args.queue)):
        if value < 1:
            return _fail(f"{flag} must be >= 1, got {value}")
    if args.max_delay_us < 0 or args.threads < 0 or args.max_body_mb <= 0:
        return _fail("--max-delay-us and --threads must be >= 0 and --max-body-mb > 0")
    try:
        from ember import _serve
    except ImportError as e:
        return _fail(f"this ember was built without the server (Boost was not found at build time: "
                     f"apt install libboost-dev, then reinstall): {e}")
    server = _serve.Server(host=args.host, port=args.port, threads=args.threads, max_batch=args.max_batch,
                           max_delay_us=args.max_delay_us, queue=args.queue,
                           max_body_bytes=int(args.max_body_mb * (1 << 20)), read_timeout_s=args.read_timeout_s,
                           request_timeout_s=args.timeout_s, token=token, handle_signals=True)
    for name, path in models:
        try:
            server.add_model(name, os.fsdecode(path))
        except Exception as e:  # noqa: BLE001 - the loader's own message is the one to show
            return _fail(f"cannot serve model {name!r} from {path}: {e}")
    try:
        server.listen()
    except Exception as e:  # noqa: BLE001
        return _fail(f"cannot listen on {args.host}:{args.port}: {e}")
    names = ", ".join(n for n, _ in models)
    print(f"ember serve: listening on http://{args.host}:{server.port} (models: {names})", file=sys.stderr,
          flush=True)
    server.run()
    print("ember serve: stopped", file=sys.stderr, flush=True)
    return 0


def info(args: argparse.Namespace) -> int:
    from ember.backends import cpu
    cpu.report()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ember", description="ember's command line")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    sub.add_parser("info", help="the CPU's instruction sets as oneDNN uses them (ember.backends.cpu.report())",
                   description="Print the ISA oneDNN dispatches to, whether bfloat16/int8/float16 are native, and "
                               "the CPU's own flags (ONEDNN_MAX_CPU_ISA caps the ISA).")
    args = parser.parse_args(argv)
    return info(args) if args.command == "info" else serve(args)


if __name__ == "__main__":
    sys.exit(main())
