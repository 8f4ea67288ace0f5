#!/usr/bin/env bash
# Collects what tools/gpu_check.sh needs on a GPU machine without internet, oneDNN or Debian's dev
# packages, into one compressed archive: the onednn-devel-cpu-gomp wheel's headers, library and CMake
# config (from the dev environment), and the Debian headers/libraries of Eigen, xtensor, xtl, DLPack,
# RapidJSON, nlohmann-json (the C++ tests' fixtures), GoogleTest and Google Benchmark, in their /usr
# layout (so their CMake configs work), and pytest with its pure-Python dependencies (used only where
# the GPU machine's Python lacks pytest).
#   DEVENV=.venv  DEPS=.gpu_deps  tools/gpu_deps.sh   (DEVENV: the environment `make setup` made)
set -euo pipefail
DEVENV=${DEVENV:-.venv}
DEPS=${DEPS:-.gpu_deps}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# oneDNN (the wheel ships three copies of the library: keep the soname one and link the others to it)
mkdir -p "$stage/onednn/lib"
cp -r "$DEVENV/include" "$stage/onednn/include"
find "$stage/onednn/include" -maxdepth 1 -mindepth 1 ! -name 'dnnl*' ! -name oneapi -exec rm -rf {} +
cp "$DEVENV/lib/libdnnl.so.3" "$stage/onednn/lib/"
ln -s libdnnl.so.3 "$stage/onednn/lib/libdnnl.so"
ln -s libdnnl.so.3 "$stage/onednn/lib/libdnnl.so.3.2"
cp -r "$DEVENV/lib/cmake" "$stage/onednn/lib/cmake"
find "$stage/onednn/lib/cmake" -mindepth 1 -maxdepth 1 ! -name dnnl -exec rm -rf {} +

# Debian packages, keeping their paths under usr/
for p in /usr/include/{eigen3,xtensor,xtl,dlpack,rapidjson,nlohmann,gtest,gmock,benchmark} \
         /usr/share/eigen3/cmake /usr/share/cmake/{xtl,RapidJSON,nlohmann_json} \
         /usr/lib/x86_64-linux-gnu/cmake/{GTest,benchmark,xtensor} \
         /usr/lib/x86_64-linux-gnu/libgtest*.a /usr/lib/x86_64-linux-gnu/libgmock*.a \
         /usr/lib/x86_64-linux-gnu/libbenchmark*; do
  [ -e "$p" ] || continue
  mkdir -p "$stage$(dirname "$p")"
  cp -r "$p" "$stage$(dirname "$p")/"
done

# pytest (pure Python), and pybind11 (headers and CMake config: the version ember's bindings are written for)
site=$("$DEVENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$stage/pylib"
for p in pytest _pytest pluggy iniconfig packaging pygments py.py pybind11; do
  [ -e "$site/$p" ] && cp -r "$site/$p" "$stage/pylib/"
done
find "$stage/pylib" -name __pycache__ -prune -exec rm -rf {} +

mkdir -p "$DEPS"
tar -C "$stage" -cJf "$DEPS/deps.tar.xz" onednn usr pylib
du -sh "$DEPS/deps.tar.xz"
