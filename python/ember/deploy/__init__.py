"""Deployment: export a trained model to one ``.ember`` file that C++ runs (docs/deploy-format.md).

>>> ember.deploy.export(model, x[:8], "model.ember")   # trace and write weights + graph
>>> deployed = ember.deploy.load("model.ember")        # the C++ runtime (ember::deploy::load)
>>> y = deployed(x)                                    # any batch size

Layout: ``_export.py`` (trace / export), ``_tracer.py`` (recording one run), ``_recorders.py`` (the
per-op table: which ember op records which deploy node), ``_symbolic_dims.py`` (the batch size as a
dim expression), ``_graph.py`` (the graph written to the file). The C++ side of each op is
``include/ember/deploy/ops.hpp``; its ONNX side ``ember/onnx/_ops.py``.
"""
from __future__ import annotations

import os
from typing import Any

from .. import _core
from .._core import DeployedModel
from ._export import export, save, trace
from ._graph import FORMAT, FORMAT_VERSION, ExportError, Graph, Node, ValueSpec

__all__ = ["export", "save", "trace", "load", "DeployedModel", "ExportError", "Graph", "Node", "ValueSpec", "FORMAT",
           "FORMAT_VERSION"]


def load(path: str | os.PathLike[Any]) -> DeployedModel:
    """Loads a ``.ember`` file into ember's C++ inference runtime: the same code a C++ program runs with
    ``ember::deploy::load``. The file is validated (and dry-run) first; a bad file raises
    ``ember.CheckpointError``. Call the result on tensors: ``deployed(x)``."""
    return _core._deploy_load(os.fsdecode(os.fspath(path)))
