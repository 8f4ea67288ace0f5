"""Per-epoch metric history for training loops, with a matplotlib plot of the loss and accuracy curves."""
from __future__ import annotations

import math
import os
from typing import Any

__all__ = ["History"]


def _number(name: str, value: Any) -> float:
    if hasattr(value, "item") and callable(value.item):  # an ember (or NumPy/PyTorch) scalar tensor
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"[History] metric {name!r} must be a number or a one-element tensor, got "
                        f"{type(value).__name__}")
    return float(value)


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("History.plot needs matplotlib: pip install matplotlib") from None
    import sys
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if (headless and "matplotlib.pyplot" not in sys.modules and "ipykernel" not in sys.modules
            and not os.environ.get("MPLBACKEND")):
        matplotlib.use("Agg")  # no display, not a notebook, no backend chosen: draw off-screen
    import matplotlib.pyplot as plt
    return plt


class History:
    """One row of metrics per epoch: ``history.append(epoch=3, train_loss=0.12, test_acc=0.97)``.

    ``history["train_loss"]`` is that metric's list over the epochs that logged it; :meth:`plot` draws
    losses in one panel and accuracies (keys containing "acc") in another. ``state_dict()`` is a plain
    dict that ``ember.save`` stores inside a checkpoint.
    """

    def __init__(self) -> None:
        """An empty history."""
        self._rows: list[dict[str, float]] = []  # each row: "epoch" plus that epoch's metrics

    def append(self, epoch: int | None = None, **metrics: Any) -> None:
        """Adds one epoch's metrics; ``epoch`` defaults to the previous epoch + 1 (the first is 1)."""
        if epoch is None:
            epoch = self._rows[-1]["epoch"] + 1 if self._rows else 1
        elif isinstance(epoch, bool) or not isinstance(epoch, int):
            raise TypeError(f"[History.append] epoch must be an int, got {type(epoch).__name__}")
        if not metrics:
            raise ValueError("[History.append] no metrics given: pass them as keywords, e.g. train_loss=0.25")
        row: dict[str, Any] = {"epoch": epoch}
        row.update({k: _number(k, v) for k, v in metrics.items()})
        self._rows.append(row)

    def __getitem__(self, key: str) -> list[float]:
        """The values of metric ``key`` (or "epoch") in order, over the epochs that logged it."""
        if key != "epoch" and key not in self.keys():
            raise KeyError(f"[History] no metric {key!r}; logged metrics: {self.keys()}")
        return [row[key] for row in self._rows if key in row]

    def __contains__(self, key: object) -> bool:
        """Whether metric ``key`` was logged."""
        return key in self.keys()

    def __len__(self) -> int:
        """The number of epochs logged."""
        return len(self._rows)

    def __repr__(self) -> str:
        """``History(epochs=5, keys=['train_loss', 'test_acc'])``."""
        return f"History(epochs={len(self)}, keys={self.keys()})"

    @property
    def epochs(self) -> list[int]:
        """The epoch number of every row."""
        return [row["epoch"] for row in self._rows]

    def keys(self) -> list[str]:
        """The metric names, in the order they were first logged (without "epoch")."""
        seen: dict[str, None] = {}
        for row in self._rows:
            seen.update((k, None) for k in row if k != "epoch")
        return list(seen)

    def last(self) -> dict[str, float]:
        """The last row as a dict (with its "epoch"); an empty dict before the first :meth:`append`."""
        return dict(self._rows[-1]) if self._rows else {}

    def state_dict(self) -> dict[str, Any]:
        """The history as plain Python data (``{"rows": [...]}``), for ``ember.save`` or JSON."""
        return {"rows": [dict(row) for row in self._rows]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Replaces the history with one from :meth:`state_dict`; nothing changes if it is malformed."""
        rows = state_dict.get("rows") if isinstance(state_dict, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) and "epoch" in r for r in rows):
            raise ValueError("[History.load_state_dict] expected {'rows': [{'epoch': ..., <metric>: ...}, ...]} "
                             f"as returned by History.state_dict(), got {type(state_dict).__name__}")
        self._rows = [{"epoch": int(r["epoch"]), **{k: _number(k, v) for k, v in r.items() if k != "epoch"}}
                      for r in rows]

    def plot(self, path: str | os.PathLike | None = None, ax: Any = None, title: str | None = None) -> Any:
        """Draws losses (keys without "acc") in one panel and accuracies (keys containing "acc") in another.

        ``path`` saves the figure there (PNG for a .png name); ``ax`` draws into existing matplotlib axes
        (one, or a pair for losses and accuracies) instead of a new figure. Returns the Figure. Needs
        matplotlib (``pip install matplotlib``), imported only here; without a display it draws with Agg.
        """
        if not self._rows:
            raise ValueError("[History.plot] the history is empty: append at least one epoch first")
        plt = _pyplot()
        keys = self.keys()
        groups = [("loss", [k for k in keys if "acc" not in k.lower()]),
                  ("accuracy", [k for k in keys if "acc" in k.lower()])]
        groups = [(label, ks) for label, ks in groups if ks]
        if ax is None:
            fig, axes = plt.subplots(1, len(groups), figsize=(5.5 * len(groups), 4), squeeze=False)
            axes = list(axes[0])
        else:
            axes = list(ax) if isinstance(ax, (list, tuple)) or hasattr(ax, "__len__") else [ax]
            if len(axes) < len(groups) and len(axes) == 1:
                axes = axes * len(groups)  # everything in the one panel given
            fig = axes[0].figure
        for a, (label, ks) in zip(axes, groups):
            for k in ks:
                xs = [row["epoch"] for row in self._rows if k in row and not math.isnan(row[k])]
                ys = [row[k] for row in self._rows if k in row and not math.isnan(row[k])]
                a.plot(xs, ys, marker="o" if len(xs) < 30 else None, markersize=3, label=k)
            a.set_xlabel("epoch")
            a.set_ylabel(label)
            a.grid(True, alpha=0.3)
            a.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        if path is not None:
            fig.savefig(os.fspath(path), dpi=100)
        return fig
