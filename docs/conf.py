"""Sphinx configuration of ember's site: `make docs` builds it into build/docs/html with warnings as errors."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

import ember  # noqa: E402 - the installed package (`make docs` runs `make setup` first)

project = "ember"
author = "the ember authors"
copyright = "the ember authors"
release = version = ember.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "myst_nb",  # Markdown pages (MyST) and the notebooks
    "breathe",
    "ember_api",
]

# The notebooks render as stored, never executed: `make test` executes them (tests/python).
nb_execution_mode = "off"
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 4  # README's #section links resolve in the included parts

exclude_patterns = ["_build"]

# pybind11 puts the signature on the docstring's first line: autodoc shows it as the signature.
autodoc_docstring_signature = True
autodoc_member_order = "groupwise"
autodoc_default_options = {"exclude-members": "__init__, __new__"}
autodoc_typehints = "signature"
autosummary_generate = False  # the ember-api directive writes the entries; no stub files

# The C++ reference: Doxygen (docs/Doxyfile) writes XML from the public headers before the build reads it.
DOXYGEN_XML = ROOT / "build" / "docs" / "doxygen" / "xml"
breathe_projects = {"ember": str(DOXYGEN_XML)}
breathe_default_project = "ember"
breathe_default_members = ("members",)
cpp_index_common_prefix = ["ember::"]


def run_doxygen(app):
    if shutil.which("doxygen") is None:
        raise RuntimeError("doxygen is not installed (apt-get install doxygen; `make setup` installs it)")
    DOXYGEN_XML.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["doxygen", "docs/Doxyfile"], cwd=ROOT, check=True)


# pybind11 lists an overloaded function's signatures in its docstring as "1. add(self: object, ...) -> object";
# shown as code, their "*" (keyword-only marker) and "|" (union types) are not read as RST markup.
PYBIND_OVERLOAD = re.compile(r"^(\d+)\. (\w+\(.*\)(?: -> .*)?)$")


def quote_pybind_overloads(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        if m := PYBIND_OVERLOAD.match(line):
            lines[i] = f"{m[1]}. ``{m[2]}``"


def setup(app):
    app.connect("builder-inited", run_doxygen)
    app.connect("autodoc-process-docstring", quote_pybind_overloads)


html_theme = "furo"
html_title = f"ember {release}"

# README sections included as whole pages (benchmarks, serve, ...) start at their README heading, H2.
suppress_warnings = ["myst.header"]
