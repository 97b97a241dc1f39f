#!/usr/bin/env bash
# Analysis of a large trace: records the promise micro benchmark with enough
# iterations for about 10M events, then times `looptrace report` on it and
# reports its peak memory (targets: under 30 s, peak RSS under 1 GB).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
iterations=${ITERATIONS:-160000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$looptrace" record -q -o "$work/big.db" -- node "$here/promise-micro.js" "$iterations" > /dev/null
events=$(sqlite3 "$work/big.db" "SELECT value FROM meta WHERE key = 'events'")
size=$(du -m "$work/big.db" | cut -f1)
/usr/bin/time -f '%e %M' -o "$work/time" "$looptrace" report --format json "$work/big.db" > "$work/report.json"
read -r secs kb < "$work/time"
echo "analysis of a $events-event trace ($size MiB): $secs s, peak RSS $((kb / 1024)) MiB (targets: < 30 s, < 1024 MiB)"
result "report on $events events" "-" "$size MiB" "$secs s" "< 30 s" "$(meets "$secs" '<=' 30)"
result "report: peak RSS" "-" "-" "$((kb / 1024)) MiB" "< 1024 MiB" "$(meets "$((kb / 1024))" '<=' 1024)"
