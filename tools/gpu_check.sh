#!/usr/bin/env bash
# Checks the CUDA backend on a GPU machine, once: builds ember_cuda and the CUDA GoogleTests, runs them,
# builds the Python extension and runs tests/python/test_cuda.py. Logs and JUnit files go to $OUT.
# Needs nvcc (PATH, /usr/local/cuda/bin, or the nvidia-cuda-nvcc wheel), Python with pybind11, numpy,
# pytest and nvidia-cublas, and the archive tools/gpu_deps.sh made (oneDNN + Debian headers).
#   OUT=/tmp/out DEPS=.gpu_deps JOBS=16 CUDA_ARCH=90 PYTHON=python3 tools/gpu_check.sh
# Without nvcc it runs a carried, prebuilt build/cu/tests/cpp/ember_cuda_tests instead (C++ tests only).
set -uo pipefail
OUT=${OUT:-build/gpu_check}
DEPS=${DEPS:-.gpu_deps}
JOBS=${JOBS:-16}
CUDA_ARCH=${CUDA_ARCH:-90}
PY=$(command -v "${PYTHON:-python3}")
BUILD=${BUILD:-build/gpu}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1
start=$SECONDS
step() { echo "=== [$((SECONDS - start))s] $*"; }

step "device"
nvidia-smi 2>&1 | head -15
site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# cuBLAS and the CUDA runtime from the Python environment's NVIDIA wheels (torch's), for the tests.
nvlibs=$(ls -d "$site"/nvidia/*/lib 2>/dev/null | tr '\n' ':')

deps=$(mktemp -d)
trap 'rm -rf "$deps"' EXIT
step "unpacking $DEPS/deps.tar.xz"
tar -C "$deps" -xJf "$DEPS/deps.tar.xz" || { echo "missing $DEPS/deps.tar.xz: run tools/gpu_deps.sh"; exit 2; }
export LD_LIBRARY_PATH="$deps/onednn/lib:$nvlibs${LD_LIBRARY_PATH:-}"

NVCC=${NVCC:-$(command -v nvcc || true)}
for candidate in /usr/local/cuda/bin/nvcc "$site"/nvidia/cu13/bin/nvcc "$site"/nvidia/cuda_nvcc/bin/nvcc; do
  [ -z "$NVCC" ] && [ -x "$candidate" ] && NVCC=$candidate
done
if [ -z "$NVCC" ]; then
  step "no nvcc on this machine: running the carried prebuilt C++ tests (build/cu)"
  if [ -x build/cu/tests/cpp/ember_cuda_tests ]; then
    LD_LIBRARY_PATH="build/cu:$LD_LIBRARY_PATH" build/cu/tests/cpp/ember_cuda_tests \
      --gtest_output="xml:$OUT/gtest_cuda.xml" 2>&1 | tee "$OUT/gtest_cuda.txt"
    exit "${PIPESTATUS[0]}"
  fi
  echo "no nvcc and no prebuilt build/cu/tests/cpp/ember_cuda_tests: nothing to run"
  exit 2
fi

step "configure ($NVCC, sm_$CUDA_ARCH)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_WITH_CUDA=ON -DEMBER_BUILD_TESTS=ON \
  -DEMBER_BUILD_PYTHON=ON -DCMAKE_CUDA_COMPILER="$NVCC" -DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCH" \
  -Ddnnl_DIR="$deps/onednn/lib/cmake/dnnl" -DCMAKE_PREFIX_PATH="$deps/usr" \
  -DCMAKE_CXX_FLAGS="-isystem $deps/usr/include" -DPython_EXECUTABLE="$PY" \
  -Dpybind11_DIR="$deps/pylib/pybind11/share/cmake/pybind11" > "$OUT/configure.log" 2>&1 \
  || { tail -40 "$OUT/configure.log"; exit 1; }
grep "ember: CUDA" "$OUT/configure.log"

step "build ember_cuda, the C++ test suites and _core (-j$JOBS)"
cmake --build "$BUILD" --target ember_cuda_tests ember_tests _core -j "$JOBS" > "$OUT/build.log" 2>&1 \
  || { grep -E "error|FAILED" "$OUT/build.log" | head -40; exit 1; }

status=0
step "C++ CUDA tests"
"$BUILD"/tests/cpp/ember_cuda_tests --gtest_output="xml:$OUT/gtest_cuda.xml" 2>&1 | tee "$OUT/gtest_cuda.txt"
[ "${PIPESTATUS[0]}" = 0 ] || status=1

step "Python CUDA tests"
pypath="$PWD/python"
"$PY" -c 'import pytest' 2>/dev/null || pypath="$pypath:$deps/pylib"  # the carried pytest
"$PY" -c 'import numpy' || echo "numpy is missing: ember's Python package cannot import"
PYTHONPATH="$pypath" timeout 300 "$PY" -m pytest -q -rs tests/python/test_cuda.py \
  --junitxml="$OUT/pytest_cuda.xml" 2>&1 | tee "$OUT/pytest_cuda.txt"
[ "${PIPESTATUS[0]}" = 0 ] || status=1

step "the whole C++ suite"
"$BUILD"/tests/cpp/ember_tests --gtest_brief=1 > "$OUT/gtest_all.txt" 2>&1 || status=1
tail -5 "$OUT/gtest_all.txt"

step "the whole Python suite (a GPU present)"
PYTHONPATH="$pypath" timeout 300 "$PY" -m pytest -q -x tests/python -p no:cacheprovider > "$OUT/pytest_all.txt" 2>&1 || status=1
tail -15 "$OUT/pytest_all.txt"

step "benchmarks beside PyTorch CUDA"
PYTHONPATH="$pypath" timeout 120 "$PY" bench/python/bench_cuda.py 2>&1 | tee "$OUT/bench_cuda.txt"

step "done (status $status)"
exit $status
