"""Evaluation metrics for training loops: ``ember.metrics.accuracy``."""
from __future__ import annotations

from ._core import Tensor

__all__ = ["accuracy"]


def _shape(t: Tensor) -> str:
    return "(" + ", ".join(str(d) for d in t.shape) + ("," if t.ndim == 1 else "") + ")"


def accuracy(output: Tensor, target: Tensor) -> float:
    """Fraction of samples whose predicted class equals ``target``, as a Python float in [0, 1].

    ``output`` is either logits (or probabilities) of shape (N, C), whose argmax over the classes is the
    prediction, or predicted class labels of shape (N,) (an integer tensor); ``target`` holds the true
    class indices, shape (N,), integer dtype.

    >>> ember.metrics.accuracy(model(x), y)
    0.96875
    """
    for name, t in (("output", output), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"[accuracy] expected {name} to be an ember.Tensor, got {type(t).__name__}")
    if target.ndim != 1:
        raise ValueError(f"[accuracy] expected target of shape (N,) holding class indices, got shape {_shape(target)}")
    if target.dtype.is_floating_point:
        raise TypeError(f"[accuracy] expected target to hold integer class indices, got dtype {target.dtype}")
    if output.ndim == 2:
        pred = output.argmax(1)
    elif output.ndim == 1:
        if output.dtype.is_floating_point:
            raise TypeError(f"[accuracy] a 1-d output must hold predicted class labels (an integer tensor), got "
                            f"dtype {output.dtype}; pass logits of shape (N, C) to take their argmax")
        pred = output
    else:
        raise ValueError(f"[accuracy] expected output of shape (N, C) (logits) or (N,) (labels), got shape "
                         f"{_shape(output)}")
    n = target.shape[0]
    if pred.shape[0] != n:
        raise ValueError(f"[accuracy] output has {pred.shape[0]} samples (shape {_shape(output)}) but target has {n} "
                         f"(shape {_shape(target)})")
    if n == 0:
        raise ValueError("[accuracy] the batch is empty (0 samples): accuracy is undefined")
    return (pred == target).sum().item() / n
