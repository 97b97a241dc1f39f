#!/usr/bin/env bash
# Set everything up, then the main job on the bundled example: record
# examples/demo/tour.js, replay its execution order, report on it (text, JSON
# and an HTML page), graph it, export it for Perfetto, and show
# the same trace through plain SQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=${DEMO_OUT:-demo-out}
mkdir -p "$out"
rm -f "$out/tour.db"

echo
echo "== looptrace record -o $out/tour.db -- node examples/demo/tour.js"
build/looptrace record -o "$out/tour.db" -- node examples/demo/tour.js

echo
echo "== looptrace replay $out/tour.db"
build/looptrace replay "$out/tour.db"
build/looptrace replay --format json "$out/tour.db" > "$out/tour.json"

echo
echo "== looptrace report $out/tour.db"
build/looptrace report "$out/tour.db"
build/looptrace report --format json -o "$out/tour-report.json" "$out/tour.db"
build/looptrace report --format html -o "$out/tour-report.html" "$out/tour.db"

echo
echo "== looptrace graph (Graphviz, in-process) and export (Perfetto)"
build/looptrace graph --format svg -o "$out/tour.svg" "$out/tour.db"
build/looptrace graph --format png -o "$out/tour.png" "$out/tour.db"
build/looptrace export --format chrome -o "$out/tour-perfetto.json" "$out/tour.db"

echo
echo "== what ran where (sqlite3 $out/tour.db)"
sqlite3 -column -header "$out/tour.db" \
  "SELECT queue, count(*) AS dispatches, round(sum(end_ns - begin_ns) / 1e6, 3) AS busy_ms
     FROM dispatches GROUP BY queue ORDER BY min(seq);"
echo
echo "Trace: $out/tour.db   replay: $out/tour.json   report: $out/tour-report.json $out/tour-report.html (open in a browser)"
echo "Graph: $out/tour.svg $out/tour.png   Perfetto / chrome://tracing: $out/tour-perfetto.json"
