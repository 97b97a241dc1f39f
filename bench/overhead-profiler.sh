#!/usr/bin/env bash
# What the native-code samples cost: bench/http-server.js (10 awaits per
# request) under `looptrace record` with V8's CPU profiler off
# (LOOPTRACE_PROFILE_US=0) and on (the default, 10000 µs), interleaved, plus
# a plain run in each round, each loaded by wrk for DURATION s; ROUNDS rounds
# (default 5).  Then the start-up of a program that only loads prettier,
# fastify and axios (examples/apps, when installed), same three ways.
# Prints per round and the medians: requests/s and start-up ms, and the
# ratios profiler-on / profiler-off.  Reports only: the exit status never
# depends on timings.  Knobs: ROUNDS, DURATION (4), CONNECTIONS (32),
# THREADS (2), NODE (node), LOOPTRACE.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
duration=${DURATION:-4}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
node_bin=${NODE:-node}
export TURNS=${TURNS:-4}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bench-profiler.XXXXXX")
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT

# one ARM: plain | off | on -> requests/s on stdout
http_round() {
  local arm=$1 rps
  case $arm in
    plain) start_server "$node_bin" "$here/http-server.js" 0 ;;
    off) LOOPTRACE_PROFILE_US=0 start_server "$looptrace" record -q -o "$work/off.db" -- "$node_bin" "$here/http-server.js" 0 ;;
    on) start_server "$looptrace" record -q -o "$work/on.db" -- "$node_bin" "$here/http-server.js" 0 ;;
  esac
  rps=$(load "$arm")
  kill -INT "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  echo "$rps"
}

apps=$root/examples/apps/node_modules
startup_js="require('$apps/prettier'); require('$apps/fastify'); require('$apps/axios')"
startup_round() {
  local arm=$1 t0
  t0=$(now_ms)
  case $arm in
    plain) "$node_bin" -e "$startup_js" ;;
    off) LOOPTRACE_PROFILE_US=0 "$looptrace" record -q -o "$work/s.db" -- "$node_bin" -e "$startup_js" ;;
    on) "$looptrace" record -q -o "$work/s.db" -- "$node_bin" -e "$startup_js" ;;
  esac >/dev/null 2>&1
  echo $(( $(now_ms) - t0 ))
}

hp=() hoff=() hon=() sp=() soff=() son=()
for r in $(seq "$rounds"); do
  hp+=("$(http_round plain)"); hoff+=("$(http_round off)"); hon+=("$(http_round on)")
  line="round $r: HTTP req/s plain ${hp[-1]}, profiler off ${hoff[-1]}, on ${hon[-1]}"
  if [ -d "$apps/prettier" ]; then
    sp+=("$(startup_round plain)"); soff+=("$(startup_round off)"); son+=("$(startup_round on)")
    line="$line | start-up ms plain ${sp[-1]}, off ${soff[-1]}, on ${son[-1]}"
  fi
  echo "$line"
done
echo
echo "HTTP (wrk -t$threads -c$connections -d${duration}s, median of $rounds): plain $(median "${hp[@]}"), profiler off $(median "${hoff[@]}"), on $(median "${hon[@]}") req/s"
echo "  kept throughput, profiler on / off: $(ratio "$(median "${hon[@]}")" "$(median "${hoff[@]}")")"
if [ ${#sp[@]} -gt 0 ]; then
  echo "start-up (require prettier, fastify, axios): plain $(median "${sp[@]}"), profiler off $(median "${soff[@]}"), on $(median "${son[@]}") ms"
  echo "  start-up time, profiler on / off: $(ratio "$(median "${son[@]}")" "$(median "${soff[@]}")")"
fi
