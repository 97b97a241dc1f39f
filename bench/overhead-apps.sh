#!/usr/bin/env bash
# Throughput and p99 latency of real framework services under looptrace:
# bench/apps-server.js (express 5 and fastify 5 of examples/apps, async
# middleware, 8 awaits per request, one of them a loop turn) loaded by
# `wrk --latency` on 127.0.0.1, plain, under `looptrace record`, and — when
# root and the probes load — under `looptrace attach`; with BASELINE=path
# also under that other build's `record`, with ATTACH_BASELINE=path under
# that other build's `attach` (before/after in one invocation).
# Every round runs each app in each mode once, a fresh server each time, the
# order of the modes rotating from round to round; each server gets WARMUP
# seconds of load first (JIT, caches), then DURATION seconds measured.
# Prints every run, then per app and mode the median requests/s and p99, the
# median of the per-round ratios mode/plain for both (targets: record keeps
# >= 0.85 of the requests/s, attach >= 0.95), and the trace's events per
# request; also the CPU the server and recorder used per request and its
# ratio to plain, steadier than req/s while other work shares the machine,
# and that CPU split: the server's own (the traced node process) and the
# recorder's (looptrace record or attach).  In a VM, time the hypervisor
# spends on a probe's trap may show as steal time rather than the server's.
# Reports only: the exit status never depends on timings.
# Knobs: ROUNDS (5), DURATION (s, 4), WARMUP (s, 1), CONNECTIONS (32),
# THREADS (2), APPS ("express fastify"), NODE (node binary; default Node 24
# of tests/node-versions when installed, else node), ATTACH (1; 0 skips
# attach), RECORD (1; 0 skips record), FLOOR (1; 0 skips the hooks-floor
# mode: node with the agent's hooks, empty, bench/empty-hooks.js), BASELINE (another looptrace to record
# with), ATTACH_BASELINE (another looptrace to attach with), ATTACH_ARGS
# (more attach options, both builds: "--microtasks"), STOP_TIMEOUT (60),
# LOOPTRACE.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
duration=${DURATION:-4}
warmup=${WARMUP:-1}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
stop_timeout=${STOP_TIMEOUT:-60}
read -r -a apps <<< "${APPS:-express fastify}"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
[ -z "${BASELINE:-}" ] || [ -x "$BASELINE" ] || { echo "BASELINE=$BASELINE is not an executable" >&2; exit 2; }
[ -z "${ATTACH_BASELINE:-}" ] || [ -x "$ATTACH_BASELINE" ] || { echo "ATTACH_BASELINE=$ATTACH_BASELINE is not an executable" >&2; exit 2; }
read -r -a attach_args <<< "${ATTACH_ARGS:-}"
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bench-apps.XXXXXX")
server_pid="" attach_pid=""
problems=0

