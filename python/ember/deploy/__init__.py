"""Deployment: export a trained model to one ``.ember`` file that C++ runs (docs/deploy-format.md)."""
from ._graph import FORMAT, FORMAT_VERSION, Graph, Node, ValueSpec
from ._trace import ExportError, export, trace
