"""Deployment: export a trained model to one ``.ember`` file that C++ runs (docs/deploy-format.md).

>>> ember.deploy.export(model, x[:8], "model.ember")   # trace and write weights + graph
>>> deployed = ember.deploy.load("model.ember")        # the C++ runtime (ember::deploy::load)
>>> y = deployed(x)                                    # any batch size
"""
from __future__ import annotations

import os
from typing import Any

from .. import _core
from .._core import DeployedModel
from ._graph import FORMAT, FORMAT_VERSION, Graph, Node, ValueSpec
from ._trace import ExportError, export, trace

__all__ = ["export", "trace", "load", "DeployedModel", "ExportError", "Graph", "Node", "ValueSpec", "FORMAT",
           "FORMAT_VERSION"]


def load(path: str | os.PathLike[Any]) -> DeployedModel:
    """Loads a ``.ember`` file into ember's C++ inference runtime: the same code a C++ program runs with
    ``ember::deploy::load``. The file is validated (and dry-run) first; a bad file raises
    ``ember.CheckpointError``. Call the result on tensors: ``deployed(x)``."""
    return _core._deploy_load(os.fsdecode(os.fspath(path)))
