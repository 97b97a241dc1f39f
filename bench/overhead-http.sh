#!/usr/bin/env bash
# HTTP throughput under the recorder: http-server.js (10 sequential awaits per
# request, TURNS of them, default 4, a turn of the loop through setImmediate)
# loaded by wrk on 127.0.0.1, plain and under `looptrace record`, interleaved,
# for ROUNDS rounds (default 3).  Each round: start the server plain, load it,
# stop it with SIGINT; start it under `looptrace record -q`, load it the same
# way, stop it with SIGINT (looptrace forwards it) and wait for the recorder
# to write the trace.  Prints requests/s per round, the trace's size and
# events, and the median ratio recorded/plain throughput (target: at least
# 0.70).  Warns when wrk saw socket errors or non-2xx answers.
# Knobs: ROUNDS, DURATION (s, default 5), CONNECTIONS (32), THREADS (2),
# TURNS (0..10, default 4), STOP_TIMEOUT (s to wait for a stopped server to
# exit, trace written, default 60), LOOPTRACE.
# Reports only: the exit status never depends on timings.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-3}
duration=${DURATION:-5}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
stop_timeout=${STOP_TIMEOUT:-60}
export TURNS=${TURNS:-4}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bench-http.XXXXXX")
server_pid=""
problems=0

# stop_server: SIGINT, then wait at most STOP_TIMEOUT s; then SIGTERM, SIGKILL.
# Sets stop_rc to the server's exit status and stop_how to what it took.
stop_server() {
  stop_rc=0; stop_how="SIGINT"
  [ -n "$server_pid" ] || return 0
  kill -INT "$server_pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$server_pid" 2>/dev/null; do
    if [ "$waited" -ge $((stop_timeout * 10)) ]; then
      stop_how="SIGINT ignored for ${stop_timeout}s, then SIGTERM"
      kill -TERM "$server_pid" 2>/dev/null || true
      sleep 5
      if kill -0 "$server_pid" 2>/dev/null; then
        stop_how="$stop_how and SIGKILL"
        kill -KILL "$server_pid" 2>/dev/null || true
      fi
      break
    fi
    sleep 0.1; waited=$((waited + 1))
  done
  wait "$server_pid" 2>/dev/null || stop_rc=$?
  server_pid=""
}
cleanup() {
  stop_timeout=10 stop_server || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

server=(node "$here/http-server.js" 0)
plain=() traced=() kept=() events_all=() size_all=()
for r in $(seq "$rounds"); do
  start_server "${server[@]}"
  p=$(load plain)
  stop_server
  [ "$stop_rc" -eq 0 ] || echo "warning: the plain server exited with $stop_rc after $stop_how" >&2

  rm -f "$work/t.db"
  start_server "$looptrace" record -q -o "$work/t.db" -- "${server[@]}"
  t=$(load recorded)
  t0=$(now_ms)
  stop_server
  stop_ms=$(( $(now_ms) - t0 ))
  events=$( [ -s "$work/t.db" ] && meta "$work/t.db" events || true)
  if [ "$stop_rc" -ne 0 ] || [ "$stop_how" != SIGINT ] || [ -z "$events" ]; then
    problems=$((problems + 1))
    {
      echo "LOOPTRACE PROBLEM in round $r: the recorded server took $stop_how, exit $stop_rc,"
      echo "  trace $( [ -s "$work/t.db" ] && echo "present, events '${events}'" || echo MISSING )"
      echo "  server stderr: $(tail -n5 "$work/server.err" | tr '\n' ' ')"
      echo "  reproduce: $looptrace record -o /tmp/t.db -- ${server[*]} & (wrk ...; kill -INT \$!)"
    } >&2
  fi
  size=$( [ -s "$work/t.db" ] && du -m "$work/t.db" | cut -f1 || echo 0)
  raw=$( [ -s "$work/t.db" ] && meta "$work/t.db" raw_bytes || true)
  raw_mib=$(awk -v b="${raw:-0}" 'BEGIN {printf "%.1f", b/1048576}')
  plain+=("$p"); traced+=("$t"); kept+=("$(ratio "$t" "$p")"); events_all+=("${events:-}"); size_all+=("$size")
  printf 'round %d: plain %s req/s, recorded %s req/s (keeps %s) | trace: %s events, %s MiB raw, %s MiB database; stop + import took %.1f s\n' \
    "$r" "${p:-n/a}" "${t:-n/a}" "$(ratio "$t" "$p")" "${events:-n/a}" "$raw_mib" "$size" "$(awk -v m="$stop_ms" 'BEGIN {print m/1000}')"
done

pm=$(median "${plain[@]}"); tm=$(median "${traced[@]}")
ev=$(median "${events_all[@]}"); sz=$(median "${size_all[@]}")
r_tp=$(median "${kept[@]}"); r_med=$(ratio "$tm" "$pm")
failed=""; [ "$problems" -eq 0 ] || failed=" ($problems recorded run(s) misbehaved, see above)"
echo
echo "HTTP server, 10 awaits per request ($TURNS of them a loop turn), wrk -t$threads -c$connections -d${duration}s, median of $rounds rounds$failed"
echo "  median req/s: plain $pm, recorded $tm (ratio of the medians $r_med)"
echo "  median of the per-round ratios recorded/plain: recorded keeps $r_tp of the throughput (target >= 0.70)"
echo "  recorded trace: $ev events, $sz MiB database (median)"

result "http TURNS=$TURNS: req/s (kept)" "$pm" "$tm" "$r_tp" ">= 0.70" "$(meets "$r_tp" '>=' 0.70)"
result "http TURNS=$TURNS: trace of ${duration}s" "-" "$ev events" "$sz MiB" "-" "-"
[ "$problems" -eq 0 ] || result "http TURNS=$TURNS: MISBEHAVED recorded runs" "-" "$problems of $rounds" "-" "0" "no"
exit 0
