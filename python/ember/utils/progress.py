"""A tqdm progress bar for training loops that shows running (sample-weighted) means of batch metrics."""
from __future__ import annotations

import math
import warnings
from typing import Any, Iterable, Iterator

__all__ = ["Progress", "progress"]


def _tqdm_class() -> type:
    # tqdm.auto renders a widget in Jupyter (when ipywidgets is installed) and text elsewhere. Without
    # ipywidgets it falls back to the text bar, which notebooks show fine, so its warning is only noise.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        warnings.filterwarnings("ignore", message=".*notebook mode.*")
        from tqdm.auto import tqdm
    return tqdm


def _number(name: str, value: Any) -> float:
    if hasattr(value, "item") and callable(value.item):  # an ember (or NumPy/PyTorch) scalar tensor
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"[progress] metric {name!r} must be a number or a one-element tensor, got "
                        f"{type(value).__name__}")
    return float(value)


def _format(value: float) -> str:
    """Compact text for a metric: 4 significant digits, no exponent for ordinary magnitudes."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.4g}"


class Progress:
    """An iterable tqdm bar that keeps running means of the metrics given to :meth:`log`.

    Made by :func:`progress`; iterate over it as over the wrapped iterable. ``bar`` is the underlying
    tqdm object (for ``set_description``, ``write`` and the like).
    """

    def __init__(self, iterable: Iterable | None, desc: str | None = None, total: int | None = None,
                 leave: bool = True, disable: bool = False, **tqdm_kwargs: Any) -> None:
        """Wraps ``iterable`` in a tqdm bar; see :func:`progress`."""
        self.bar = _tqdm_class()(iterable, desc=desc, total=total, leave=leave, disable=disable, **tqdm_kwargs)
        self._sums: dict[str, float] = {}
        self._counts: dict[str, float] = {}

    def __iter__(self) -> Iterator:
        """Yields the wrapped iterable's items, advancing the bar."""
        return iter(self.bar)

    def __len__(self) -> int:
        """The number of items, as ``len`` of the wrapped iterable (or ``total``)."""
        return len(self.bar)

    def __enter__(self) -> "Progress":
        """Returns the bar; leaving the ``with`` block closes it."""
        return self

    def __exit__(self, *exc: Any) -> None:
        """Closes the bar."""
        self.close()

    def log(self, n: int = 1, **metrics: Any) -> None:
        """Adds one batch's metrics, each weighted by ``n`` (the batch's sample count), and shows the means.

        >>> bar.log(loss=loss.item(), accuracy=acc, n=len(y))
        """
        if isinstance(n, bool) or not isinstance(n, (int, float)) or n < 0:
            raise ValueError(f"[progress] n is the number of samples in the batch, a non-negative number; got {n!r}")
        for name, value in metrics.items():
            v = _number(name, value)
            self._sums[name] = self._sums.get(name, 0.0) + v * n
            self._counts[name] = self._counts.get(name, 0.0) + n
        if not self.bar.disable:
            self.bar.set_postfix_str(self.postfix, refresh=False)

    def averages(self) -> dict[str, float]:
        """The sample-weighted mean of every metric given to :meth:`log` so far (NaN when its weights sum to 0)."""
        return {k: (self._sums[k] / c if (c := self._counts[k]) else math.nan) for k in self._sums}

    @property
    def postfix(self) -> str:
        """The text shown after the bar: ``"loss=0.1234, accuracy=0.9688"``."""
        return ", ".join(f"{k}={_format(v)}" for k, v in self.averages().items())

    def close(self) -> None:
        """Shows the final means and closes the bar (it stays on screen when ``leave=True``)."""
        if not self.bar.disable and self._sums:
            self.bar.set_postfix_str(self.postfix, refresh=False)
        self.bar.close()


def progress(iterable: Iterable | None = None, desc: str | None = None, total: int | None = None,
             leave: bool = True, disable: bool = False, **tqdm_kwargs: Any) -> Progress:
    """A progress bar over ``iterable`` (a DataLoader, a range...) that shows running means of logged metrics.

    It is a ``tqdm.auto`` bar (a widget in notebooks, text in a terminal); extra keyword arguments go to
    tqdm. Call ``bar.log(n=batch_size, loss=..., accuracy=...)`` once per batch: the postfix shows each
    metric's sample-weighted mean so far, and ``bar.averages()`` returns them.

    >>> with ember.utils.progress(loader, desc=f"epoch {epoch}") as bar:
    ...     for x, y in bar:
    ...         loss = step(x, y)
    ...         bar.log(loss=loss, n=len(y))
    >>> bar.averages()["loss"]
    """
    return Progress(iterable, desc=desc, total=total, leave=leave, disable=disable, **tqdm_kwargs)
