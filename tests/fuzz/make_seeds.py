"""Writes the seed corpora of the file harnesses (tests/fuzz/corpus/{safetensors,deploy,deploy_graph,idx}/).

Valid files come from ember's own writers (ember.save, ember.deploy.export) on small models, so the
fuzzers start from what ember really writes; invalid ones are those files broken in the ways the
readers check for. Deterministic (fixed seeds), and small: every file stays well under libFuzzer's
-max_len (tools/fuzz.sh) so mutations see all of it.

    .venv/bin/python tests/fuzz/make_seeds.py      # rewrites the four folders
"""
from __future__ import annotations

import gzip
import json
import shutil
import struct
import tempfile
from pathlib import Path

import ember
from ember import nn

CORPUS = Path(__file__).resolve().parent / "corpus"


def header_and_data(raw: bytes) -> tuple[dict, bytes]:
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def file_of(header: dict | str, data: bytes = b"") -> bytes:
    text = (header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))).encode()
    return struct.pack("<Q", len(text)) + text + data


# --- safetensors ---

def checkpoints(tmp: Path) -> dict[str, bytes]:
    ember.manual_seed(0)
    files: dict[str, bytes] = {}
    every_dtype = {
        "f32": ember.randn(2, 3), "f64": ember.arange(0, 4).to(ember.float64) * 0.5,
        "i64": ember.arange(-3, 3), "i32": ember.arange(0, 5).to(ember.int32),
        "u8": ember.arange(0, 6).to(ember.uint8), "bool": ember.arange(0, 4) > 1,
        "scalar": ember.tensor(3.5), "empty": ember.zeros(0, 4),
    }
    ember.save(every_dtype, tmp / "a")
    files["every_dtype.safetensors"] = (tmp / "a").read_bytes()
    ember.save(nn.Linear(4, 3).state_dict(), tmp / "a")
    files["linear_state_dict.safetensors"] = (tmp / "a").read_bytes()
    ember.save({"model": nn.Linear(2, 2).state_dict(), "epoch": 3, "names": ["a", "b"], "lr": 0.1}, tmp / "a")
    files["nested_checkpoint.safetensors"] = (tmp / "a").read_bytes()
    ember.save({}, tmp / "a")
    files["empty.safetensors"] = (tmp / "a").read_bytes()

    # Broken in the ways load_safetensors checks, one each.
    header, data = header_and_data(files["every_dtype.safetensors"])
    raw = files["every_dtype.safetensors"]
    bad = {
        "short": raw[:5],
        "truncated_header": raw[:40],
        "truncated_data": raw[:-3],
        "header_length_huge": struct.pack("<Q", 2**63) + raw[8:],
        "header_length_zero": struct.pack("<Q", 0) + raw[8:],
        "header_not_json": file_of("{\"f32\": ", data),
        "header_not_object": file_of("[1, 2]", data),
        "trailing_bytes": raw + b"\0" * 8,
        "repeated_tensor": file_of('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                                   '"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', b"\1\2"),
    }
    def edit(name: str, key: str, value) -> None:
        h = json.loads(json.dumps(header))
        h["f32"][key] = value
        bad[name] = file_of(h, data)
    edit("unknown_dtype", "dtype", "BF16")
    edit("shape_overflow", "shape", [2**62, 2**62])
    edit("negative_dim", "shape", [-2, -3])
    edit("offsets_overlap", "data_offsets", [0, 24])
    edit("offsets_beyond", "data_offsets", [2**40, 2**40 + 24])
    edit("offsets_backwards", "data_offsets", [24, 0])
    edit("offsets_float", "data_offsets", [0.0, 24.0])
    h = json.loads(json.dumps(header))
    h["__metadata__"] = {"k": 1}
    bad["metadata_not_string"] = file_of(h, data)
    for name, raw_bad in bad.items():
        files[f"bad_{name}.safetensors"] = raw_bad
    return files


# --- deploy ---

class TensorOps(nn.Module):
    """The ops of docs/deploy-format.md that no built-in layer makes, in one small graph."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.register_buffer("mask", ember.arange(0, 4) > 1)

    def forward(self, x):  # x (B, 3, 4)
        y = self.lin(x).abs().sqrt() + x.exp().log() - x.neg() * 2.0
        y = (y / 3.0) ** 2
        y = y.transpose(1, 2).permute(0, 2, 1).unsqueeze(1).squeeze(1)
        y = ember.cat([y, y[:, 1:3, :]], 1)
        y = y.masked_fill(self.mask, 0.5)
        s = y.select(2, 1).unsqueeze(-1)
        return (y.mean([2], True) + s).sum([1], False).to(ember.float64)


def deploy_models() -> dict[str, tuple[nn.Module, ember.Tensor]]:
    ember.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(3, 2, 3, stride=2, padding=1, dilation=1, groups=1), nn.SiLU(),
                        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(2, 3), nn.LogSoftmax(1))
    cnn.train()
    with ember.no_grad():
        cnn(ember.randn(4, 1, 8, 8))  # batch-norm statistics that are not the identity
    return {
        "cnn": (cnn.eval(), ember.randn(2, 1, 8, 8)),
        "mlp": (nn.Sequential(nn.Flatten(), nn.Linear(6, 5), nn.GELU("tanh"), nn.Linear(5, 4), nn.Tanh(),
                              nn.Linear(4, 3), nn.LeakyReLU(0.2), nn.Sigmoid(), nn.Softmax(-1)).eval(),
                ember.randn(2, 2, 3)),
        "pools": (nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
                                nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False),
                                nn.Conv2d(2, 2, 1, bias=False)).eval(), ember.randn(2, 2, 5, 4)),
        "norms": (nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.LayerNorm(5), nn.GELU()).eval(),
                  ember.randn(3, 4)),
        "embedding": (nn.Sequential(nn.Embedding(5, 3), nn.Flatten(), nn.Linear(6, 2)).eval(),
                      ember.randint(0, 5, (2, 2))),
        "attention": (nn.MultiheadAttention(4, 2, batch_first=True).eval(), None),
        "tensor_ops": (TensorOps().eval(), ember.randn(2, 3, 4)),
    }


class _SelfAttention(nn.Module):
    def __init__(self, attn: nn.Module) -> None:
        super().__init__()
        self.attn = attn

    def forward(self, x):
        return self.attn(x, x, x)[0]


def deploy_files(tmp: Path) -> dict[str, bytes]:
    files = {}
    for name, (model, example) in deploy_models().items():
        if example is None:  # attention: (B, T, D)
            model, example = _SelfAttention(model).eval(), ember.randn(2, 3, 4)
        ember.deploy.export(model, example, tmp / "m.ember")
        files[f"{name}.ember"] = (tmp / "m.ember").read_bytes()

    # Broken in the ways deploy::load checks, one each, on the MLP.
    header, data = header_and_data(files["mlp.ember"])
    graph = json.loads(header["__metadata__"]["ember.graph"])

    def with_meta(name: str, **meta) -> None:
        h = json.loads(json.dumps(header))
        h["__metadata__"].update(meta)
        files[f"bad_{name}.ember"] = file_of(h, data)

    def with_graph(name: str, g: dict) -> None:
        with_meta(name, **{"ember.graph": json.dumps(g)})

    with_meta("not_deploy", **{"ember.format": "something"})
    with_meta("newer_version", **{"ember.format_version": "2"})
    with_meta("version_not_int", **{"ember.format_version": "1x"})
    with_meta("graph_not_json", **{"ember.graph": "{\"inputs\": ["})
    g = json.loads(json.dumps(graph))
    g["nodes"][0]["op"] = "no_such_op"
    with_graph("unknown_op", g)
    g = json.loads(json.dumps(graph))
    g["nodes"][0]["inputs"][0] = "nothing"
    with_graph("dangling_input", g)
    g = json.loads(json.dumps(graph))
    first = next(iter(g["tensors"]))
    g["tensors"][first]["shape"] = [7, 7]
    with_graph("tensor_mismatch", g)
    g = json.loads(json.dumps(graph))
    g["values"][g["outputs"][0]]["shape"] = [{"batch": 1, "add": 0}, 9]
    with_graph("value_mismatch", g)
    return files


# --- idx ---

def idx_file(dims: list[int], payload: bytes, type_code: int = 0x08) -> bytes:
    return struct.pack(f">HBB{len(dims)}I", 0, type_code, len(dims), *dims) + payload


def idx_files() -> dict[str, bytes]:
    """IDX files as MNIST ships them (small), plain and gzip, and broken in the ways parse_idx checks."""
    pixels = bytes((i * 37 + 11) % 256 for i in range(2 * 5 * 4))
    good = {
        "images": idx_file([2, 5, 4], pixels),
        "labels": idx_file([6], bytes([9, 0, 0, 3, 0, 2])),
        "four_dims": idx_file([1, 2, 3, 2], pixels[:12]),
        "empty": idx_file([0, 28, 28], b""),
    }
    files = {f"{name}.idx": raw for name, raw in good.items()}
    # mtime=0: the same bytes on every run.
    files.update({f"{name}.idx.gz": gzip.compress(raw, mtime=0) for name, raw in good.items()})
    images, gz = good["images"], gzip.compress(good["images"], mtime=0)
    bad = {
        "short.idx": images[:3],
        "magic.idx": b"\x01" + images[1:],
        "float32.idx": idx_file([2], bytes(8), 0x0D),
        "unknown_type.idx": idx_file([2], bytes(2), 0x07),
        "zero_dims.idx": idx_file([], b""),
        "five_dims.idx": idx_file([1, 1, 1, 1, 1], b"\0"),
        "truncated_header.idx": images[:10],
        "truncated.idx": images[:-3],
        "trailing.idx": images + b"\0\0",
        "zero_dim_with_data.idx": idx_file([0, 4], bytes(4)),
        "dims_overflow.idx": idx_file([0xFFFFFFFF] * 3, b""),
        "truncated.idx.gz": gz[: len(gz) // 2],
        "crc.idx.gz": gz[:-8] + bytes(b ^ 0x55 for b in gz[-8:-4]) + gz[-4:],
        "trailing_garbage.idx.gz": gz + b"xyz",
        "huge_claim.idx.gz": gzip.compress(idx_file([60000, 60000, 60000], bytes(10)), mtime=0),
    }
    files.update({f"bad_{name}": raw for name, raw in bad.items()})
    files["two_members.idx.gz"] = gzip.compress(images[:9], mtime=0) + gzip.compress(images[9:], mtime=0)
    return files


def main() -> None:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        folders = {"safetensors": checkpoints(tmp), "deploy": deploy_files(tmp), "idx": idx_files()}
    folders["deploy_graph"] = {
        name.replace(".ember", ".json"): header_and_data(raw)[0]["__metadata__"]["ember.graph"].encode()
        for name, raw in folders["deploy"].items() if not name.startswith("bad_")}
    for folder, files in folders.items():
        out = CORPUS / folder
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        for name, raw in files.items():
            (out / name).write_bytes(raw)
        print(f"{out}: {len(files)} files, {sum(len(r) for r in files.values())} bytes")


if __name__ == "__main__":
    main()
