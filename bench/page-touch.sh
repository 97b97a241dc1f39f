#!/usr/bin/env bash
# What the first write to memory costs on this machine against the second:
# the cost of a capture ring's first pass (a 32 MiB ring per traced thread
# on tmpfs, probes/preload/capture.c), which a short, event-heavy program
# (the promise microbench writes 88 MB) pays in full and a long-running
# service once.  Compiles bench/c/page_touch.c and runs it ROUNDS times
# (default 3) on MIB (32) MiB in DIR (/dev/shm).
#   bench/page-touch.sh [MIB] [DIR]
# Reports only: the exit status says whether it could run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mib=${1:-32}
dir=${2:-/dev/shm}
rounds=${ROUNDS:-3}
command -v cc >/dev/null || { echo "a C compiler is needed (cc)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-bench-touch.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -pthread -o "$work/page_touch" "$here/c/page_touch.c"
echo "first and second write passes over $mib MiB, $rounds rounds, $(nproc) cores, kernel $(uname -r), load: $(uptime | sed 's/.*load average: //')"
for r in $(seq "$rounds"); do
  echo "round $r"
  "$work/page_touch" "$mib" "$dir" | sed 's/^/  /'
done
