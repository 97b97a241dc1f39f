#!/usr/bin/env bash
# The flight recorder left on a loaded service: the express or fastify app
# of examples/apps under `looptrace record --ring SIZE --trigger-lag 200ms`,
# loaded by wrk for MINUTES (default 10), with one planted 300 ms lag spike
# at half time.  Prints the recorder's and the service's memory every 10 s
# (the service's RSS, and its RssAnon apart from RssShmem: the pages of the
# capture rings it wrote, up to 32 MiB per thread, are shared memory and
# count in its RSS), then the dumps (trigger, window) and what `report`
# found in the lag dump.
#
#   bench/flight.sh [MINUTES] [express|fastify] [SIZE]
#   (MINUTES may be a fraction: 0.5 for 30 s; NODE: the node binary, default
#   Node 24 of tests/node-versions; ATTACH=1: the service runs plain, with
#   --perf-basic-prof so stacks have names, and `sudo looptrace attach -p PID
#   --ring SIZE --trigger-lag 200ms` is left on it)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
minutes=${1:-10}
app=${2:-express}
size=${3:-64M}
secs=$(awk -v m="$minutes" 'BEGIN {printf "%d", m * 60}')
[ "$secs" -ge 10 ] || { echo "run at least 10 s (MINUTES >= 0.17)" >&2; exit 2; }
case "$app" in
  express) url_path=/catalog/summary ;;
  fastify) url_path=/stats ;;
  *) echo "app is express or fastify" >&2; exit 2 ;;
esac
[ -d "$root/examples/apps/node_modules" ] || { echo "npm ci in examples/apps first (scripts/setup.sh)" >&2; exit 2; }
work=$(mktemp -d)
rec_pid="" node_pid=""
trap 'kill $rec_pid $node_pid 2>/dev/null || true; rm -rf "$work" "/tmp/perf-$node_pid.map"' EXIT
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

attach=${ATTACH:-0}
if [ "$attach" = 1 ]; then
  # the service first, then the flight recorder attached to it
  (cd "$work" && FLIGHT_SPIKE_AT=$((secs / 2)) exec "$nodebin" --perf-basic-prof "$root/bench/flight-app.js" "$app") \
    > "$work/port" 2> "$work/service.err" &
  node_pid=$!
else
  FLIGHT_SPIKE_AT=$((secs / 2)) "$looptrace" record --ring "$size" --trigger-lag 200ms -o "$work/flight.db" -- \
    "$nodebin" "$root/bench/flight-app.js" "$app" > "$work/port" 2> "$work/record.err" &
  rec_pid=$!
fi
port=""
for _ in $(seq 300); do
  port=$(head -n1 "$work/port")
  [[ "$port" =~ ^[0-9]+$ ]] && break
  sleep 0.1
done
[[ "$port" =~ ^[0-9]+$ ]] || { echo "the service did not start: $(cat "$work"/*.err)" >&2; exit 1; }
if [ "$attach" = 1 ]; then
  "$looptrace" attach -p "$node_pid" --ring "$size" --trigger-lag 200ms -o "$work/flight.db" 2> "$work/record.err" &
  rec_pid=$!
  for _ in $(seq 300); do grep -q 'Ctrl-C detaches' "$work/record.err" && break; sleep 0.1; done
  grep -q 'Ctrl-C detaches' "$work/record.err" || { echo "attach failed: $(cat "$work/record.err")" >&2; exit 1; }
  how="looptrace attach --ring $size --trigger-lag 200ms"
else
  node_pid=$(cat "/proc/$rec_pid/task/$rec_pid/children" | awk '{print $1}')
  how="looptrace record --ring $size --trigger-lag 200ms"
fi
echo "$app under $how, wrk -t2 -c16 for ${secs} s, a 300 ms spike at $((secs / 2)) s"
wrk -t2 -c16 -d"${secs}s" -H 'authorization: token-ada' "http://127.0.0.1:$port$url_path" > "$work/wrk.out" 2>&1 &
wrk_pid=$!
printf '%6s  %22s  %30s  %s\n' "t (s)" "recorder RssAnon/RSS" "service RSS (anon + shmem)" "dumps"
start=$(date +%s)
peak=0
while kill -0 "$wrk_pid" 2>/dev/null; do
  sleep 10
  anon=$(kib "$rec_pid" RssAnon); rss=$(kib "$rec_pid" VmRSS); srss=$(kib "$node_pid" VmRSS)
  sanon=$(kib "$node_pid" RssAnon); sshm=$(kib "$node_pid" RssShmem)
  [ "${anon:-0}" -gt "$peak" ] && peak=$anon
  printf '%6d  %10.1f / %7.1f MiB  %30s  %s\n' $(( $(date +%s) - start )) "$(awk -v k="$anon" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" \
    "$(awk -v a="$srss" -v b="$sanon" -v c="$sshm" 'BEGIN {printf "%.1f (%.1f + %.1f) MiB", a / 1024, b / 1024, c / 1024}')" \
    "$(ls "$work" | grep -c '^flight-.*\.db$' || true)"
done
wait "$wrk_pid" || true
echo "wrk: $(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out") requests/s; recorder RssAnon peak $(awk -v k="$peak" 'BEGIN {printf "%.1f", k / 1024}') MiB (ring $size)"
kill -INT "$rec_pid"
wait "$rec_pid" || true
[ "$attach" = 1 ] && { kill -INT "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; }
grep -E "dump [0-9]+ " "$work/record.err" | sed 's/^/  /' || true
spike=""
for db in $(ls -v "$work"/flight-*.db 2>/dev/null); do
  printf '%s: trigger %s, window %.2f s, %s events, %s bytes\n' "$(basename "$db")" "$(meta "$db" trigger)" \
    "$(awk -v a="$(meta "$db" window_start_ns)" -v b="$(meta "$db" window_end_ns)" 'BEGIN {print (b - a) / 1e9}')" \
    "$(meta "$db" events)" "$(stat -c %s "$db")"
  [ "$(meta "$db" trigger)" = lag ] || [ -z "$spike" ] || continue
  "$looptrace" report "$db" > "$work/report.txt" 2>/dev/null || true
  [ "$(meta "$db" trigger)" = lag ] && { grep -m1 -A2 -E "blocking-task" "$work/report.txt" | sed 's/^/    /' || true; }
  if [ -z "$spike" ]; then
    # the blocking finding that names plantedSpike: its severity, how long,
    # and the user line it is placed at (record: where the hook calls it;
    # attach: the line its samples hit)
    found=$("$looptrace" report --format json "$db" 2>/dev/null | "$nodebin" -e '
      let text = ""; process.stdin.on("data", (d) => { text += d; }).on("end", () => {
        const f = JSON.parse(text).findings.find((x) => x.kind === "blocking-task" && JSON.stringify(x).includes("plantedSpike"));
        if (f) console.log(`${f.severity}: blocked the event loop for ${Math.round(f.duration_ms)} ms, at ${f.location.file}:${f.location.line} (${f.message.split(";")[0]})`);
      });' || true)
    if [ -n "$found" ]; then spike="$(basename "$db") ($(meta "$db" trigger) dump): $found"; fi
  fi
done
echo "the planted spike: ${spike:-not found in a dump}"
