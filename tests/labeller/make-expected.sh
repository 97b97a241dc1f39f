#!/usr/bin/env bash
# Regenerate examples/puzzles/*.expected with the independent labeller
# (tests/labeller/label.js), and check every puzzle on the way:
#   - it exits 0 within 1 s and prints nothing on stderr;
#   - it prints exactly the same stdout on 10 plain runs;
#   - under the labeller it prints the same stdout as plain, the labeller
#     complains about nothing, and every output line gets one of the seven
#     queues (main nextTick microtask timer immediate io close).
# An .expected file is only replaced when its puzzle passes all checks.
# Usage: make-expected.sh [PUZZLE.js...]   (default: all of them)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
labeller="$here/label.js"
cd "$here/../../examples/puzzles" || exit 1
runs=10
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
fail() { echo "$p: $*" >&2; bad=1; status=1; }

[ $# -gt 0 ] || set -- [0-9]*.js
for p in "$@"; do
  p=$(basename "$p")
  bad=0
  timeout 1 node "$p" >"$tmp/plain" 2>"$tmp/err"; rc=$?
  [ $rc -eq 0 ] || fail "exit status $rc (124: did not finish within 1 s)"
  [ -s "$tmp/err" ] && fail "wrote on stderr: $(head -c 300 "$tmp/err")"
  for ((i = 2; i <= runs; i++)); do
    timeout 1 node "$p" >"$tmp/again" 2>/dev/null || { fail "run $i failed or took over 1 s"; break; }
    cmp -s "$tmp/plain" "$tmp/again" || { fail "output of run $i differs from run 1"; break; }
  done
  LABEL_OUT="$tmp/labels" timeout 10 node --require "$labeller" "$p" >"$tmp/labelled" 2>"$tmp/lerr" ||
    fail "failed under the labeller"
  [ -s "$tmp/lerr" ] && fail "labeller: $(head -c 300 "$tmp/lerr")"
  cmp -s "$tmp/plain" "$tmp/labelled" || fail "the labeller changed the output"
  if [ -f "$tmp/labels" ]; then
    cut -f2- "$tmp/labels" | cmp -s - "$tmp/plain" || fail "labels do not cover the output line for line"
    bogus=$(cut -f1 "$tmp/labels" | grep -Evx 'main|nextTick|microtask|timer|immediate|io|close' | sort -u | tr '\n' ' ')
    [ -z "$bogus" ] || fail "lines without a queue: $bogus"
  else
    fail "the labeller wrote no labels"
  fi
  if [ $bad -eq 0 ]; then
    cp "$tmp/labels" "${p%.js}.expected"
  fi
  rm -f "$tmp/labels"
done
exit $status
