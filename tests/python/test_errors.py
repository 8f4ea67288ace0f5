"""The table of bad inputs: each must raise the named exception with a message that names the op and
the values involved, never crash or return a wrong answer."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

f = ember.zeros
x23 = lambda: ember.zeros(2, 3)  # noqa: E731

BAD_INPUTS = [
    # (description, thunk, exception, message pattern)
    ("broadcast mismatch", lambda: x23() + ember.zeros(4), ValueError, r"\[add\].*\(2, 3\).*\(4,\)"),
    ("matmul inner dims", lambda: ember.zeros(3, 4) @ ember.zeros(5, 6), ValueError,
     r"\[matmul\] shapes \(3, 4\) and \(5, 6\) cannot be multiplied: 4 != 5"),
    ("matmul 0-d", lambda: ember.matmul(ember.tensor(1.0), ember.zeros(2)), ValueError, r"\[matmul\]"),
    ("bmm rank", lambda: ember.bmm(ember.zeros(2, 3), ember.zeros(3, 2)), ValueError, r"\[bmm\].*\(2, 3\)"),
    ("view non-contiguous", lambda: x23().T.view(6), ValueError, r"\[view\].*\(3, 2\)"),
    ("reshape bad numel", lambda: x23().reshape(4, 2), ValueError, r"\[reshape\] shape \(4, 2\) is invalid for input of size 6"),
    ("two inferred dims", lambda: x23().reshape(-1, -1), ValueError, r"\[reshape\] only one dimension can be inferred"),
    ("transpose dim", lambda: x23().transpose(0, 2), IndexError, r"\[transpose\] dimension out of range.*got 2"),
    ("sum dim", lambda: x23().sum(5), IndexError, r"dimension out of range.*got 5"),
    ("sum duplicate dims", lambda: x23().sum((0, 0)), ValueError, r"\[sum\]"),
    ("softmax dim", lambda: ember.softmax(x23(), 3), IndexError, r"dimension out of range"),
    ("index out of range", lambda: x23()[2], IndexError, r"index 2 is out of bounds for dimension 0 with size 2"),
    ("negative index out of range", lambda: x23()[:, -4], IndexError, r"index -4 is out of bounds for dimension 1 with size 3"),
    ("too many indices", lambda: x23()[0, 0, 0], IndexError, r"too many indices"),
    ("mask shape", lambda: x23()[ember.zeros(3, dtype=ember.bool)], IndexError, r"\(3,\).*\(2, 3\)|\(2, 3\).*\(3,\)"),
    ("float index tensor", lambda: x23()[ember.zeros(1)], IndexError, r"tensors used as indices must be long, int"),
    ("gather index range", lambda: ember.gather(x23(), 1, ember.tensor([[3]])), IndexError, r"\[gather\].*3"),
    ("index_select range", lambda: ember.index_select(x23(), 0, ember.tensor([2])), IndexError, r"\[index_select\].*2"),
    ("cat shapes", lambda: ember.cat([x23(), ember.zeros(2, 4)], 0), ValueError, r"\[cat\].*\(2, 3\).*\(2, 4\)"),
    ("cat empty list", lambda: ember.cat([]), ValueError, r"\[cat\]"),
    ("stack shapes", lambda: ember.stack([x23(), ember.zeros(3, 2)]), ValueError, r"\[stack\].*\(2, 3\).*\(3, 2\)"),
    ("masked_fill mask dtype", lambda: ember.masked_fill(x23(), ember.zeros(2, 3), 1.0), TypeError, r"\[masked_fill\].*bool"),
    ("where cond dtype", lambda: ember.where(x23(), x23(), x23()), TypeError, r"\[where\].*bool"),
    ("add operand type", lambda: x23() + "a", TypeError, r"unsupported operand.*Tensor.*str"),
    ("in-place int div", lambda: ember.zeros(2, dtype=ember.int64).div_(2), TypeError, r"\[div_\]"),
    ("mean of ints", lambda: ember.zeros(2, dtype=ember.int64).mean(), TypeError, r"\[mean\].*int64"),
    ("item of many", lambda: x23().item(), ValueError, r"\[item\].*6 elements.*\(2, 3\)"),
    ("expand", lambda: x23().expand(4, 3), ValueError, r"\[expand\].*\(2, 3\)"),
    ("negative size", lambda: ember.zeros(2, -1), ValueError, r"\[empty\] negative dimension -1"),
    ("rand of ints", lambda: ember.rand(2, dtype=ember.int64), TypeError, r"\[rand\].*floating point"),
    ("unknown device", lambda: ember.zeros(2, device="tpu"), ValueError, r"\[device\] unknown device 'tpu'"),
    ("missing cuda device", lambda: ember.zeros(2, device="cuda:7"), RuntimeError, r"cuda:7"),
    ("from_numpy complex", lambda: ember.from_numpy(np.zeros(2, np.complex64)), TypeError, r"\[from_numpy\].*complex64"),
    ("slice step", lambda: x23()[::-1], ValueError, r"step must be greater than zero"),
    ("copy_ broadcast", lambda: x23().copy_(ember.zeros(3, 3)), ValueError, r"\[copy_\].*\(3, 3\).*\(2, 3\)"),
    ("numel overflows int64", lambda: ember.zeros(2**40, 2**40), ValueError, r"more elements than int64"),
    ("bytes overflow int64", lambda: ember.zeros(2**62), ValueError, r"\[empty\].*more bytes than int64"),
    ("size beyond int64", lambda: ember.zeros(2**63), ValueError, r"\[zeros\] integer 9223372036854775808 is out of the int64 range"),
    ("allocation too large", lambda: ember.zeros(2**45), MemoryError, r""),
    ("expand overflows int64", lambda: ember.ones(2, 3).expand(2**62, 2, 3), ValueError, r"more elements than int64"),
    ("index beyond int64", lambda: ember.ones(3)[10**20], IndexError, r"\[index\] integer 10{20} is out of the int64 range"),
    ("arange too long", lambda: ember.arange(0, 1e30, 1), ValueError, r"\[arange\].*too many elements"),
    ("argmax of empty", lambda: ember.zeros(0).argmax(), (ValueError, IndexError), r"argmax"),
    # Found by fuzzing against PyTorch: each was accepted and gave a meaningless answer.
    ("big-endian from_numpy", lambda: ember.from_numpy(np.arange(4, dtype=">f4")), ValueError,
     r"\[from_numpy\] the array's byte order is big-endian \(dtype '>f4'\)"),
    ("big-endian int64 from_numpy", lambda: ember.from_numpy(np.arange(4, dtype=">i8")), ValueError, r"big-endian"),
    ("unaligned from_numpy", lambda: ember.from_numpy(np.frombuffer(bytes(17), np.float32, 4, 1)), ValueError,
     r"\[from_numpy\] .*not aligned to its 4-byte elements"),
    ("add_ into expanded", lambda: ember.ones(3, 1).expand(3, 4).add_(1), ValueError,
     r"\[add_\] unsupported operation: more than one element of the written-to tensor \(shape \(3, 4\), "
     r"strides \(1, 0\)\) refers to a single memory location"),
    ("mul_ tensor into expanded", lambda: ember.ones(3, 1).expand(3, 4).mul_(ember.ones(3, 4)), ValueError,
     r"\[mul_\].*single memory location"),
    ("copy_ into expanded", lambda: ember.ones(1).expand(4).copy_(ember.arange(4.0)), ValueError,
     r"\[copy_\].*single memory location"),
    ("fill_ into expanded", lambda: ember.ones(1).expand(4).fill_(2), ValueError, r"\[fill_\].*single memory"),
    ("zero_ into expanded", lambda: ember.ones(1).expand(4).zero_(), ValueError, r"\[fill_\].*single memory"),
    ("setitem into expanded", lambda: ember.ones(3, 1).expand(3, 4).__setitem__(0, 5.0), ValueError,
     r"\[index_put_\].*single memory"),
    ("masked_fill_ into expanded",
     lambda: ember.ones(1).expand(4).masked_fill_(ember.ones(4, dtype=ember.bool), 0.0), ValueError,
     r"\[masked_fill_\].*single memory"),
    ("init into expanded", lambda: ember.nn.init.normal_(ember.ones(1).expand(4)), ValueError, r"single memory"),
    ("expand to -2", lambda: ember.ones(3, 1).expand(3, -2), ValueError,
     r"\[expand\] the expanded size -2 at dimension 1 is invalid"),
    ("expand leading -1", lambda: ember.ones(3).expand(-1, 3), ValueError, r"\[expand\].*-1.*leading"),
    ("reshape to -2", lambda: x23().reshape(-2, -3), ValueError, r"\[reshape\] invalid shape dimension -2"),
    ("view to -3", lambda: x23().view(2, -3), ValueError, r"\[view\] invalid shape dimension -3"),
    ("reshape overflows", lambda: ember.zeros(0).reshape(2**62, 2**62, 0), ValueError,
     r"\[reshape\].*more elements than int64"),
    ("narrow overflows", lambda: ember.ones(4).narrow(0, 1, 2**63 - 1), IndexError, r"\[narrow\]"),
    ("empty negative", lambda: ember.empty(3, -1), ValueError, r"negative dimension -1"),
    ("max_pool2d stride 0", lambda: ember.nn.functional.max_pool2d(ember.ones(1, 1, 4, 4), 2, stride=0),
     ValueError, r"\[max_pool2d\] stride must be positive, got \(0, 0\)"),
    ("avg_pool2d stride 0", lambda: ember.nn.functional.avg_pool2d(ember.ones(1, 1, 4, 4), 2, stride=(0, 1)),
     ValueError, r"\[avg_pool2d\] stride must be positive, got \(0, 1\)"),
    ("MaxPool2d stride 0", lambda: ember.nn.MaxPool2d(2, stride=0)(ember.ones(1, 1, 4, 4)), ValueError,
     r"stride must be positive"),
    ("pool kernel overflow", lambda: ember.nn.functional.max_pool2d(ember.ones(1, 1, 4, 4), 2**62, dilation=4),
     ValueError, r"\[max_pool2d\].*overflows int64"),
    ("one_hot negative class", lambda: ember.nn.functional.one_hot(ember.tensor([1, -1])), IndexError,
     r"\[one_hot\] class values must be non-negative, got -1"),
    ("one_hot negative class, num_classes", lambda: ember.nn.functional.one_hot(ember.tensor([-3]), 4), IndexError,
     r"\[one_hot\].*non-negative, got -3"),
    ("one_hot num_classes -2", lambda: ember.nn.functional.one_hot(ember.tensor([1]), -2), ValueError,
     r"\[one_hot\] num_classes must be -1"),
    ("one_hot of empty", lambda: ember.nn.functional.one_hot(ember.zeros(0, dtype=ember.int64)), ValueError,
     r"\[one_hot\] cannot infer"),
    ("one_hot of bool", lambda: ember.nn.functional.one_hot(ember.ones(2, dtype=ember.bool)), TypeError,
     r"\[one_hot\].*bool"),
    ("eye negative m", lambda: ember.eye(3, -2), ValueError, r"\[eye\] m must be non-negative, got -2"),
    ("eye m -1", lambda: ember.eye(3, -1), ValueError, r"\[eye\] m must be non-negative, got -1"),
    ("eye negative n", lambda: ember.eye(-1), ValueError, r"\[eye\] n must be non-negative, got -1"),
    ("bce input above 1", lambda: ember.nn.functional.binary_cross_entropy(ember.tensor([0.5, 1.5]), ember.ones(2)),
     ValueError, r"\[binary_cross_entropy\] all elements of input must be probabilities in \[0, 1\].*1.5"),
    ("bce negative input", lambda: ember.nn.BCELoss()(ember.tensor([-0.5]), ember.ones(1)), ValueError,
     r"\[binary_cross_entropy\]"),
    ("bce NaN input", lambda: ember.nn.functional.binary_cross_entropy(ember.tensor([float("nan")]), ember.ones(1)),
     ValueError, r"\[binary_cross_entropy\]"),
]


@pytest.mark.parametrize("desc,thunk,exc,pattern", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_clear_error(desc, thunk, exc, pattern):
    with pytest.raises(exc) as info:
        thunk()
    assert re.search(pattern, str(info.value)), f"{desc}: message {str(info.value)!r} does not match {pattern!r}"


def test_bad_inputs_after_importing_torch_first(torch):
    # PyTorch's CUDA wheels put libraries with their own libstdc++ symbols into the process's global
    # scope; ember's messages (number formatting) must not bind to them (ember/__init__.py: _load_core).
    script = ("import sys, torch, pytest; "
              "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-k', 'bad_input_raises', sys.argv[1]]))")
    out = subprocess.run([sys.executable, "-c", script, __file__], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(Path(ember.__file__).parents[1])})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f"{len(BAD_INPUTS)} passed" in out.stdout, out.stdout[-3000:]
