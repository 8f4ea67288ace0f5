"""Utilities, as ``torch.utils``: ``ember.utils.data`` holds datasets and the DataLoader; ``progress`` and
``History`` are the training-loop helpers (a tqdm bar with running metric means, per-epoch curves);
``checkpoint`` recomputes a segment's activations in backward instead of keeping them."""
from . import checkpoint, data
from .history import History
from .progress import Progress, progress

__all__ = ["checkpoint", "data", "History", "Progress", "progress"]
