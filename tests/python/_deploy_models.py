"""Models and a reference interpreter shared by the deploy and ONNX tests."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import ember
from ember import nn
from ember.deploy._graph import Graph, eval_dim

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import demo  # noqa: E402 - examples/demo.py: the digits split and the demo CNN


def digits_cnn(seed: int = 0) -> nn.Module:
    """The demo's CNN with batch-norm statistics that are not the identity (a few training-mode passes)."""
    ember.manual_seed(seed)
    model = demo.make_model()
    model.train()
    with ember.no_grad():
        for _ in range(3):
            model(ember.randn(16, 1, 8, 8) * 2.0 + 0.5)
    return model.eval()


def mlp(seed: int = 0) -> nn.Module:
    ember.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(),
                         nn.Linear(32, 10)).eval()


class EncoderBlock(nn.Module):
    """A pre-norm transformer encoder block: x + attn(ln(x)), then x + ffn(ln(x)); (B, T, D) batch-first."""

    def __init__(self, d_model: int = 32, heads: int = 4, ffn: int = 64, dropout: float = 0.1) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(d_model)
        self.ffn = nn.Sequential(nn.Linear(d_model, ffn), nn.GELU(), nn.Dropout(dropout), nn.Linear(ffn, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        h = self.norm1(x)
        x = x + self.drop(self.attn(h, h, h, need_weights=False)[0])
        return x + self.drop(self.ffn(self.norm2(x)))


def encoder_block(seed: int = 0) -> nn.Module:
    ember.manual_seed(seed)
    return EncoderBlock().eval()


def digits_images(n: int, offset: int = 0) -> ember.Tensor:
    """n real digit images (N, 1, 8, 8), scaled as the demo scales them."""
    from sklearn.datasets import load_digits

    x = load_digits().images[offset:offset + n].astype(np.float32) / 16.0
    return ember.tensor(x.reshape(n, 1, 8, 8))


def _attention(a: list, k: dict, need_weights: bool) -> tuple:
    """The multi_head_attention(_weights) node's inputs and attributes as the functional call."""
    return nn.functional.multi_head_attention_forward(
        a[0], a[1], a[2], k["embed_dim"], k["num_heads"], a[4], a[5], None, None, False, 0.0, a[3], a[6],
        training=False, key_padding_mask=a[8], need_weights=need_weights, attn_mask=a[7],
        use_separate_proj_weight=k["use_separate_proj_weight"], q_proj_weight=a[9], k_proj_weight=a[10],
        v_proj_weight=a[11], average_attn_weights=k.get("average_attn_weights", True), is_causal=k["is_causal"])


def interpret(graph: Graph, *inputs: ember.Tensor) -> list[ember.Tensor]:
    """Runs a traced graph with ember's Python ops: a reading of docs/deploy-format.md independent of C++."""
    F = nn.functional
    batch = inputs[0].shape[0]
    env = dict(zip(graph.inputs, inputs))
    env.update(graph.tensors)

    def dims(v):
        return [eval_dim(d, batch) for d in v]

    ops = {
        "linear": lambda a, k: F.linear(*a),
        "conv2d": lambda a, k: ember.conv2d(*a, k["stride"], k["padding"], k["dilation"], k["groups"]),
        "max_pool2d": lambda a, k: ember.max_pool2d(a[0], k["kernel_size"], k["stride"], k["padding"],
                                                    k["dilation"], k["ceil_mode"]),
        "avg_pool2d": lambda a, k: ember.avg_pool2d(a[0], k["kernel_size"], k["stride"], k["padding"], k["ceil_mode"],
                                                    k["count_include_pad"]),
        "adaptive_avg_pool2d": lambda a, k: ember.adaptive_avg_pool2d(a[0], k["output_size"]),
        "conv_transpose2d": lambda a, k: ember.conv_transpose2d(a[0], a[1], a[2] if len(a) > 2 else None, k["stride"],
                                                                k["padding"], k["output_padding"], k["groups"],
                                                                k["dilation"]),
        "interpolate": lambda a, k: F.interpolate(
            a[0], size=None if k["scale_h"] else k["size"],
            scale_factor=(k["scale_h"], k["scale_w"]) if k["scale_h"] else None, mode=k["mode"],
            align_corners=None if k["mode"] == "nearest" else k["align_corners"]),
        "batch_norm": lambda a, k: ember.batch_norm(a[0], a[1], a[2], a[3], a[4], False, 0.0, k["eps"]),
        "layer_norm": lambda a, k: ember.layer_norm(a[0], k["normalized_shape"], a[1], a[2], k["eps"]),
        "embedding": lambda a, k: F.embedding(a[0], a[1]),
        "gelu": lambda a, k: a[0].gelu(approximate=k["approximate"]),
        "leaky_relu": lambda a, k: F.leaky_relu(a[0], k["negative_slope"]),
        "pow": lambda a, k: a[0] ** k["exponent"],
        "softmax": lambda a, k: a[0].softmax(k["dim"]),
        "log_softmax": lambda a, k: a[0].log_softmax(k["dim"]),
        "reshape": lambda a, k: a[0].reshape(*dims(k["shape"])),
        "transpose": lambda a, k: a[0].transpose(k["dim0"], k["dim1"]),
        "permute": lambda a, k: a[0].permute(*k["dims"]),
        "unsqueeze": lambda a, k: a[0].unsqueeze(k["dim"]),
        "squeeze": lambda a, k: a[0].squeeze(k["dim"]),
        "flatten": lambda a, k: a[0].flatten(k["start_dim"], k["end_dim"]),
        "slice": lambda a, k: a[0][(slice(None),) * k["dim"] + (slice(eval_dim(k["start"], batch),
                                                                        eval_dim(k["end"], batch), k["step"]),)],
        "select": lambda a, k: a[0].select(k["dim"], k["index"]),
        "cat": lambda a, k: ember.cat(list(a), k["dim"]),
        "mean": lambda a, k: a[0].mean(k["dims"], k["keepdim"]),
        "sum": lambda a, k: a[0].sum(k["dims"], k["keepdim"]),
        "masked_fill": lambda a, k: a[0].masked_fill(a[1], a[2].item()),
        "cast": lambda a, k: a[0].to(getattr(ember, k["dtype"])),
        "scaled_dot_product_attention": lambda a, k: F.scaled_dot_product_attention(
            a[0], a[1], a[2], a[3], is_causal=k["is_causal"], scale=k.get("scale")),
        "multi_head_attention": lambda a, k: _attention(a, k, False)[0],
        "multi_head_attention_weights": lambda a, k: _attention(a, k, True)[1],
        # activations and normalizations (issue 21)
        "elu": lambda a, k: F.elu(a[0], k["alpha"]),
        "celu": lambda a, k: F.celu(a[0], k["alpha"]),
        "softplus": lambda a, k: F.softplus(a[0], k["beta"], k["threshold"]),
        "hardtanh": lambda a, k: F.hardtanh(a[0], k["min_val"], k["max_val"]),
        "hardshrink": lambda a, k: F.hardshrink(a[0], k["lambd"]),
        "softshrink": lambda a, k: F.softshrink(a[0], k["lambd"]),
        "threshold": lambda a, k: F.threshold(a[0], k["threshold"], k["value"]),
        "glu": lambda a, k: F.glu(a[0], k["dim"]),
        "group_norm": lambda a, k: F.group_norm(a[0], k["num_groups"], a[1], a[2], k["eps"]),
        "rms_norm": lambda a, k: F.rms_norm(a[0], k["normalized_shape"], a[1], k.get("eps")),
        "instance_norm": lambda a, k: F.instance_norm(a[0], a[1], a[2], a[3], a[4], k["use_input_stats"], 0.0,
                                                      k["eps"]),
        # int8 (format 2): float ops on the dequantized values, as docs/deploy-format.md defines them
        "quantized_conv2d": lambda a, k: ember.conv2d(fake_quantize(a[0], k), dequantize(a[1], a[2]),
                                                      a[3] if len(a) > 3 else None, k["stride"], k["padding"],
                                                      k["dilation"], k["groups"]),
        "quantized_linear": lambda a, k: F.linear(fake_quantize(a[0], k), dequantize(a[1], a[2]),
                                                  a[3] if len(a) > 3 else None),
    }
    with ember.no_grad():
        for node in graph.nodes:
            # An op without attributes (relu, exp, add, matmul...) is the ember function of its name.
            run = ops.get(node.op, lambda a, k: getattr(ember, node.op)(*a))
            out = run([None if n is None else env[n] for n in node.inputs], node.attrs)
            for name, value in zip(node.outputs, out if isinstance(out, tuple) else (out,)):
                env[name] = value
    return [env[n] for n in graph.outputs]


def fake_quantize(x: ember.Tensor, attrs: dict) -> ember.Tensor:
    """x on the int8 / uint8 grid of a quantized op's input, in NumPy: clamp(round_half_even(x / s)) * s."""
    s = np.float32(attrs["input_scale"])
    lo, hi = (0, 255) if attrs["input_dtype"] == "uint8" else (-128, 127)
    return ember.from_numpy((np.clip(np.rint(x.numpy() / s), lo, hi) * s).astype(np.float32))


def dequantize(w: ember.Tensor, scale: ember.Tensor) -> ember.Tensor:
    """An int8 weight times its per-output-channel scale, as float32."""
    sc = scale.numpy().reshape((-1,) + (1,) * (w.ndim - 1))
    return ember.from_numpy((w.numpy().astype(np.float32) * sc).astype(np.float32))
