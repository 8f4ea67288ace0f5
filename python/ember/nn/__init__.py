"""``ember.nn``: modules, layers, losses and initializers with PyTorch's names and behaviour.

>>> import ember
>>> from ember import nn
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> model(ember.randn(3, 4)).shape
(3, 2)
"""
from . import functional, init, parallel, utils
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module
from .modules import *  # noqa: F401,F403 - the layers
from .modules import __all__ as _layers
from .parallel import DataParallel
from .parameter import Parameter

__all__ = ["DataParallel", "Module", "ModuleDict", "ModuleList", "Parameter", "ParameterDict", "ParameterList",
           "Sequential", "functional", "init",
           "parallel", "utils", *_layers]
