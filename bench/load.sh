#!/usr/bin/env bash
# Load benchmark (issue 11): load.js creates promises for SECONDS_LOAD (default
# 20) at a moderate rate (RATE_MODERATE promises/s, default 2000000) and at
# the extreme rate (as fast as it can), plain and under `looptrace record`,
# interleaved for ROUNDS rounds (default 3).  Prints per round and as
# medians: the promise rate the program reached plain and recorded (ratio),
# the events captured per second of the run, the events the trace says were
# dropped, and the accounting check — the program's own count of its writes
# against the trace's output rows plus the writes it reports lost (must be
# equal: "exact").  Knobs: ROUNDS, SECONDS_LOAD, RATE_MODERATE, LOOPTRACE,
# RECORD_ARGS (e.g. --lossless).  Reports only: the exit status never
# depends on timings.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-3}
seconds=${SECONDS_LOAD:-20}
moderate=${RATE_MODERATE:-2000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bench-load.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
prog="$here/load.js"

field() { sed -n "s/.*$1 \\([0-9.]*\\).*/\\1/p" <<<"$2" | tail -n1; }

for rate in "$moderate" 0; do
  label=$([ "$rate" = 0 ] && echo "extreme (unbounded)" || echo "moderate ($rate promises/s)")
  plain_rate=() rec_rate=() evs=() lost=() exact=0 inexact=0
  for r in $(seq "$rounds"); do
    out=$(node "$prog" "$seconds" "$rate" | tail -n1)
    p=$(field promises "$out"); s=$(field seconds "$out")
    plain_rate+=("$(awk -v p="$p" -v s="$s" 'BEGIN {printf "%d", p/s}')")
    rm -f "$work/t.db"
    rc=0
    # shellcheck disable=SC2086
    "$looptrace" record ${RECORD_ARGS:-} -o "$work/t.db" -- node "$prog" "$seconds" "$rate" \
      > "$work/out" 2> "$work/err" || rc=$?
    last=$(tail -n1 "$work/out")
    p2=$(field promises "$last"); s2=$(field seconds "$last"); w2=$(field writes "$last")
    if [ "$rc" -ne 0 ] || [ ! -s "$work/t.db" ] || [ -z "$p2" ]; then
      echo "round $r: recorded run failed (exit $rc): $(tail -n3 "$work/err" | tr '\n' ' ')" >&2
      continue
    fi
    ev=$(meta "$work/t.db" events); dur=$(meta "$work/t.db" duration_ns)
    dropped=$(meta "$work/t.db" dropped_events)
    kept=$(sqlite3 "$work/t.db" "SELECT count(*) FROM output WHERE fd = 1")
    lost_w=$(sqlite3 "$work/t.db" "SELECT COALESCE(sum(output_events), 0) FROM stream_losses")
    rr=$(awk -v p="$p2" -v s="$s2" 'BEGIN {printf "%d", p/s}')
    eps=$(awk -v e="$ev" -v d="$dur" 'BEGIN {printf "%d", e/(d/1e9)}')
    rec_rate+=("$rr"); evs+=("$eps"); lost+=("${dropped:-0}")
    if [ $((kept + lost_w)) -eq "$w2" ]; then exact=$((exact + 1)); else inexact=$((inexact + 1)); fi
    printf 'round %d, %s: plain %s promises/s, recorded %s promises/s (%sx) | %s events captured = %s events/s, %s dropped | writes: program %s, trace %s + reported lost %s\n' \
      "$r" "$label" "${plain_rate[-1]}" "$rr" "$(ratio "$rr" "${plain_rate[-1]}")" "$ev" "$eps" "${dropped:-0}" "$w2" "$kept" "$lost_w"
  done
  [ "${#rec_rate[@]}" -gt 0 ] || { echo "$label: no recorded round succeeded" >&2; continue; }
  pr=$(median "${plain_rate[@]}"); rr=$(median "${rec_rate[@]}"); e=$(median "${evs[@]}"); l=$(median "${lost[@]}")
  echo
  echo "load, $label, ${seconds} s, median of ${#rec_rate[@]} rounds:"
  echo "  promises/s: plain $pr, recorded $rr, ratio $(ratio "$rr" "$pr")"
  echo "  captured: $e events/s, dropped $l events (median); accounting exact in $exact of $((exact + inexact)) rounds"
  echo
  result "load $label: promises/s" "$pr" "$rr" "$(ratio "$rr" "$pr")" "-" "-"
  result "load $label: events/s captured, dropped" "-" "$e ev/s" "$l dropped" "accounting exact" \
    "$([ "$inexact" -eq 0 ] && echo yes || echo no)"
done
exit 0
