#!/usr/bin/env bash
# Why ember's messages crash after `import torch` on the GPU machine. Builds _core once (A) and
# relinks it: B carries its own libstdc++ (static, hidden, -Bsymbolic); C only binds its own symbols (-Bsymbolic).
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
exec > >(tee "$OUT/order.log") 2>&1
start=$SECONDS; step() { echo "=== [$((SECONDS - start))s] $*"; }
PY=$(command -v python3)
site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
deps=$(mktemp -d); tar -C "$deps" -xJf .gpu_deps/deps.tar.xz
export LD_LIBRARY_PATH="$deps/onednn/lib:$(ls -d "$site"/nvidia/*/lib | tr '\n' ':')"
step configure
cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_WITH_CUDA=ON -DEMBER_BUILD_TESTS=OFF \
  -DEMBER_BUILD_PYTHON=ON -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc -DCMAKE_CUDA_ARCHITECTURES=90 \
  -Ddnnl_DIR="$deps/onednn/lib/cmake/dnnl" -DCMAKE_PREFIX_PATH="$deps/usr" \
  -DCMAKE_CXX_FLAGS="-isystem $deps/usr/include" -DPython_EXECUTABLE="$PY" \
  -Dpybind11_DIR="$deps/pylib/pybind11/share/cmake/pybind11" > "$OUT/configure.log" 2>&1 || { tail -30 "$OUT/configure.log"; exit 1; }
step "build _core (A)"
cmake --build build/gpu --target _core -j 16 > "$OUT/build.log" 2>&1 || { grep -E "error|FAILED" "$OUT/build.log" | head -30; exit 1; }
step "relink: B static hidden libstdc++ + Bsymbolic, C Bsymbolic"
relink() {  # $1: folder, $2: extra flags
  cp -r python "$1"
  local link; link=$(ninja -C build/gpu -t commands _core | tail -1)
  link=${link//"$PWD/python/ember/"/"$1/ember/"}
  link=${link/ -shared / -shared $2 }
  (cd build/gpu && eval "$link") || echo "link $1 failed"
}
# (a plain `wait` would also wait for the `tee` above, forever)
relink /tmp/pyB "-static-libstdc++ -Wl,--exclude-libs,ALL -Wl,-Bsymbolic" & b=$!
relink /tmp/pyC "-Wl,-Bsymbolic" & c=$!
wait $b $c
for d in python /tmp/pyB /tmp/pyC; do readelf -d $d/ember/_core*.so | grep -c "libstdc" ; done
cat > /tmp/order.py <<'EOF'
import sys
if sys.argv[1] == "torch-first":
    import torch
import ember, torch
for bad in (lambda: setattr(ember.zeros(3, dtype=ember.int64), "requires_grad", True),
            lambda: ember.zeros(3, 4) @ ember.zeros(5, 6)):
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e, flush=True)
EOF
for v in A:python B:/tmp/pyB C:/tmp/pyC; do for m in torch-first ember-first; do
  PYTHONPATH="${v#*:}" timeout 60 "$PY" /tmp/order.py $m > /tmp/o.txt 2>&1; echo "${v%%:*} $m: exit $? $(head -c 300 /tmp/o.txt | tr '\n' '|')"
done; done
step "bindings of std:: symbols to objects other than libstdc++ (A, torch first)"
PYTHONPATH=python LD_DEBUG=bindings LD_DEBUG_OUTPUT=/tmp/ldd timeout 120 "$PY" /tmp/order.py torch-first > /dev/null 2>&1
cat /tmp/ldd.* | grep -E "normal symbol \`_Z(N|NK|T[VIS])?St" | grep -v -E " to [^ ]*libstdc\+\+\.so" \
  | sed -E 's/^ *[0-9]+:\s*binding file ([^ ]*\/)?([^ /]+) \[[0-9]+\] to ([^ ]*\/)?([^ /]+) \[[0-9]+\]: normal symbol `([^'"'"']*).*/\2 -> \4: \5/' \
  | sort | uniq -c | sort -rn > "$OUT/std_bindings.txt"
wc -l < "$OUT/std_bindings.txt"; grep -E "libstdc|_core" "$OUT/std_bindings.txt" | head -30; head -15 "$OUT/std_bindings.txt"
step "B and C: the whole Python suite (tests import torch)"
pids=()
for d in B C; do
  PYTHONPATH=/tmp/py$d timeout 150 "$PY" -m pytest -q tests/python -p no:cacheprovider \
    --ignore=tests/python/test_notebooks.py --ignore=tests/python/test_cpp_consumer.py > "$OUT/pytest_$d.txt" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
for d in B C; do echo "--- $d"; tail -6 "$OUT/pytest_$d.txt"; done
step done
