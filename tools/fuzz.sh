#!/usr/bin/env bash
# Builds ember's libFuzzer harnesses (tests/fuzz/) with clang++, ASan and UBSan in build/fuzz, then runs
# each for FUZZ_S seconds on a working corpus in build/fuzz/corpus/<name> (seeded from the committed
# tests/fuzz/corpus/<name>; what the fuzzer adds stays out of git). A crash, hang, leak or oversized
# allocation leaves its reproducer in tests/fuzz/crashes/<name>/, is reported with the command that
# replays it, and makes the script exit 1.
#   tools/fuzz.sh [name...]         every harness when no name is given
#   FUZZ_S=600 tools/fuzz.sh json   ten minutes of the JSON harness
# Environment: FUZZ_S (seconds per harness, default 60), FUZZ_SEED (libFuzzer's -seed: the same inputs
# in the same order on every run, as CI wants; default random), PY (the Python whose prefix holds oneDNN and
# cmake/ninja, default .venv/bin/python), JOBS (build parallelism, and harnesses run at once; default 2), CXX
# (default clang++).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
FUZZ_S=${FUZZ_S:-60}
PY=${PY:-$root/.venv/bin/python}
JOBS=${JOBS:-2}
bin=$(dirname "$PY")
build=build/fuzz

prefix=$("$PY" -c 'import sys; print(sys.prefix)')
"$bin/cmake" -S tests/fuzz -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_MAKE_PROGRAM="$bin/ninja" \
  -DCMAKE_CXX_COMPILER="${CXX:-clang++}" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
"$bin/cmake" --build "$build" -j "$JOBS"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp | sed 's/^fuzz_//')"); done
fi

# Leaks are findings (libFuzzer's check); UBSan stops at the first report but the known one in
# RapidJSON 1.1 (tests/fuzz/ubsan.supp).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$root/tests/fuzz/ubsan.supp}
# One harness: its summary line, and on failure the reproducers and the commands that replay them. Harnesses
# are single-threaded, so JOBS of them run side by side; their reports print in order once all are done.
fuzz_one() {
  local t=$1 exe=$build/fuzz_$1 work=$build/corpus/$1 crashes=tests/fuzz/crashes/$1 extra=() before rc
  mkdir -p "$work" "$crashes"
  [ -d "tests/fuzz/corpus/$t" ] && extra+=("tests/fuzz/corpus/$t")
  [ -f "tests/fuzz/$t.dict" ] && extra+=("-dict=tests/fuzz/$t.dict")
  [ -n "${FUZZ_SEED:-}" ] && extra+=("-seed=$FUZZ_SEED")
  before=$(ls "$crashes")
  # -timeout: one input running past 10 s is a hang; -rss_limit_mb/-malloc_limit_mb: ember checks
  # sizes before it allocates, so one allocation of 512 MB (or 2 GB resident) from a small input is
  # a finding. The first corpus directory receives new inputs: the working one, outside git.
  echo "[fuzz] $t: ${FUZZ_S} s"
  rc=0
  "$exe" "$work" "${extra[@]}" -max_total_time="$FUZZ_S" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=512 -max_len=65536 -artifact_prefix="$crashes/" -print_final_stats=1 >"$build/logs/$t.log" 2>&1 \
    || rc=$?
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ *DONE' "$build/logs/$t.log" | tr '\n' ' ' | sed 's/$/\n/' || true
  if [ $rc -ne 0 ]; then
    echo "[fuzz] $t FAILED (exit $rc); log: $build/logs/$t.log"
    grep -E 'ERROR: |contract violated|runtime error|SUMMARY' "$build/logs/$t.log" | head -5 || true
    for f in $(comm -13 <(echo "$before") <(ls "$crashes")); do
      echo "[fuzz]   reproducer: $crashes/$f"
      echo "[fuzz]   replay:     $exe $crashes/$f"
    done
  fi
  return $rc
}

mkdir -p "$build/logs"
for t in "${targets[@]}"; do
  [ -x "$build/fuzz_$t" ] || { echo "[fuzz] no harness '$t' (tests/fuzz/fuzz_$t.cpp)"; exit 2; }
done
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  { rc=0; fuzz_one "$t" >"$build/logs/$t.report" 2>&1 || rc=$?; echo $rc >"$build/logs/$t.rc"; } &
done
wait
status=0
for t in "${targets[@]}"; do
  cat "$build/logs/$t.report"
  [ "$(cat "$build/logs/$t.rc")" = 0 ] || status=1
done
exit $status
