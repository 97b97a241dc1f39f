#!/usr/bin/env bash
# Rendering time of `looptrace graph` (each view, SVG), `export` and
# `report --format html` on traces of about 10k and 100k dispatches, with the
# default bounds (500 nodes, collapsed runs; 3000 steps and merged timeline
# boxes in the HTML page).  Target: under 5 s for 100k dispatches.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/many.js" <<'JS'
// N dispatches: timers, immediates and ticks, with a line of output every 1000.
const N = Number(process.argv[2]);
let n = 0;
function next() {
  n += 1;
  if (n % 1000 === 0) console.log('dispatch', n);
  if (n >= N) return;
  if (n % 3 === 0) setImmediate(next);
  else if (n % 3 === 1) process.nextTick(next);
  else setTimeout(next, 0);
}
next();
JS
for size in 10000 100000; do
  "$looptrace" record -q -o "$work/t$size.db" -- node "$work/many.js" "$size" > /dev/null
  dispatches=$(sqlite3 "$work/t$size.db" "SELECT count(*) FROM dispatches")
  for view in order timeline causality; do
    t0=$(date +%s%N)
    "$looptrace" graph --view "$view" --format svg -o "$work/g.svg" "$work/t$size.db" 2>/dev/null
    t1=$(date +%s%N)
    printf '%7s dispatches, graph --view %-9s: %6.2f s\n' "$dispatches" "$view" "$(awk -v n=$((t1 - t0)) 'BEGIN {print n/1e9}')"
  done
  t0=$(date +%s%N)
  "$looptrace" export -o "$work/e.json" "$work/t$size.db" 2>/dev/null
  t1=$(date +%s%N)
  printf '%7s dispatches, export --format chrome: %6.2f s\n' "$dispatches" "$(awk -v n=$((t1 - t0)) 'BEGIN {print n/1e9}')"
  t0=$(date +%s%N)
  "$looptrace" report --format html -o "$work/r.html" "$work/t$size.db"
  t1=$(date +%s%N)
  printf '%7s dispatches, report --format html: %6.2f s (%s KiB page)\n' "$dispatches" \
    "$(awk -v n=$((t1 - t0)) 'BEGIN {print n/1e9}')" "$(( $(stat -c %s "$work/r.html") / 1024 ))"
done
