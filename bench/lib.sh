# shellcheck shell=bash
# Shared helpers for the benchmark scripts (sourced).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
looptrace=${LOOPTRACE:-$root/build/looptrace}
[ -x "$looptrace" ] || {
  echo "build looptrace first: cmake -S $root -B $root/build && cmake --build $root/build -j2" >&2
  exit 2
}
command -v node >/dev/null || { echo "node is needed" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed (apt-get install sqlite3)" >&2; exit 2; }

# The node the benchmarks run: NODE, else Node 24 of tests/node-versions
# (scripts/setup.sh installs it), else the node on PATH.
node24="$root/tests/node-versions/node_modules/node24/bin/node"
if [ -n "${NODE:-}" ]; then nodebin=$NODE; elif [ -x "$node24" ]; then nodebin=$node24; else nodebin=$(command -v node); fi
[ -x "$nodebin" ] || { echo "NODE=$nodebin is not an executable" >&2; exit 2; }

# median of the numbers given as arguments (anything not a number is skipped)
median() {
  printf '%s\n' "$@" | awk '$1 ~ /^[0-9]+(\.[0-9]+)?$/' | sort -g |
    awk '{a[NR]=$1} END {if (NR == 0) print "n/a"; else print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}
# ratio A B: A/B with two decimals ("n/a" when either is missing or B is 0)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a/b}'; }
# is_number X: true when X is a plain decimal number
is_number() { [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
# now_ms: monotonic-enough wall clock in milliseconds
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# meta DB KEY: a value from a trace's meta table (empty when missing)
meta() { sqlite3 "$1" "SELECT value FROM meta WHERE key = '$2'" 2>/dev/null || true; }
# meets VALUE OP TARGET: "yes" / "no" / "n/a" (reporting only, never an assertion)
meets() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {if (v == "" || v == "n/a") print "n/a"; else if (op == "<=") print (v + 0 <= t + 0) ? "yes" : "no"; else print (v + 0 >= t + 0) ? "yes" : "no"}'; }

# result NAME PLAIN RECORDED VALUE TARGET MET: one row for run-all.sh's summary
# table, appended to $BENCH_RESULTS when it is set (tab-separated).
result() {
  [ -n "${BENCH_RESULTS:-}" ] || return 0
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >> "$BENCH_RESULTS"
}

# HTTP servers under wrk (overhead-http.sh, overhead-attach.sh).  The caller
# sets work (a scratch directory), threads, connections and duration.
#
# start_server CMD...: runs CMD in the background (server_pid), waits (30 s
# at most) for the port it prints on a line of its own (port); its stdout
# stays in $work/port (node --trace-gc lines may come before the port).
start_server() {
  : > "$work/port"
  "$@" > "$work/port" 2> "$work/server.err" &
  server_pid=$!
  port=""
  for _ in $(seq 300); do
    port=$(grep -m1 -E '^[0-9]+$' "$work/port" || true)
    [[ "$port" =~ ^[0-9]+$ ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not start ($*): $(cat "$work/server.err")" >&2
  exit 1
}

# load LABEL: wrk against the running server; prints requests/s, warns (on
# stderr, naming LABEL) when wrk failed or saw socket errors or non-2xx answers.
load() {
  local rc=0
  timeout -k 5 $((duration + 30)) \
    wrk -t"$threads" -c"$connections" -d"${duration}s" "http://127.0.0.1:$port/" > "$work/wrk.out" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || echo "warning: wrk exited with $rc: $(tr '\n' ' ' < "$work/wrk.out")" >&2
  if grep -qE "Socket errors|Non-2xx" "$work/wrk.out"; then
    echo "warning: wrk saw errors against the $1 server: $(grep -E 'Socket errors|Non-2xx' "$work/wrk.out" | tr -s ' \n' ' ')" >&2
  fi
  awk '/^Requests\/sec/ {print $2}' "$work/wrk.out"
}
