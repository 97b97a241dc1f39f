#!/usr/bin/env bash
# HTTP server doing 10 awaits per request (TURNS of them, default 4, a turn
# of the loop), loaded by wrk on loopback, plain and under `looptrace
# record`, interleaved.  Prints requests/s per round and the median ratio
# recorded/plain (target: at least 0.70).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-3}
duration=${DURATION:-5}
connections=${CONNECTIONS:-32}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -INT "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# start_server CMD...: runs it, waits for the port on its stdout.
start_server() {
  "$@" > "$work/port" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 100); do
    [ -s "$work/port" ] && break
    sleep 0.1
  done
  port=$(head -n1 "$work/port")
  [ -n "$port" ] || { echo "server did not start: $(cat "$work/server.err")" >&2; exit 1; }
}

stop_server() {
  kill -INT "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

load() {
  wrk -t2 -c"$connections" -d"${duration}s" "http://127.0.0.1:$port/" > "$work/wrk.out"
  if grep -qE "Socket errors|Non-2xx" "$work/wrk.out"; then
    echo "warning: wrk saw errors: $(grep -E 'Socket errors|Non-2xx' "$work/wrk.out")" >&2
  fi
  awk '/Requests\/sec/ {print $2}' "$work/wrk.out"
}

plain=() traced=()
for r in $(seq "$rounds"); do
  start_server node "$here/http-server.js"
  p=$(load); stop_server
  rm -f "$work/t.db"
  start_server "$looptrace" record -q -o "$work/t.db" -- node "$here/http-server.js"
  t=$(load); stop_server
  plain+=("$p"); traced+=("$t")
  events=$(sqlite3 "$work/t.db" "SELECT value FROM meta WHERE key = 'events'")
  size=$(du -m "$work/t.db" | cut -f1)
  printf 'round %d: plain %s req/s, recorded %s req/s (trace: %s events, %s MiB)\n' "$r" "$p" "$t" "$events" "$size"
done
pm=$(median "${plain[@]}"); tm=$(median "${traced[@]}")
echo
echo "HTTP server, 10 awaits per request (${TURNS:-4} of them a loop turn), wrk -c$connections -d${duration}s, median of $rounds rounds"
echo "  plain $pm req/s, recorded $tm req/s: recorded keeps $(ratio "$tm" "$pm") of the throughput (target >= 0.70)"
