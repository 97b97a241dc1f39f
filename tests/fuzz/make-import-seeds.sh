#!/usr/bin/env bash
# make-import-seeds.sh [LOOPTRACE] — regenerate corpus/import/: records a
# few small programs (examples/puzzles, tests/fixtures) with
# `looptrace record --keep-raw` and keeps each thread's capture file, cut
# at a record boundary to at most 60 KiB (header included), as one seed.
# Run after a wire format change (the seeds carry LT_WIRE_VERSION).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
looptrace=${1:-${LOOPTRACE:-$root/build/looptrace}}
out=$root/tests/fuzz/corpus/import
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT
programs=(
  examples/puzzles/02-nexttick-before-promise.js
  examples/puzzles/06-immediate-vs-timeout-in-io.js
  examples/puzzles/09-thenable.js
  examples/puzzles/11-readable-stream.js
  examples/puzzles/14-net-round-trip.js
  examples/puzzles/15-interval.js
  tests/fixtures/family.js
  tests/fixtures/unhandled-rejection.js
  tests/fixtures/late-handled.js
  tests/fixtures/output-mix.js
  tests/fixtures/crash-in-timer.js
)
rm -f "$out"/*.ltr
for p in "${programs[@]}"; do
  name=$(basename "$p" .js)
  (cd "$(dirname "$root/$p")" && "$looptrace" record -q --keep-raw -o "$work/$name.db" -- node "$(basename "$p")" \
     >/dev/null 2>&1) || true
  [ -d "$work/$name.db.raw" ] || { echo "no capture for $p" >&2; continue; }
  i=0
  for f in "$work/$name.db.raw"/*.ltr; do
    i=$((i + 1))
    python3 - "$f" "$out/$name-$i.ltr" <<'PY'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
header, body = data[:4096], data[4096:]
cursor = struct.unpack_from('<i', header, 16 * 4)[0]
limit = (60 * 1024 - 4096) // 4
pos = 0
words = min(max(cursor, 0), len(body) // 4)
while pos < words:
    h = struct.unpack_from('<I', body, pos * 4)[0]
    n = h >> 16
    if h == 0 or n == 0 or pos + n > limit:
        break
    pos += n
open(dst, 'wb').write(header[:16 * 4] + struct.pack('<i', pos) + header[17 * 4:] + body[:pos * 4])
PY
  done
done
ls -la "$out"
