#!/usr/bin/env bash
# Installs a built wheel as a user would and uses it: a fresh venv from the system python3 in a temporary
# folder, no compiler on PATH, `pip install` of the wheel (numpy, oneDNN and the rest come from the package
# index), then a few training steps of a small MLP that must lower the loss; then, with the compiler back on
# PATH, examples/cpp_consumer configured against the installed package (find_package(ember CONFIG)) and run.
#   tools/wheel_test.sh [WHEEL]        default: dist/ember-*manylinux*.whl (`make wheel`)
#   tools/wheel_test.sh --sdist [SDIST]  first builds the wheel from the sdist (default dist/ember-*.tar.gz)
#                                      with build isolation in another fresh venv (tools/build_wheel.sh
#                                      --from-sdist: a full compile), then tests that wheel
# Environment: PYTHON (the interpreter the venvs come from, default python3), JOBS (default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV CC CXX
# The interpreter itself, not a venv of it or a launcher shim (pyenv's needs its own PATH).
base=$("${PYTHON:-python3}" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')
stamp() { echo "[wheel-test $(date -u +%T)] $*"; }

if [ "${1:-}" = --sdist ]; then
  sdist=${2:-$(ls "$root"/dist/ember-*.tar.gz)}
  stamp "building the wheel from $sdist in a fresh venv (build isolation on)"
  "$base" -m venv "$tmp/build-venv"
  start=$SECONDS
  PY="$tmp/build-venv/bin/python" OUT="$tmp/dist" "$root/tools/build_wheel.sh" --from-sdist "$sdist"
  stamp "wheel from the sdist built in $((SECONDS - start)) s"
  wheel=$(ls "$tmp"/dist/ember-*.whl)
else
  wheel=${1:-$(ls "$root"/dist/ember-*manylinux*.whl)}
fi
wheel=$(cd "$(dirname "$wheel")" && pwd)/$(basename "$wheel")

stamp "installing $(basename "$wheel") into a fresh venv from $base"
"$base" -m venv "$tmp/venv"
bin=$tmp/venv/bin
cd "$tmp"  # away from the source tree: `import ember` must find the installed package
# Only the venv's own scripts on PATH: no compiler can be found, so nothing can be built from source.
nocc() { env PATH="$bin" "$@"; }
if nocc /bin/bash -c 'command -v gcc || command -v g++ || command -v cc || command -v c++'; then
  echo "a compiler is still on PATH" >&2; exit 1
fi
start=$SECONDS
nocc "$bin/python" -m pip install -q --only-binary=:all: "$wheel"
stamp "installed in $((SECONDS - start)) s"
nocc "$bin/python" - <<'EOF'
import numpy as np
import ember
import ember.nn as nn

print("ember", ember.__version__, "from", ember.__file__)
rng = np.random.default_rng(0)
x = rng.standard_normal((256, 8)).astype(np.float32)
y = (x[:, :4].sum(1) > x[:, 4:].sum(1)).astype(np.int64)
X, Y = ember.from_numpy(x), ember.from_numpy(y)
ember.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))
opt = ember.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.CrossEntropyLoss()
losses = []
for step in range(40):
    opt.zero_grad()
    loss = loss_fn(model(X), Y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")
assert losses[-1] < 0.5 * losses[0], losses
import ember.distributed as dist
print("distributed available:", dist.is_available(), "" if dist.is_available() else dist._MISSING)
print("cuda available:", ember.cuda.is_available(), ember.cuda.unavailable_reason() if not ember.cuda.is_available() else "")
assert "site-packages" in ember.__file__, ember.__file__
EOF

stamp "building examples/cpp_consumer against the installed package"
"$bin/python" -m pip install -q cmake ninja
cmake_dir=$("$bin/python" -c 'import ember; print(ember.get_cmake_dir())')
PATH="$bin:$PATH" cmake -S "$root/examples/cpp_consumer" -B "$tmp/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -Dember_DIR="$cmake_dir" >/dev/null
PATH="$bin:$PATH" cmake --build "$tmp/consumer" -j "${JOBS:-2}" >/dev/null
"$tmp/consumer/consumer" | tee "$tmp/consumer.txt"
grep -q "y\[2\]\[1\] = 19.0" "$tmp/consumer.txt"
stamp "wheel test passed: $(basename "$wheel")"
