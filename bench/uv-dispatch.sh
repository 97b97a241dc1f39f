#!/usr/bin/env bash
# The preload's uv_* tracing cost per dispatch (bench/c/uv_dispatch.c: 200000
# idle callbacks, 20000 timer restarts), interleaved rounds, medians:
#   program CPU  user+sys of the traced program alone (bash's `times` in the
#                recorded shell: what the program pays)
#   total CPU    user+sys of the whole `looptrace record` (drain and import)
# BASE=/path/to/other/build/looptrace adds the same figures for another build
# (before/after a change).  ROUNDS (5) rounds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rounds=${ROUNDS:-5}
prog=$(mktemp -d)/uv_dispatch
cc -O2 "$root/bench/c/uv_dispatch.c" -luv -o "$prog"
out=$(mktemp -d)

# user+sys seconds of the children `times` reports (its second line)
child_cpu() { awk '/^[0-9]+m/ {n++; if (n == 2) {split($1, a, "m"); split($2, b, "m"); sub("s", "", a[2]); sub("s", "", b[2]); print a[1] * 60 + a[2] + b[1] * 60 + b[2]}}'; }
# total_cpu CMD...: user+sys of CMD and its children
total_cpu() { /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | awk 'END {print $1 + $2}'; }

declare -A prog_cpu total
builds=(new)
[ -n "${BASE:-}" ] && builds+=(base)
for ((r = 0; r < rounds; r++)); do
  prog_cpu[plain]+=" $(bash -c "$prog >/dev/null; times" | child_cpu)"
  total[plain]+=" $(total_cpu "$prog")"
  for b in "${builds[@]}"; do
    lt=$looptrace
    [ "$b" = base ] && lt=$BASE
    prog_cpu[$b]+=" $("$lt" record -q -o "$out/$b.db" -- bash -c "$prog >/dev/null; times" 2>&1 | child_cpu)"
    total[$b]+=" $(total_cpu "$lt" record -q -o "$out/$b.db" -- "$prog")"
  done
done
dispatches=220000
printf '| | program CPU s | us/dispatch | total CPU s (with import) | ratio |\n| --- | --- | --- | --- | --- |\n'
p=$(median ${prog_cpu[plain]}); t=$(median ${total[plain]})
printf '| plain | %s | | %s | 1 |\n' "$p" "$t"
for b in "${builds[@]}"; do
  pc=$(median ${prog_cpu[$b]}); tc=$(median ${total[$b]})
  per=$(awk -v a="$pc" -v b="$p" -v n=$dispatches 'BEGIN {printf "%.2f", (a - b) * 1e6 / n}')
  printf '| record (%s) | %s | %s | %s | %s |\n' "$b" "$pc" "$per" "$tc" "$(ratio "$tc" "$t")"
done
rm -rf "$out" "$(dirname "$prog")"
