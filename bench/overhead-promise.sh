#!/usr/bin/env bash
# Promise-heavy micro benchmark: promise-micro.js (ITERATIONS, default 100k,
# iterations of an async function that awaits 10 async calls), plain and under
# `looptrace record`, interleaved (plain, recorded, plain, recorded, ...) for
# ROUNDS rounds (default 5).  Prints every round, then medians of:
#   - in-program time: the ms promise-micro.js prints for its timed loop;
#     ratio recorded/plain (target: at most 3x, issue 14)
#   - in-program CPU: the CPU ms the process used during that loop (all its
#     threads), which the run queue of a shared machine does not inflate
#   - whole run: wall time of the whole process as seen from here, node
#     start-up included, and for the recorded run the import into SQLite too
#     (also shown without the import)
#   - raw capture bytes per event (target: at most 32)
#   - import rate, events / import seconds from looptrace's summary line
#     (target: at least 1M events/s)
# With BASELINE=path (another looptrace build), each round also records
# under it (plain, recorded, baseline) and its ratio is printed beside:
# before/after in one invocation.
# Unless FLOOR=0, each round also runs node with the agent's hooks, empty
# (bench/empty-hooks.js): what V8 and Node charge for calling them at all,
# the floor under any recorder built on them.
# Knobs: ROUNDS, ITERATIONS, TIMEOUT (seconds per run, default 60), NODE
# (node binary; default Node 24 of tests/node-versions when installed, else
# node), BASELINE, FLOOR, LOOPTRACE.
# Reports only: the exit status never depends on timings.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
iterations=${ITERATIONS:-100000}
run_timeout=${TIMEOUT:-60}
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bench-promise.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -z "${BASELINE:-}" ] || [ -x "$BASELINE" ] || { echo "BASELINE=$BASELINE is not an executable" >&2; exit 2; }
echo "promise-micro.js, $iterations iterations, $rounds rounds, node $("$nodebin" --version) ($nodebin), load: $(uptime | sed 's/.*load average: //')"

micro="$here/promise-micro.js"
base_ms=() base_ratio=() base_cpu=() base_cpu_ratio=() plain_cpu=() traced_cpu=() cpu_ratio=()
round_ratio=() plain_ms=() traced_ms=() plain_wall=() traced_wall=() traced_run=()
per_event=() import_rate=() events_all=() import_all=()
floor_ms=() floor_ratio=() floor_cpu_ratio=()
problems=0