# stop_pid PID: SIGINT, at most STOP_TIMEOUT s (a recorder imports meanwhile),
# then SIGTERM and SIGKILL; stop_rc is its exit status, stop_how what it took.
stop_pid() {
  stop_rc=0; stop_how=SIGINT
  kill -INT "$1" 2>/dev/null || true
  local waited=0
  while kill -0 "$1" 2>/dev/null; do
    if [ "$waited" -ge $((stop_timeout * 10)) ]; then
      stop_how="SIGINT ignored for ${stop_timeout}s, then SIGTERM"
      kill -TERM "$1" 2>/dev/null || true; sleep 3; kill -KILL "$1" 2>/dev/null || true
      break
    fi
    sleep 0.1; waited=$((waited + 1))
  done
  wait "$1" 2>/dev/null || stop_rc=$?
}
cleanup() {
  stop_timeout=5
  [ -z "$attach_pid" ] || stop_pid "$attach_pid"
  [ -z "$server_pid" ] || stop_pid "$server_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# cpu_ticks PID...: user + system clock ticks the processes used so far.
cpu_ticks() {
  local t=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    t=$((t + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$t"
}
hz=$(getconf CLK_TCK)

# measure LABEL SERVER_PIDS RECORDER_PIDS: a warm-up load, then the measured
# one; prints "req/s p99_ms cpu_us_per_request server_us recorder_us" (CPU
# per request of both lists, then of each; a list is space-separated, maybe
# empty; CPU per request holds up better than req/s on a machine other work
# keeps busy).
measure() {
  timeout -k 5 $((warmup + 30)) wrk -t"$threads" -c"$connections" -d"${warmup}s" \
    -H 'authorization: token-ada' "http://127.0.0.1:$port/item/7" > /dev/null 2>&1 || true
  local rc=0 label=$1 server_pids=$2 recorder_pids=$3 s0 r0
  # shellcheck disable=SC2086
  s0=$(cpu_ticks $server_pids); r0=$(cpu_ticks $recorder_pids)
  timeout -k 5 $((duration + 30)) wrk --latency -t"$threads" -c"$connections" -d"${duration}s" \
    -H 'authorization: token-ada' "http://127.0.0.1:$port/item/7" > "$work/wrk.out" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || echo "warning: wrk exited with $rc ($label): $(tr '\n' ' ' < "$work/wrk.out")" >&2
  if grep -qE "Socket errors|Non-2xx" "$work/wrk.out"; then
    echo "warning: wrk saw errors against the $label server: $(grep -E 'Socket errors|Non-2xx' "$work/wrk.out" | tr -s ' \n' ' ')" >&2
  fi
  # shellcheck disable=SC2086
  awk -v sticks=$(( $(cpu_ticks $server_pids) - s0 )) -v rticks=$(( $(cpu_ticks $recorder_pids) - r0 )) \
      -v hz="$hz" -v d="$duration" '/^Requests\/sec/ {rps = $2}
       $1 == "99%" {v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u)
                    p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v}
       function per_req(t) { return (rps + 0 > 0) ? sprintf("%.1f", t / hz * 1e6 / (rps * d)) : "n/a" }
       END {printf "%s %s %s %s %s\n", rps == "" ? "n/a" : rps, p99 == "" ? "n/a" : sprintf("%.2f", p99),
                   per_req(sticks + rticks), per_req(sticks), per_req(rticks)}' "$work/wrk.out"
}

# Can attach run here?  (root, BTF, uprobes; a throwaway node process.)
modes=(plain)
# hooks-floor: plain node with the agent's hooks, empty (bench/empty-hooks.js):
# what Node and V8 charge for calling them, which no body can go under
[ "${FLOOR:-1}" = 0 ] || modes+=(hooks-floor)
[ "${RECORD:-1}" = 0 ] || modes+=(record)
[ -z "${BASELINE:-}" ] || modes+=(baseline)
if [ "${ATTACH:-1}" != 0 ]; then
  "$nodebin" -e 'setInterval(() => {}, 50)' & probe=$!
  sleep 0.5
  if "$looptrace" attach -q -p "$probe" --duration 0.2 -o "$work/probe.db" 2> "$work/probe.err"; then
    modes+=(attach)
    [ -z "${ATTACH_BASELINE:-}" ] || modes+=(attach-baseline)
  else
    echo "attach skipped: $(tail -n1 "$work/probe.err")" >&2
  fi
  kill "$probe" 2>/dev/null || true; wait "$probe" 2>/dev/null || true
fi

# run APP MODE: one fresh server of APP in MODE, measured; prints
# "req/s p99_ms cpu_us_per_request server_us recorder_us events" (events: of
# the trace, n/a for plain).
run() {
  local app=$1 mode=$2 rps_p99 events="" tracer="" attacher=""
  rm -f "$work/t.db"
  case $mode in
    plain) start_server "$nodebin" "$here/apps-server.js" "$app" 0 ;;
    hooks-floor) start_server "$nodebin" --require "$here/empty-hooks.js" "$here/apps-server.js" "$app" 0 ;;
    attach) attacher=$looptrace ;;
    attach-baseline) attacher=$ATTACH_BASELINE ;;
    record) tracer=$looptrace ;;
    baseline) tracer=$BASELINE ;;
  esac
  [ -z "$tracer" ] || start_server "$tracer" record -q -o "$work/t.db" -- "$nodebin" "$here/apps-server.js" "$app" 0
  if [ -n "$attacher" ]; then
    start_server "$nodebin" "$here/apps-server.js" "$app" 0
    "$attacher" attach -q "${attach_args[@]}" -p "$server_pid" --duration $((warmup + duration + 3)) \
      -o "$work/t.db" 2> "$work/attach.err" &
    attach_pid=$!
    sleep 1 # symbols resolved, probes attached
  fi
  local server_pids=$server_pid recorder_pids=""
  [ -z "$attach_pid" ] || recorder_pids=$attach_pid
  # record: the recorder runs the traced node as its child
  [ -z "$tracer" ] || { recorder_pids=$server_pid; server_pids=$(pgrep -P "$server_pid" | tr '\n' ' '); }
  rps_p99=$(measure "$app $mode" "$server_pids" "$recorder_pids")
  if [ -n "$attach_pid" ]; then
    stop_pid "$attach_pid"; attach_pid=""
    [ "$stop_rc" -eq 0 ] || { problems=$((problems + 1)); echo "LOOPTRACE PROBLEM: attach exited $stop_rc: $(tail -n2 "$work/attach.err" | tr '\n' ' ')" >&2; }
  fi
  stop_pid "$server_pid"; server_pid=""
  if [ "$mode" != plain ] && [ "$mode" != hooks-floor ]; then
    events=$( [ -s "$work/t.db" ] && meta "$work/t.db" events || true)
    if [ "$stop_rc" -ne 0 ] || [ "$stop_how" != SIGINT ] || [ -z "$events" ]; then
      problems=$((problems + 1))
      echo "LOOPTRACE PROBLEM ($app $mode): stopped by $stop_how, exit $stop_rc, trace events '${events}': $(tail -n3 "$work/server.err" | tr '\n' ' ')" >&2
    fi
  fi
  echo "$rps_p99 ${events:-n/a}"
}

