#!/usr/bin/env bash
# Import throughput and memory: records promise-micro.js (ITERATIONS, default
# 300k: about 20M events) once with `looptrace record --keep-raw`, then runs
# `looptrace import` on the kept capture ROUNDS times (default 3) and prints,
# per round, the events, the import seconds and events/s from looptrace's
# summary line, the CPU seconds of the import process and events per CPU
# second (comparable when the machine is shared), and its peak RSS
# (/usr/bin/time).
# Targets (issue 11): >= 3M events/s, peak RSS <= 1 GiB whatever the run
# length.  CAPTURE=DIR imports an existing capture instead of recording one.
# Knobs: ITERATIONS, ROUNDS, CAPTURE, LOOPTRACE.  Reports only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-3}
iterations=${ITERATIONS:-300000}
[ -x /usr/bin/time ] || { echo "GNU time is needed (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bench-import.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

capture=${CAPTURE:-}
if [ -z "$capture" ]; then
  "$looptrace" record -q --keep-raw -o "$work/rec.db" -- node "$here/promise-micro.js" "$iterations" >/dev/null
  capture="$work/rec.db.raw"
  rm -f "$work/rec.db"
fi
raw=$(du -sb "$capture" | cut -f1)
echo "capture: $capture ($((raw / 1048576)) MiB on disk)"
rates=() cpu_rates=() rss=()
for r in $(seq "$rounds"); do
  rm -f "$work/t.db"
  line=$(/usr/bin/time -f 'rss_kib=%M cpu_s=%U+%S' "$looptrace" import -o "$work/t.db" "$capture" 2>&1 >/dev/null)
  events=$(sed -n 's/.*imported \([0-9]*\) events.*/\1/p' <<<"$line")
  secs=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' <<<"$line")
  kib=$(sed -n 's/.*rss_kib=\([0-9]*\).*/\1/p' <<<"$line")
  cpu=$(sed -n 's/.*cpu_s=\([0-9.+]*\).*/\1/p' <<<"$line" | awk -F+ '{printf "%.2f", $1 + $2}')
  cpu_rate=$(awk -v e="$events" -v s="$cpu" 'BEGIN {if (s + 0 > 0) printf "%.2f", e / s / 1e6; else print "n/a"}')
  rate=$(awk -v e="$events" -v s="$secs" 'BEGIN {if (s + 0 > 0) printf "%.2f", e / s / 1e6; else print "n/a"}')
  printf 'round %d: %s events in %s s = %s M events/s (CPU %s s: %s M events per CPU second), peak RSS %d MiB\n' \
    "$r" "$events" "$secs" "$rate" "$cpu" "$cpu_rate" $((kib / 1024))
  rates+=("$rate") cpu_rates+=("$cpu_rate") rss+=($((kib / 1024)))
done
m=$(median "${rates[@]}")
echo "median import rate: $m M events/s (target >= 3: $(meets "$m" '>=' 3)), $(median "${cpu_rates[@]}") M events per CPU second (the figure to compare on a busy machine); peak RSS median $(median "${rss[@]}") MiB (target <= 1024)"
