#!/usr/bin/env bash
# Throughput of a node HTTP server while `looptrace attach` watches it with
# its eBPF uprobes, against the same server unattached, in one invocation.
# The server is tests/fixtures/blocking-server.js (the server of the attach
# integration test): its handler busy-waits BLOCK_MS (100) on every
# BLOCK_EVERY-th (20th) request.  Each round loads the one running server
# with wrk twice, unattached and attached (the order alternates from round to
# round, so that warm-up and drift fall on both sides), and prints both
# requests/s; at the end the median of the per-round ratios attached/plain
# (target: at least 0.95).  Then the same with BLOCK_EVERY=0 (WORST=0 skips
# it): a server that never blocks, answering as fast as it can, where the
# uprobes' cost per request shows most (reported, no target).
# Needs root (CAP_BPF + CAP_PERFMON) and kernel BTF; without them it says why
# and exits 2.  Warns when wrk saw socket errors or non-2xx answers, or when
# an attach failed.  Reports only: the exit status never depends on timings.
# Knobs: ROUNDS (3), DURATION (s per load, 5), CONNECTIONS (16), THREADS (2),
# BLOCK_EVERY (20), BLOCK_MS (100), WORST (1), LOOPTRACE.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-3}
duration=${DURATION:-5}
connections=${CONNECTIONS:-16}
threads=${THREADS:-2}
export BLOCK_MS=${BLOCK_MS:-100}
block_every=${BLOCK_EVERY:-20}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bench-attach.XXXXXX")
server_pid=""
attach_pid=""
problems=0

cleanup() {
  [ -z "$attach_pid" ] || kill -INT "$attach_pid" 2>/dev/null || true
  [ -z "$attach_pid" ] || wait "$attach_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || kill -TERM "$server_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Can the probes load here?  Attach briefly to a throwaway node process.
node -e 'setInterval(() => {}, 50)' & probe=$!
sleep 0.3
if ! "$looptrace" attach -q -p "$probe" --duration 0.2 -o "$work/probe.db" 2> "$work/probe.err"; then
  kill "$probe" 2>/dev/null || true
  echo "cannot attach here: $(tail -n1 "$work/probe.err")" >&2
  exit 2
fi
kill "$probe" 2>/dev/null || true
wait "$probe" 2>/dev/null || true

stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# attached_load: attach for the load's duration (plus start-up), load, detach.
attached_load() {
  rm -f "$work/a.db"
  "$looptrace" attach -q -p "$server_pid" --duration $((duration + 2)) -o "$work/a.db" 2> "$work/attach.err" &
  attach_pid=$!
  sleep 1 # symbols resolved, probes attached
  load attached
  local rc=0
  wait "$attach_pid" || rc=$?
  attach_pid=""
  if [ "$rc" -ne 0 ] || [ ! -s "$work/a.db" ]; then
    problems=$((problems + 1))
    echo "LOOPTRACE PROBLEM: attach exited with $rc: $(tail -n3 "$work/attach.err" | tr '\n' ' ')" >&2
  fi
  kill -0 "$server_pid" 2>/dev/null || { echo "LOOPTRACE PROBLEM: the server died while attached" >&2; problems=$((problems + 1)); }
}

# scenario NAME BLOCK_EVERY: ROUNDS rounds on one server; sets med_ratio.
scenario() {
  local name=$1
  export BLOCK_EVERY=$2
  local plain=() attached=() ratios=() p a events
  start_server node "$root/tests/fixtures/blocking-server.js" 0
  load warm-up > /dev/null # JIT and caches warm before the first measured load
  for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then
      p=$(load plain); a=$(attached_load)
    else
      a=$(attached_load); p=$(load plain)
    fi
    events=$( [ -s "$work/a.db" ] && meta "$work/a.db" events || true)
    plain+=("$p"); attached+=("$a"); ratios+=("$(ratio "$a" "$p")")
    printf 'round %d (%s): plain %s req/s, attached %s req/s (keeps %s) | %s events captured\n' \
      "$r" "$name" "${p:-n/a}" "${a:-n/a}" "$(ratio "$a" "$p")" "${events:-n/a}"
  done
  stop_server
  med_ratio=$(median "${ratios[@]}")
  echo "$name: median req/s plain $(median "${plain[@]}"), attached $(median "${attached[@]}");" \
    "median of the per-round ratios attached/plain: $med_ratio"
}

echo "blocking-server.js, wrk -t$threads -c$connections -d${duration}s, $rounds rounds, $(nproc) cores, node $(node --version)"
scenario "blocks ${BLOCK_MS} ms every ${block_every}th request" "$block_every"
judged=$med_ratio
worst="n/a"
if [ "${WORST:-1}" != 0 ]; then
  scenario "never blocks (worst case)" 0
  worst=$med_ratio
fi
echo
failed=""; [ "$problems" -eq 0 ] || failed=" ($problems attach run(s) misbehaved, see above)"
echo "attached/plain throughput ratio: $judged (target >= 0.95, met: $(meets "$judged" '>=' 0.95))$failed"
echo "worst case (a server that never blocks): $worst"
result "attach, server blocking every ${block_every}th: req/s kept" "-" "-" "$judged" ">= 0.95" "$(meets "$judged" '>=' 0.95)"
result "attach, server never blocking: req/s kept" "-" "-" "$worst" "-" "-"
exit 0
