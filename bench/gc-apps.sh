#!/usr/bin/env bash
# Garbage collections of a loaded service, plain and recorded: the apps
# server (bench/apps-server.js, express or fastify) under `wrk -t2 -c32` for
# 1 s of warm-up and DURATION (4) s measured, with node --trace-gc; prints,
# per run, the requests and the scavenges and mark-compacts (count, pause
# ms) of the measured window, and the medians of ROUNDS (3) interleaved
# rounds.  A recorder that makes the service's collector work harder shows
# here first (the agent's ring views once ran a mark-compact every 0.5 s on
# express, against one in 4 s untraced).  BASELINE=path adds another
# looptrace build's `record`.  Reports only: the exit status never depends
# on the figures.  Knobs: ROUNDS, DURATION, APPS ("express fastify"), NODE,
# BASELINE, LOOPTRACE.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
rounds=${ROUNDS:-3}
duration=${DURATION:-4}
read -r -a apps <<< "${APPS:-express fastify}"
[ -z "${BASELINE:-}" ] || [ -x "$BASELINE" ] || { echo "BASELINE=$BASELINE is not an executable" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bench-gc.XXXXXX")
server_pid=""
cleanup() { [ -z "$server_pid" ] || kill -INT "$server_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
modes=(plain record)
[ -z "${BASELINE:-}" ] || modes+=(baseline)

# pauses KIND FILE: "count ms" of the --trace-gc lines of that kind
pauses() {
  grep "$1" "$2" | sed -E 's/.*MB, ([0-9.]+) \/ .*/\1/' |
    awk '{n++; s += $1} END {printf "%d %.0f\n", n, s}'
}

# run APP MODE: prints "requests scavenges scavenge_ms mark_compacts mc_ms"
run() {
  local app=$1 mode=$2 tracer=""
  case $mode in record) tracer=$looptrace ;; baseline) tracer=$BASELINE ;; esac
  rm -f "$work/t.db"
  # the port and the --trace-gc lines share the server's stdout ($work/port)
  if [ -z "$tracer" ]; then
    start_server "$nodebin" --trace-gc "$here/apps-server.js" "$app" 0
  else
    start_server "$tracer" record -q -o "$work/t.db" -- "$nodebin" --trace-gc "$here/apps-server.js" "$app" 0
  fi
  local url="http://127.0.0.1:$port/item/7"
  wrk -t2 -c32 -d1s -H 'authorization: token-ada' "$url" > /dev/null 2>&1 || true
  local from
  from=$(wc -l < "$work/port")
  local reqs
  reqs=$(wrk -t2 -c32 -d"${duration}s" -H 'authorization: token-ada' "$url" 2>&1 | awk '/requests in/ {print $1}')
  tail -n +$((from + 1)) "$work/port" > "$work/window"
  kill -INT "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  echo "${reqs:-0} $(pauses Scavenge "$work/window") $(pauses Mark-Compact "$work/window")"
}

echo "apps-server.js under wrk -t2 -c32, ${duration}s measured, $rounds rounds, node $("$nodebin" --version), load: $(uptime | sed 's/.*load average: //')"
declare -A req sc scms mc mcms
for r in $(seq "$rounds"); do
  for app in "${apps[@]}"; do
    for k in $(seq 0 $((${#modes[@]} - 1))); do
      mode=${modes[$(( (k + r - 1) % ${#modes[@]} ))]}
      read -r q s sm m mm <<< "$(run "$app" "$mode")"
      echo "round $r $app $mode: $q requests, $s scavenges ($sm ms), $m mark-compacts ($mm ms)"
      req[$app,$mode]+=" $q"; sc[$app,$mode]+=" $s"; scms[$app,$mode]+=" $sm"; mc[$app,$mode]+=" $m"; mcms[$app,$mode]+=" $mm"
    done
  done
done
echo
echo "medians of $rounds rounds"
printf '%-8s %-9s %9s %10s %8s %14s %8s\n' app mode requests scavenges ms mark-compacts ms
for app in "${apps[@]}"; do
  for mode in "${modes[@]}"; do
    # shellcheck disable=SC2086
    printf '%-8s %-9s %9s %10s %8s %14s %8s\n' "$app" "$mode" "$(median ${req[$app,$mode]})" \
      "$(median ${sc[$app,$mode]})" "$(median ${scms[$app,$mode]})" "$(median ${mc[$app,$mode]})" "$(median ${mcms[$app,$mode]})"
  done
done
exit 0
