#!/usr/bin/env bash
# Promise-heavy micro benchmark: 100k iterations of an async function that
# awaits 10 async calls, plain and under `looptrace record`, interleaved.
# Prints medians and the ratio recorded/plain (target: at most 5x), the raw
# capture size per event (target: at most 32 B) and the import rate
# (target: at least 1M events/s).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
iterations=${ITERATIONS:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

plain_ms=() traced_ms=() plain_wall=() traced_wall=()
for r in $(seq "$rounds"); do
  t0=$(date +%s%N)
  p=$(node "$here/promise-micro.js" "$iterations")
  t1=$(date +%s%N)
  rm -f "$work/t.db"
  t=$("$looptrace" record -o "$work/t.db" -- node "$here/promise-micro.js" "$iterations" 2>"$work/summary")
  t2=$(date +%s%N)
  plain_ms+=("$p"); traced_ms+=("$t")
  plain_wall+=("$(( (t1 - t0) / 1000000 ))"); traced_wall+=("$(( (t2 - t1) / 1000000 ))")
  printf 'round %d: plain %s ms, recorded %s ms (in-program); whole run %s ms vs %s ms\n' \
    "$r" "$p" "$t" "${plain_wall[-1]}" "${traced_wall[-1]}"
done
summary=$(cat "$work/summary")
events=$(sed -n 's/^looptrace: \([0-9]*\) events.*/\1/p' <<<"$summary")
per_event=$(sed -n 's/.*(\([0-9.]*\) B\/event).*/\1/p' <<<"$summary")
import_s=$(sed -n 's/.*imported in \([0-9.]*\) s.*/\1/p' <<<"$summary")
pm=$(median "${plain_ms[@]}"); tm=$(median "${traced_ms[@]}")
pw=$(median "${plain_wall[@]}"); tw=$(median "${traced_wall[@]}")
echo
echo "promise micro benchmark, $iterations iterations, median of $rounds rounds"
echo "  in-program time: plain $pm ms, recorded $tm ms, ratio $(ratio "$tm" "$pm")x (target <= 5x)"
echo "  whole run (incl. start-up and import): plain $pw ms, recorded $tw ms, ratio $(ratio "$tw" "$pw")x"
echo "  raw capture: $events events, $per_event B/event (target <= 32)"
echo "  import: $events events in $import_s s = $(awk -v e="$events" -v s="$import_s" 'BEGIN {printf "%.2f", e/s/1e6}')M events/s (target >= 1M)"
