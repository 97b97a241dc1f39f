#!/usr/bin/env bash
# Big traces stay fast (issue 14, part 3).  Records, once, a loaded fastify
# service (examples/apps/fastify-service under wrk for DURATION seconds,
# default 22, with a promise-heavy background job loop beside it: about 45M
# events on a 2-core VM) with --keep-raw, caches the trace and its raw
# capture under bench/out/ (git-ignored; delete it or set FRESH=1 to record
# again), then prints the events, the file size and, for each step, the wall
# time and peak RSS (/usr/bin/time): import of the kept capture, report
# (text, json, html), each graph view (SVG) and the Chrome export; after
# the import step the others read the trace it wrote (as a user would:
# `report` is then its first open).
# Targets: import >= 3M events/s; report < 10 s and < 1 GiB; html < 15 s;
# each graph view < 10 s and < 1 GiB.  Nothing is asserted: the exit status
# only says whether the script could run.
# Knobs: DURATION, CONNECTIONS (wrk -c, default 32), JOBS (background async
# steps, default 600000: most of the events), OUT, FRESH, LOOPTRACE,
# STEPS (space-separated subset of: import text json html order timeline
# causality export).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -x /usr/bin/time ] || { echo "GNU time is needed (apt-get install time)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
duration=${DURATION:-22}
connections=${CONNECTIONS:-32}
jobs=${JOBS:-600000}
out=${OUT:-$here/out}
steps=${STEPS:-import text json html order timeline causality export}
app="$root/examples/apps/fastify-service"
[ -d "$root/examples/apps/node_modules/fastify" ] ||
  { echo "fastify is missing: (cd $root/examples/apps && npm ci)" >&2; exit 2; }
mkdir -p "$out"
[ -f "$out/.gitignore" ] || echo '*' > "$out/.gitignore"
trace="$out/big.db"
capture="$out/big.db.raw"
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bigtrace.XXXXXX")
rec_pid=""
cleanup() {
  [ -n "$rec_pid" ] && kill "$rec_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${FRESH:-0}" = 1 ] || [ ! -f "$trace" ] || [ ! -d "$capture" ]; then
  rm -rf "$trace" "$capture"
  # The service, listening on a free port it writes to a file.
  cat > "$work/serve.js" <<'JS'
'use strict';
const fs = require('node:fs');
const { build } = require(process.argv[2]);
const app = build();
app.listen({ port: 0, host: '127.0.0.1' }).then(() => {
  fs.writeFileSync(process.argv[3], String(app.server.address().port));
  background(Number(process.argv[4]));
});
// Background jobs beside the requests (a queue consumer): batches of 500
// async steps of 10 awaits each, a 10 ms timer between batches.
async function leaf(i) { return i + 1; }
async function step(i) {
  let x = i;
  for (let k = 0; k < 10; k++) x = await leaf(x);
  return x;
}
async function background(total) {
  for (let done = 0; done < total; done += 500) {
    for (let i = 0; i < 500; i++) await step(i);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
JS
  echo "recording fastify-service under wrk -c$connections for ${duration} s (once; cached in $out)"
  nice "$looptrace" record -q --keep-raw -d "$((duration + 3))" -o "$trace" -- \
    node "$work/serve.js" "$app/app.js" "$work/port" "$jobs" > "$work/record.out" 2>&1 &
  rec_pid=$!
  for _ in $(seq 300); do [ -s "$work/port" ] && break; sleep 0.1; done
  [ -s "$work/port" ] || { echo "the service did not start: $(cat "$work/record.out")" >&2; exit 1; }
  port=$(cat "$work/port")
  # Two request shapes: a document (auth hook, one store await) and a bundle
  # of eight documents awaited one by one.
  cat > "$work/mix.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  if n % 4 == 0 then
    return wrk.format("GET", "/bundle?ids=doc-1,doc-2,doc-3,doc-4,doc-5,doc-6,doc-7,doc-8", { authorization = "token-bob" })
  end
  return wrk.format("GET", "/docs/doc-" .. (n % 8), { authorization = "token-bob" })
end
LUA
  wrk -t1 -c"$connections" -d"${duration}s" -s "$work/mix.lua" "http://127.0.0.1:$port/" > "$work/wrk.out" 2>&1 || true
  wait "$rec_pid" || true
  rec_pid=""
  [ -f "$trace" ] || { echo "no trace was written: $(cat "$work/record.out")" >&2; exit 1; }
  awk '/^Requests\/sec/ {print "wrk: " $2 " requests/s"}' "$work/wrk.out"
fi

events=$(meta "$trace" events)
dispatches=$(sqlite3 "$trace" "SELECT count(*) FROM dispatches")
printf 'trace: %s events, %s dispatches, %d MiB (%s)\n' "$events" "$dispatches" \
  $(( $(stat -c %s "$trace") / 1048576 )) "$trace"

# timed NAME TARGET_S CMD...: runs CMD under /usr/bin/time, prints a row.
timed() {
  local name=$1 target=$2 rc=0
  shift 2
  nice /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" > /dev/null 2> "$work/err" || rc=$?
  local secs kib user sys
  read -r secs kib user sys < <(tail -n1 "$work/time")
  [ "$rc" -eq 0 ] || echo "warning: $name exited with $rc: $(head -c 300 "$work/err")" >&2
  printf '%-24s %8s s %7d MiB  (CPU %.2f s; target < %s s, < 1024 MiB: %s)\n' "$name" "$secs" $((kib / 1024)) \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')" "$target" \
    "$([ "$(meets "$secs" '<=' "$target")" = yes ] && [ $((kib / 1024)) -le 1024 ] && echo yes || echo no)"
  result "bigtrace $name ($events events)" "-" "-" "$secs s" "< $target s" "$(meets "$secs" '<=' "$target")"
}

for step in $steps; do
  case $step in
    import)
      rm -f "$work/imp.db"
      timed import 15 "$looptrace" import -o "$work/imp.db" "$capture"
      rate=$(sed -n 's/.*imported .* (\([0-9.]*\) M events\/s).*/\1/p' "$work/err")
      cpu=$(awk '{print $3 + $4}' "$work/time")
      echo "  import rate: ${rate:-n/a} M events/s (target >= 3), $(awk -v e="$events" -v c="$cpu" 'BEGIN {if (c > 0) printf "%.2f", e / c / 1e6}') M events per CPU second"
      # the steps after it read the trace just imported, as a user would
      # (its first open is the one after the import)
      [ -s "$work/imp.db" ] && trace="$work/imp.db" ;;
    text) timed "report (text)" 10 "$looptrace" report -o "$work/r.txt" "$trace" ;;
    json) timed "report (json)" 10 "$looptrace" report -f json -o "$work/r.json" "$trace" ;;
    html) timed "report (html)" 15 "$looptrace" report -f html -o "$work/r.html" "$trace" ;;
    order|timeline|causality)
      timed "graph --view $step" 10 "$looptrace" graph --view "$step" -o "$work/g.svg" "$trace" ;;
    export)
      timed "export (chrome)" 60 "$looptrace" export -o "$work/e.json" "$trace"
      echo "  export: $(( $(stat -c %s "$work/e.json") / 1048576 )) MiB" ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
