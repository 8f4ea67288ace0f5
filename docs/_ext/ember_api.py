"""The `ember-api` directive: one module's public names, as an autosummary table and an autodoc entry each.

The names come from the module itself (its ``__all__``, else every name without a leading underscore), so a
new function or class appears in the reference without editing a page; tests/python/test_api.py keeps each
one documented.
"""
from __future__ import annotations

import importlib
import inspect

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def resolve(path: str):
    """A module by dotted name, also one that is an attribute rather than an importable module (ember.cuda)."""
    try:
        return importlib.import_module(path)
    except ImportError:
        parent, _, attr = path.rpartition(".")
        return getattr(resolve(parent), attr)


def is_embers(obj) -> bool:
    """False for what a module merely imported (``pathlib.Path``, ``__future__.annotations``)."""
    owner = obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)
    return (getattr(owner, "__module__", None) or "ember").split(".")[0] == "ember"


def public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_") and is_embers(getattr(module, n))]
    return sorted(n for n in names if not inspect.ismodule(getattr(module, n)))


class EmberApi(SphinxDirective):
    """``.. ember-api:: ember.nn`` (in an .rst page: the entries are RST) with ``:exclude: Tensor Size`` for names documented on another page."""

    required_arguments = 1
    option_spec = {"exclude": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        modname = self.arguments[0]
        module = resolve(modname)
        exclude = set((self.options.get("exclude") or "").split())
        groups: dict[str, list[str]] = {"Classes": [], "Functions": [], "Constants": []}
        for name in public_names(module):
            if name in exclude:
                continue
            obj = getattr(module, name)
            kind = "Classes" if inspect.isclass(obj) else "Functions" if callable(obj) else "Constants"
            groups[kind].append(name)

        # automodule: the module's docstring as the page's introduction (ember.cuda is an object, not a module)
        lines = [f".. automodule:: {modname}" if inspect.ismodule(module) else f".. py:module:: {modname}", ""]
        for title, names in groups.items():
            if not names:
                continue
            lines += [f".. rubric:: {title}", "", ".. autosummary::", "   :nosignatures:", ""]
            lines += [f"   {n}" for n in names] + [""]  # relative to the module automodule made current
        for title, names in groups.items():
            for n in names:
                full = f"{modname}.{n}"
                if title == "Classes":
                    lines += [f".. autoclass:: {full}", "   :members:", "   :show-inheritance:", ""]
                elif title == "Functions":
                    lines += [f".. autofunction:: {full}", ""]
                else:
                    lines += [f".. autodata:: {full}", "   :no-value:", ""]
        content = StringList(lines, source=f"<ember-api {modname}>")
        node = nodes.container()
        nested_parse_with_titles(self.state, content, node)
        return node.children


def setup(app):
    app.add_directive("ember-api", EmberApi)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