for r in $(seq "$rounds"); do
  # plain
  t0=$(now_ms)
  rc=0; out=$(timeout -k 5 "$run_timeout" "$nodebin" "$micro" "$iterations") || rc=$?
  read -r p pc <<< "$out"
  t1=$(now_ms)
  if [ "$rc" -ne 0 ] || ! is_number "$p" || ! is_number "$pc"; then
    echo "error: plain run failed (exit $rc, output '$out')" >&2
    exit 1
  fi
  # the floor: the same hooks, empty
  f=""
  if [ "${FLOOR:-1}" != 0 ]; then
    rc=0; out=$(timeout -k 5 "$run_timeout" "$nodebin" --require "$here/empty-hooks.js" "$micro" "$iterations") || rc=$?
    read -r f fc <<< "$out"
    if [ "$rc" -ne 0 ] || ! is_number "$f" || ! is_number "$fc"; then
      echo "warning: round $r: the hooks-floor run failed (exit $rc, output '$out')" >&2
      f=""
    else
      floor_ms+=("$f"); floor_ratio+=("$(ratio "$f" "$p")"); floor_cpu_ratio+=("$(ratio "$fc" "$pc")")
    fi
  fi
  # recorded (no -q: the summary line carries B/event and the import time)
  rm -f "$work/t.db"
  t2=$(now_ms)
  rc=0
  out=$(timeout -k 10 "$run_timeout" "$looptrace" record -o "$work/t.db" -- "$nodebin" "$micro" "$iterations" \
        2>"$work/stderr") || rc=$?
  t3=$(now_ms)
  read -r t tc <<< "$out"
  line=$(grep -E '^looptrace: [0-9]+ events' "$work/stderr" | tail -n1 || true)
  ev=$(sed -n 's/^looptrace: \([0-9]*\) events.*/\1/p' <<<"$line")
  bpe=$(sed -n 's/.*(\([0-9.]*\) B\/event).*/\1/p' <<<"$line")
  imp=$(sed -n 's/.*imported in \([0-9.]*\) s.*/\1/p' <<<"$line")
  db_events=$( [ -f "$work/t.db" ] && meta "$work/t.db" events || true)
  if [ "$rc" -ne 0 ] || ! is_number "$t" || ! is_number "$tc" || [ -z "$line" ] || [ ! -s "$work/t.db" ]; then
    problems=$((problems + 1))
    {
      echo "LOOPTRACE PROBLEM in round $r: exit $rc (124/137 = killed by the ${run_timeout}s timeout),"
      echo "  program output '$t', trace $( [ -s "$work/t.db" ] && echo present || echo MISSING ), summary line '${line:-none}'"
      echo "  stderr: $(tail -n5 "$work/stderr" | tr '\n' ' ')"
      echo "  reproduce: $looptrace record -o /tmp/t.db -- $nodebin $micro $iterations"
    } >&2
    continue
  fi
  if [ "$db_events" != "$ev" ]; then
    echo "warning: round $r: summary says $ev events, the trace's meta table says '${db_events}'" >&2
  fi
  damaged=$(meta "$work/t.db" damaged_streams)
  [ "${damaged:-0}" = 0 ] || echo "warning: round $r: $damaged damaged stream(s) in the trace" >&2

  b=""
  if [ -n "${BASELINE:-}" ]; then
    rm -rf "$work/b.db" "$work/b.db.raw"
    rc=0; out=$(timeout -k 10 "$run_timeout" "$BASELINE" record -q -o "$work/b.db" -- "$nodebin" "$micro" "$iterations" \
        2>"$work/b.stderr") || rc=$?
    read -r b bc <<< "$out"
    if [ "$rc" -ne 0 ] || ! is_number "$b" || ! is_number "$bc"; then
      echo "warning: round $r: the BASELINE run failed (exit $rc): $(tail -n2 "$work/b.stderr" | tr '\n' ' ')" >&2
      b=""
    else
      base_ms+=("$b"); base_ratio+=("$(ratio "$b" "$p")"); base_cpu+=("$bc"); base_cpu_ratio+=("$(ratio "$bc" "$pc")")
    fi
  fi
  rate=$(awk -v e="$ev" -v s="$imp" 'BEGIN {if (s > 0) printf "%.2f", e/s/1e6; else print "n/a"}')
  run_only=$(awk -v w=$((t3 - t2)) -v s="$imp" 'BEGIN {printf "%d", w - s*1000}')
  plain_ms+=("$p"); traced_ms+=("$t"); round_ratio+=("$(ratio "$t" "$p")")
  plain_cpu+=("$pc"); traced_cpu+=("$tc"); cpu_ratio+=("$(ratio "$tc" "$pc")")
  plain_wall+=("$((t1 - t0))"); traced_wall+=("$((t3 - t2))"); traced_run+=("$run_only")
  per_event+=("$bpe"); import_rate+=("$rate"); events_all+=("$ev"); import_all+=("$imp")
  printf 'round %d: in-program plain %s ms, recorded %s ms (%sx) | whole run plain %d ms, recorded %d ms (%d ms without import) | %s events, %s B/event, import %s s = %sM events/s\n' \
    "$r" "$p" "$t" "$(ratio "$t" "$p")" "$((t1 - t0))" "$((t3 - t2))" "$run_only" "$ev" "$bpe" "$imp" "$rate"
  printf 'round %d: in-program CPU plain %s ms, recorded %s ms (%sx)\n' "$r" "$pc" "$tc" "$(ratio "$tc" "$pc")"
  [ -z "$f" ] || printf 'round %d: hooks floor (empty hooks, no recorder) %s ms (%sx)\n' "$r" "$f" "$(ratio "$f" "$p")"
  [ -z "$b" ] || printf 'round %d: baseline recorded %s ms (%sx), CPU %s ms (%sx)\n' "$r" "$b" "$(ratio "$b" "$p")" "$bc" "$(ratio "$bc" "$pc")"
