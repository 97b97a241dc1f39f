#!/usr/bin/env bash
# The overhead benchmarks one after the other, each with its full output,
# then a compact summary table:
#   overhead-promise.sh, overhead-http.sh with TURNS=4 (the default mix) and
#   TURNS=0 (10 awaits of async functions, no loop turn), analyze-large.sh
#   (skip it with LARGE=0).
# The knobs of the scripts (ROUNDS, DURATION, ...) pass through; ROUNDS
# applies to both overhead scripts when set.  A script that fails is marked
# in the table and the others still run.  Reports only: the exit status is 0
# unless a script failed, never because a target was missed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BENCH_RESULTS=$(mktemp "${TMPDIR:-/tmp}/looptrace-bench-results.XXXXXX")
export BENCH_RESULTS
trap 'rm -f "$BENCH_RESULTS"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failed=0
run() { # run LABEL CMD...: runs it, notes a failure in the table
  local label=$1; shift
  echo "=== $label"
  "$@"
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    failed=1
    printf '%s\t-\t-\t%s\t-\tno\n' "$label" "FAILED (exit $rc)" >> "$BENCH_RESULTS"
  fi
  echo
}

start=$(date +%s)
run "overhead-promise.sh" "$here/overhead-promise.sh"
run "overhead-http.sh TURNS=4" env TURNS=4 "$here/overhead-http.sh"
run "overhead-http.sh TURNS=0" env TURNS=0 "$here/overhead-http.sh"
[ "${LARGE:-1}" = 0 ] || run "analyze-large.sh" "$here/analyze-large.sh"
# eBPF attach needs root (CAP_BPF + CAP_PERFMON)
[ "$(id -u)" != 0 ] || run "overhead-attach.sh" "$here/overhead-attach.sh"

echo "=== summary ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, node $(node --version), $(( $(date +%s) - start )) s)"
{
  printf 'measure\tplain\trecorded\tratio/value\ttarget\tmet\n'
  printf -- '-------\t-----\t--------\t-----------\t------\t---\n'
  cat "$BENCH_RESULTS"
} | column -t -s $'\t'
exit "$failed"
