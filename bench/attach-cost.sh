#!/usr/bin/env bash
# What `looptrace attach` costs one running service, configuration by
# configuration: one bench/apps-server.js server (APP: express or fastify)
# loaded by `wrk -t2 -c32` in windows of WINDOW seconds; per cycle a window
# unattached, then one attached with each configuration in turn (the same
# server and JIT state throughout, so slow drifts of a shared machine cancel
# out better than across fresh servers).  Prints every window and, per
# configuration, the medians of: requests/s, the server's CPU µs per request,
# the recorder's, and the per-cycle ratios to the unattached window.  With
# HITS=1 also the probe hits per request of each BPF program and their run
# time (kernel.bpf_stats_enabled is switched on for the measured windows only:
# it costs every BPF program of the machine).  Root only; reports only.
# Knobs: APP (fastify), CYCLES (5), WINDOW (3), HITS (0), NODE (Node 24 of
# tests/node-versions, else node), CONFIGS (newline- or ';'-separated
# "LABEL=LOOPTRACE [attach options]"; LOOPTRACE_ATTACH_SKIP and other
# variables go before the binary as NAME=VALUE words; default:
# "attach=$LOOPTRACE"), e.g.
#   CONFIGS="old=/tmp/looptrace-main; new=build/looptrace; micro=build/looptrace --microtasks;
#            per-iteration=LOOPTRACE_ATTACH_SKIP=uv__stream_io build/looptrace"
set -euo pipefail
source "$(dirname "$0")/lib.sh"
app=${APP:-fastify}
cycles=${CYCLES:-5}
window=${WINDOW:-3}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "attach-cost.sh: attach needs root" >&2; exit 2; }
[ "${HITS:-0}" = 0 ] || command -v bpftool >/dev/null || { echo "HITS=1 needs bpftool" >&2; exit 2; }
IFS=';' read -r -a configs <<< "$(printf '%s' "${CONFIGS:-attach=$looptrace}" | tr '\n' ';')"
labels=() commands=()
for c in "${configs[@]}"; do
  c=$(echo "$c" | sed 's/^ *//; s/ *$//')
  [ -n "$c" ] || continue
  labels+=("${c%%=*}"); commands+=("${c#*=}")
done
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-attach-cost.XXXXXX")
server_pid="" attach_pid="" stats_were=""
cleanup() {
  [ -z "$attach_pid" ] || { kill -INT "$attach_pid" 2>/dev/null || true; wait "$attach_pid" 2>/dev/null || true; }
  [ -z "$server_pid" ] || { kill -INT "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  [ -z "$stats_were" ] || sysctl -qw kernel.bpf_stats_enabled="$stats_were"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ticks() { [ -r "/proc/$1/stat" ] && sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}' || echo 0; }
hz=$(getconf CLK_TCK)
load() { wrk -t2 -c32 -d"$1s" -H 'authorization: token-ada' "http://127.0.0.1:$port/item/7" 2>&1 | awk '/^Requests\/sec/ {print $2}'; }
per_req() { awk -v t="$1" -v q="$2" -v d="$window" -v hz="$hz" 'BEGIN {if (q + 0 > 0) printf "%.1f", t / hz * 1e6 / (q * d); else print "n/a"}'; }
# prog_stats FILE: "id name run_cnt run_time_ns" per loaded BPF program
prog_stats() { bpftool -j prog show | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    print(p["id"], p.get("name", "?"), p.get("run_cnt", 0), p.get("run_time_ns", 0))' > "$1"; }

start_server "$nodebin" "$here/apps-server.js" "$app" 0
load 2 > /dev/null # JIT warm-up
echo "attach-cost: $app, node $("$nodebin" --version), ${window}s windows, $cycles cycles, load: $(uptime | sed 's/.*load average: //')"
declare -A rps srv rec kept srvx
for c in $(seq "$cycles"); do
  t0=$(ticks "$server_pid"); q0=$(load "$window"); t1=$(ticks "$server_pid")
  s0=$(per_req $((t1 - t0)) "$q0")
  echo "cycle $c unattached: $q0 req/s, server $s0 us/req"
  rps[plain]+=" $q0"; srv[plain]+=" $s0"
  for k in "${!labels[@]}"; do
    label=${labels[$k]}
    read -r -a words <<< "${commands[$k]}"
    envs=()
    while [ "${#words[@]}" -gt 0 ] && [[ "${words[0]}" == *=* ]]; do envs+=("${words[0]}"); words=("${words[@]:1}"); done
    [ "${HITS:-0}" = 0 ] || prog_stats "$work/others" # ours: the programs loaded after this
    env "${envs[@]}" "${words[0]}" attach -q "${words[@]:1}" -p "$server_pid" --duration 600 -o "$work/t.db" \
      2> "$work/attach.err" & attach_pid=$!
    sleep 1.5 # symbols resolved, probes attached
    if [ "${HITS:-0}" != 0 ]; then
      stats_were=$(sysctl -n kernel.bpf_stats_enabled); sysctl -qw kernel.bpf_stats_enabled=1; prog_stats "$work/before"
    fi
    t0=$(ticks "$server_pid"); a0=$(ticks "$attach_pid"); q=$(load "$window"); t1=$(ticks "$server_pid"); a1=$(ticks "$attach_pid")
    if [ "${HITS:-0}" != 0 ]; then
      prog_stats "$work/after"; sysctl -qw kernel.bpf_stats_enabled="$stats_were"; stats_were=""
    fi
    kill -INT "$attach_pid"; rc=0; wait "$attach_pid" || rc=$?; attach_pid=""
    [ "$rc" -eq 0 ] || echo "LOOPTRACE PROBLEM: $label: attach exited $rc: $(tail -n2 "$work/attach.err" | tr '\n' ' ')" >&2
    s=$(per_req $((t1 - t0)) "$q"); r=$(per_req $((a1 - a0)) "$q")
    echo "cycle $c $label: $q req/s (keeps $(ratio "$q" "$q0")), server $s us/req (x$(ratio "$s" "$s0")), recorder $r us/req"
    rps[$label]+=" $q"; srv[$label]+=" $s"; rec[$label]+=" $r"
    kept[$label]+=" $(ratio "$q" "$q0")"; srvx[$label]+=" $(ratio "$s" "$s0")"
    if [ "${HITS:-0}" != 0 ]; then
      awk -v n="$q" -v d="$window" 'FILENAME == ARGV[1] {other[$1] = 1; next}
           FILENAME == ARGV[2] {cnt[$1] = $3; ns[$1] = $4; next}
           !($1 in other) && ($1 in cnt) && $3 > cnt[$1] {h = ($3 - cnt[$1]) / (n * d); t = ($4 - ns[$1]) / ($3 - cnt[$1])
             if (h >= 0.005) printf "    %-16s %5.2f hits/req %6.0f ns/run\n", $2, h, t}' \
        "$work/others" "$work/before" "$work/after"
    fi
  done
done
echo
printf '%-16s %10s %10s %10s %7s %9s\n' config req/s srv_us/r rec_us/r kept srv_x
# shellcheck disable=SC2086
printf '%-16s %10s %10s %10s %7s %9s\n' unattached "$(median ${rps[plain]})" "$(median ${srv[plain]})" - - -
for label in "${labels[@]}"; do
  # shellcheck disable=SC2086
  printf '%-16s %10s %10s %10s %7s %9s\n' "$label" "$(median ${rps[$label]})" "$(median ${srv[$label]})" \
    "$(median ${rec[$label]})" "$(median ${kept[$label]})" "$(median ${srvx[$label]})"
done
exit 0
