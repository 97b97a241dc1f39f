#!/usr/bin/env bash
# Regenerate examples/puzzles/*.expected with the independent labeller, and
# check that each puzzle prints the same with and without the labeller and
# the same on every run (5 runs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../examples/puzzles"
status=0
for p in [0-9]*.js; do
  plain=$(node "$p")
  for i in 1 2 3 4; do
    [ "$(node "$p")" = "$plain" ] || { echo "$p: output differs between runs" >&2; status=1; }
  done
  labelled=$(LABEL_OUT="${p%.js}.expected" node --require "$here/label.js" "$p")
  [ "$labelled" = "$plain" ] || { echo "$p: the labeller changed the output" >&2; status=1; }
  cut -f2- "${p%.js}.expected" | diff -q - <(printf '%s\n' "$plain") >/dev/null ||
    { echo "$p: labels do not cover the output" >&2; status=1; }
done
exit $status
