#!/usr/bin/env bash
# Chrome/Perfetto export of a big trace (issue 14 part 4): records
# http-server.js (10 sequential awaits per request) answering REQUESTS
# requests (default 50000: about 6M events; http-requests.js on 127.0.0.1,
# 16 connections), a count rather than a time so that the trace's size does
# not follow the machine's load, then runs
# `looptrace export -o trace.json.gz` and prints the trace's events and
# dispatches, the export's wall and CPU seconds and peak RSS, the compressed
# size, the uncompressed JSON size (zcat | wc -c, never written out), and
# both sizes scaled to 6M events.
# Target: a 6M-event trace exports to < 100 MB compressed.
# TRACE=FILE exports an existing trace instead of recording one; KEEP=DIR
# keeps the trace and the export there.  Knobs: REQUESTS, TRACE, KEEP,
# LOOPTRACE.  Reports only (the exit status says whether it could run).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
requests=${REQUESTS:-50000}
[ -x /usr/bin/time ] || { echo "GNU time is needed (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bench-export.XXXXXX")
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill -INT "$server_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || wait "$server_pid" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -f "$work"/t.db "$work"/t.json.gz "$KEEP"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

trace=${TRACE:-}
if [ -z "$trace" ]; then
  start_server "$looptrace" record -q -o "$work/t.db" -- node "$here/http-server.js" 0
  sent=$(node "$here/http-requests.js" "$port" "$requests" 16)
  kill -INT "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  trace="$work/t.db"
  echo "recorded http-server.js answering: $sent"
fi
[ -s "$trace" ] || { echo "no trace at $trace" >&2; exit 1; }
events=$(meta "$trace" events)
dispatches=$(sqlite3 "$trace" 'SELECT count(*) FROM dispatches')
echo "trace: ${events:-n/a} events, $dispatches dispatches, $(du -m "$trace" | cut -f1) MiB"

line=$(/usr/bin/time -f 'wall_s=%e cpu_s=%U+%S rss_kib=%M' \
  "$looptrace" export -o "$work/t.json.gz" "$trace" 2>&1 >/dev/null | tail -n1)
wall=$(sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' <<<"$line")
cpu=$(sed -n 's/.*cpu_s=\([0-9.+]*\).*/\1/p' <<<"$line" | awk -F+ '{printf "%.1f", $1 + $2}')
kib=$(sed -n 's/.*rss_kib=\([0-9]*\).*/\1/p' <<<"$line")
gz=$(stat -c %s "$work/t.json.gz")
json=$(zcat "$work/t.json.gz" | wc -c)
mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1e6}'; }
per6m() { awk -v b="$1" -v e="${events:-0}" 'BEGIN {if (e > 0) printf "%.1f", b / 1e6 * 6e6 / e; else print "n/a"}'; }
echo "export -o trace.json.gz: ${wall} s wall, ${cpu} s CPU, peak RSS $((kib / 1024)) MiB"
echo "  compressed $(mb "$gz") MB, JSON $(mb "$json") MB (ratio $(ratio "$json" "$gz"))"
echo "  per 6M events: compressed $(per6m "$gz") MB (target < 100: $(meets "$(per6m "$gz")" "<=" 100)), JSON $(per6m "$json") MB"
result "export 6M events (MB gz)" "-" "$(mb "$gz")" "$(per6m "$gz")" "< 100" "$(meets "$(per6m "$gz")" "<=" 100)"