echo "apps-server.js (8 awaits per request), wrk -t$threads -c$connections, ${warmup}s warm-up + ${duration}s measured, $rounds rounds,"
echo "  node $("$nodebin" --version) ($nodebin), $(nproc) cores, load: $(uptime | sed 's/.*load average: //'), modes: ${modes[*]}"
declare -A rps p99 cpu srv rec kept p99r cpur evpr
for r in $(seq "$rounds"); do
  for app in "${apps[@]}"; do
    n=${#modes[@]}
    declare -A got=()
    line="round $r $app:"
    for k in $(seq 0 $((n - 1))); do
      mode=${modes[$(( (k + r - 1) % n ))]}
      read -r q l c cs cr e <<< "$(run "$app" "$mode")"
      got[$mode]="$q $l $c $e"
      rps[$app,$mode]+=" $q"; p99[$app,$mode]+=" $l"; cpu[$app,$mode]+=" $c"; srv[$app,$mode]+=" $cs"; rec[$app,$mode]+=" $cr"
      [ "$e" = n/a ] || evpr[$app,$mode]+=" $(awk -v e="$e" -v q="$q" -v d="$((warmup + duration))" 'BEGIN {if (q + 0 > 0) printf "%.0f", e / (q * d)}')"
    done
    read -r pq pl pc _ <<< "${got[plain]}"
    for mode in "${modes[@]}"; do
      read -r q l c e <<< "${got[$mode]}"
      line+=" $mode $q req/s p99 ${l} ms ${c} us CPU/req"
      [ "$mode" = plain ] && { line+=";"; continue; }
      kept[$app,$mode]+=" $(ratio "$q" "$pq")"; p99r[$app,$mode]+=" $(ratio "$l" "$pl")"; cpur[$app,$mode]+=" $(ratio "$c" "$pc")"
      line+=" (keeps $(ratio "$q" "$pq"), p99 x$(ratio "$l" "$pl"), CPU/req x$(ratio "$c" "$pc"), $e events);"
    done
    echo "$line"
  done
done

echo
echo "medians of $rounds rounds (ratios: median of the per-round ratios to plain)$( [ "$problems" -eq 0 ] || echo "; $problems run(s) misbehaved, see above")"
printf '%-8s %-15s %10s %9s %7s %8s %9s %7s %7s %7s %9s  %s\n' app mode req/s p99_ms kept p99_x us_cpu/r cpu_x srv_us rec_us ev/req target
for app in "${apps[@]}"; do
  for mode in "${modes[@]}"; do
    # shellcheck disable=SC2086
    q=$(median ${rps[$app,$mode]}); l=$(median ${p99[$app,$mode]}); c=$(median ${cpu[$app,$mode]})
    # shellcheck disable=SC2086
    cs=$(median ${srv[$app,$mode]}); cr=$(median ${rec[$app,$mode]})
    k=-; x=-; cx=-; e=-; target=-
    if [ "$mode" != plain ]; then
      # shellcheck disable=SC2086
      k=$(median ${kept[$app,$mode]}); x=$(median ${p99r[$app,$mode]}); cx=$(median ${cpur[$app,$mode]})
      e=$(median ${evpr[$app,$mode]:-})
      case $mode in
        record|baseline) target="kept >= 0.85: $(meets "$k" '>=' 0.85)" ;;
        attach|attach-baseline) target="kept >= 0.95: $(meets "$k" '>=' 0.95)" ;;
      esac
      result "$app $mode: req/s kept (p99, CPU/request ratios)" "-" "p99 x$x, CPU x$cx" "$k" "${target%%:*}" "${target##*: }"
    fi
    printf '%-8s %-15s %10s %9s %7s %8s %9s %7s %7s %7s %9s  %s\n' "$app" "$mode" "$q" "$l" "$k" "$x" "$c" "$cx" "$cs" "$cr" "$e" "$target"
  done
done
exit 0