done

if [ "${#traced_ms[@]}" -eq 0 ]; then
  echo "no recorded round succeeded ($problems problem(s), see above)" >&2
  exit 1
fi
n=${#traced_ms[@]}
pm=$(median "${plain_ms[@]}"); tm=$(median "${traced_ms[@]}")
pw=$(median "${plain_wall[@]}"); tw=$(median "${traced_wall[@]}"); tr=$(median "${traced_run[@]}")
bpe=$(median "${per_event[@]}"); rate=$(median "${import_rate[@]}")
ev=$(median "${events_all[@]}"); imp=$(median "${import_all[@]}")
r_prog=$(ratio "$tm" "$pm"); r_wall=$(ratio "$tw" "$pw"); r_run=$(ratio "$tr" "$pw")
echo
failed=""; [ "$problems" -eq 0 ] || failed=" ($problems recorded run(s) failed, see above)"
echo "promise micro benchmark, $iterations iterations, median of $n rounds$failed"
echo "  in-program time (timed loop): plain $pm ms, recorded $tm ms, ratio ${r_prog}x (target <= 3x); median of the per-round ratios $(median "${round_ratio[@]}")x"
pcm=$(median "${plain_cpu[@]}"); tcm=$(median "${traced_cpu[@]}")
echo "  in-program CPU (all threads): plain $pcm ms, recorded $tcm ms, ratio $(ratio "$tcm" "$pcm")x; median of the per-round ratios $(median "${cpu_ratio[@]}")x"
if [ "${#base_ms[@]}" -gt 0 ]; then
  echo "  BASELINE ($BASELINE) recorded $(median "${base_ms[@]}") ms, ratio $(ratio "$(median "${base_ms[@]}")" "$pm")x (per-round median $(median "${base_ratio[@]}")x);"
  echo "    CPU $(median "${base_cpu[@]}") ms, ratio $(ratio "$(median "${base_cpu[@]}")" "$pcm")x (per-round median $(median "${base_cpu_ratio[@]}")x)"
fi
if [ "${#floor_ms[@]}" -gt 0 ]; then
  echo "  hooks floor (the agent's hooks, empty; no recorder): $(median "${floor_ms[@]}") ms, per-round ratio $(median "${floor_ratio[@]}")x, CPU $(median "${floor_cpu_ratio[@]}")x"
fi
echo "  whole process (start-up + import): plain $pw ms, recorded $tw ms, ratio ${r_wall}x; without the import: $tr ms, ${r_run}x"
echo "  raw capture: $ev events, $bpe B/event (target <= 32)"
echo "  import: $ev events in $imp s = ${rate}M events/s (target >= 1M)"

result "promise: in-program time" "$pm ms" "$tm ms" "${r_prog}x" "<= 3x" "$(meets "$r_prog" "<=" 3)"
[ "${#floor_ms[@]}" -eq 0 ] || result "promise: hooks floor (empty hooks)" "$pm ms" "$(median "${floor_ms[@]}") ms" "$(median "${floor_ratio[@]}")x" "-" "-"
result "promise: in-program CPU" "$pcm ms" "$tcm ms" "$(ratio "$tcm" "$pcm")x" "-" "-"
result "promise: whole process, incl. import" "$pw ms" "$tw ms" "${r_wall}x" "-" "-"
result "promise: raw bytes/event" "-" "$ev events" "$bpe B" "<= 32 B" "$(meets "$bpe" '<=' 32)"
result "promise: import rate" "-" "$imp s" "${rate}M ev/s" ">= 1M ev/s" "$(meets "$rate" '>=' 1)"
[ "$problems" -eq 0 ] || result "promise: FAILED recorded runs" "-" "$problems of $rounds" "-" "0" "no"
exit 0
