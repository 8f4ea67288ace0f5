"""Optimizers and learning-rate schedulers, named as in ``torch.optim``.

>>> import ember
>>> w = ember.zeros(3, dtype=ember.float64, requires_grad=True)
>>> opt = ember.optim.SGD([w], lr=0.1)
>>> (w - 1.0).pow(2).sum().backward()
>>> opt.step()
>>> w.tolist()
[0.2, 0.2, 0.2]

The classes keep parameter groups and per-parameter state in Python; each update rule runs in C++
(``ember::optim::sgd_step`` and friends), one fused loop per parameter.
"""
from __future__ import annotations

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer", "RAdam", "RMSprop", "SGD",
           "lr_scheduler", "swa_utils"]
