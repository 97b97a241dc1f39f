#!/usr/bin/env bash
# make-trace-seeds.sh [LOOPTRACE] — regenerate corpus/trace/: records a few
# small programs (the demo tour, defects, fixtures) and keeps each trace,
# trimmed to its first dispatches and VACUUMed to 512-byte pages, under
# 64 KiB, as one seed.  Run after a schema change (LT_STORE_VERSION): the
# seeds of an older schema are refused at open and cover nothing else.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
looptrace=${1:-${LOOPTRACE:-$root/build/looptrace}}
out=$root/tests/fuzz/corpus/trace
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-trace-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT
programs=(
  examples/demo/tour.js
  examples/defects/blocking-task/01-cpu-loop-in-timer.js
  examples/defects/blocking-task/06-execsync-in-nexttick.js
  examples/defects/sequential-await/01-read-files-in-loop.js
  tests/fixtures/family.js
  tests/fixtures/unhandled-rejection.js
  tests/fixtures/crash-in-timer.js
  tests/fixtures/output-mix.js
)
# keep_seed NAME: trim $work/NAME.db and keep it as a seed when small enough.
keep_seed() {
  local name=$1
  sqlite3 "$work/$name.db" "DELETE FROM dispatches WHERE seq > 150; DELETE FROM promises WHERE id > 200;
    DELETE FROM resources WHERE id > 100; DELETE FROM iterations WHERE n > 40;
    DELETE FROM output WHERE id NOT IN (SELECT id FROM output ORDER BY id LIMIT 40);
    UPDATE output SET text = substr(text, 1, 200); DELETE FROM stacks WHERE stack_id > 60;
    PRAGMA page_size=512; VACUUM;"
  size=$(stat -c %s "$work/$name.db")
  if [ "$size" -gt 65536 ]; then
    echo "make-trace-seeds: $name is $size bytes, left out" >&2
    return
  fi
  cp "$work/$name.db" "$out/$name.db"
  chmod 644 "$out/$name.db"
}

rm -f "$out"/*.db
for p in "${programs[@]}"; do
  name=$(basename "$p" .js)
  (cd "$(dirname "$root/$p")" && timeout 60 "$looptrace" record -q -o "$work/$name.db" -- node "$(basename "$p")" \
     >/dev/null 2>&1) || true
  [ -f "$work/$name.db" ] || { echo "make-trace-seeds: $p left no trace" >&2; continue; }
  keep_seed "$name"
done
# A lesson's trace: every promise located, the program's source in table sources.
lesson=examples/lessons/08-thenable-adoption.js
if timeout 60 "$looptrace" lesson --trace "$work/lesson.db" -o "$work/lesson.html" "$root/$lesson" >/dev/null 2>&1; then
  keep_seed lesson
else
  echo "make-trace-seeds: $lesson left no trace" >&2
fi
ls -l "$out"
