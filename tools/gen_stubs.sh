#!/usr/bin/env bash
# Regenerates python/ember/_core.pyi from the built module (run after changing a binding):
#   make stubs
set -euo pipefail
PY=${PY:-.venv/bin/python}
out=$(mktemp -d)
"$PY" -m pip install -q pybind11-stubgen
"$PY" -m pybind11_stubgen ember._core -o "$out" --ignore-all-errors >/dev/null
src="$out/ember/_core/__init__.pyi"
[ -f "$src" ] || src="$out/ember/_core.pyi"
# One flat stub file: the return_types submodule's named tuples are plain tuples to a type checker, and
# the cuda submodule (ember.cuda), _linalg (re-exported by ember/linalg.py) and _cpu (ember.backends.cpu) are untyped.
grep -v '^from \. import \(return_types\|cuda\|_linalg\|_cpu\)$' "$src" > python/ember/_core.pyi
touch python/ember/py.typed
echo "wrote python/ember/_core.pyi"
