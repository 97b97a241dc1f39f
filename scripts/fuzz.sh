#!/usr/bin/env bash
# fuzz.sh [SECONDS] — build the libFuzzer harnesses (tests/fuzz, clang with
# ASan+UBSan) into build-fuzz/, replay every committed input (regressions
# and seeds) under the sanitizers, then fuzz each harness for SECONDS
# (default 60).  New coverage goes to build-fuzz/corpus/NAME/ (not
# committed); a crash is copied into tests/fuzz/regressions/NAME/ (commit it
# with the fix) and makes the script exit 1.
# Knobs: FUZZ_BUILD (default <root>/build-fuzz), FUZZ_JOBS (fuzzing processes
# per harness, default 1; more runs libFuzzer's -fork mode, which goes on
# after a crash), FUZZ_HARNESSES (names, default all).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build=${FUZZ_BUILD:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-1}
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DLOOPTRACE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
mapfile -t harnesses < <(if [ -n "${FUZZ_HARNESSES:-}" ]; then tr ' ' '\n' <<<"$FUZZ_HARNESSES"; else cat "$build/fuzz-harnesses.txt"; fi | sed '/^$/d')
cmake --build "$build" -j2 --target "${harnesses[@]/#/fuzz_}" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for name in "${harnesses[@]}"; do
  bin="$build/tests/fuzz/fuzz_$name"
  seeds="$root/tests/fuzz/corpus/$name"
  regressions="$root/tests/fuzz/regressions/$name"
  mkdir -p "$seeds" "$regressions" "$build/corpus/$name" "$build/crashes/$name"
  echo "== $name: replaying $(ls "$regressions" | wc -l) regressions and $(ls "$seeds" | wc -l) seeds"
  # (fuzz_trace also lays out and renders its small graphs when replaying)
  if ! FUZZ_TRACE_RENDER=1 "$bin" -runs=0 "$regressions" "$seeds" >"$build/replay-$name.log" 2>&1; then
    tail -40 "$build/replay-$name.log" >&2
    echo "fuzz.sh: $name: a committed input fails (log: $build/replay-$name.log)" >&2
    status=1
    continue
  fi
  [ "$seconds" -gt 0 ] || continue
  echo "== $name: fuzzing for $seconds s"
  before=$(ls "$build/crashes/$name" | wc -l)
  rc=0
  parallel=()
  [ "$jobs" -le 1 ] || parallel=(-fork="$jobs" -ignore_crashes=1)
  # -report_slow_units: a "slow unit" is written next to the crashes and
  # would count as one; on a loaded machine a 0.1 s trace run can take 10 s
  # (the -timeout still catches a real hang).
  (cd "$build" && "$bin" -max_total_time="$seconds" -timeout=10 -report_slow_units=3600 -rss_limit_mb=2048 -max_len=65536 \
    "${parallel[@]}" -print_final_stats=1 -artifact_prefix="$build/crashes/$name/" \
    "$build/corpus/$name" "$seeds") >"$build/fuzz-$name.log" 2>&1 || rc=$?
  grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$build/fuzz-$name.log" | tail -2 || true
  after=$(ls "$build/crashes/$name" | wc -l)
  if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
    for crash in "$build/crashes/$name"/*; do
      [ -e "$crash" ] && cp -n "$crash" "$regressions/"
    done
    grep -E "ERROR|SUMMARY|runtime error" "$build/fuzz-$name.log" | head -5 >&2 || true
    echo "fuzz.sh: $name: crash found, kept in $regressions (log: $build/fuzz-$name.log)" >&2
    status=1
  fi
done
exit $status
