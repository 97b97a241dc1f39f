#!/usr/bin/env bash
# Same output, two binaries: a speed-up of the readers must not change a
# byte.  Records, once, every program of the example corpus (the defects,
# the puzzles, the lessons and the demo; cached under bench/out/corpus/,
# FRESH=1 records again), then runs `report` (text, json, html), and `graph`
# (timeline and causality views as DOT) with the binary BEFORE and the binary
# AFTER (default build/looptrace) on each trace, and on the big trace of
# bench/bigtrace.sh when it is there (BIG=0 skips it), and compares.
#   BEFORE=/tmp/looptrace-old bench/same-output.sh
# The HTML page's CSP nonce is random per report and is blanked before the
# comparison.  The order view is left out: Graphviz orders its clusters by
# heap addresses (DEVELOPING.md, "Big traces").  Prints one line per
# difference and a count; exit status 1 when anything differs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
before=${BEFORE:?"BEFORE=path of the looptrace binary to compare against"}
after=${AFTER:-$looptrace}
out=${OUT:-$here/out}
corpus="$out/corpus"
mkdir -p "$corpus"
[ -f "$out/.gitignore" ] || echo '*' > "$out/.gitignore"
work=$(mktemp -d "${TMPDIR:-/tmp}/looptrace-same.XXXXXX")
trap 'rm -rf "$work"' EXIT

# record NAME DURATION NODE_ARGS... -- FILE
record() {
  local name=$1 duration=$2
  shift 2
  local db="$corpus/$name.db"
  [ "${FRESH:-0}" != 1 ] && [ -f "$db" ] && return 0
  rm -f "$db"
  (cd "$root/examples/defects" && timeout 60 "$after" record -q -d "$duration" -o "$db" -- node "$@") \
    > /dev/null 2>&1 || true
  [ -f "$db" ] || echo "warning: $name was not recorded" >&2
}

# The defects with their node arguments and durations (expected.json).
while IFS=$'\t' read -r program duration args; do
  # shellcheck disable=SC2086
  record "defects-$(echo "$program" | tr '/' '-' | sed 's/\.js$//')" "$duration" $args "$program"
done < <(node -e '
  const e = require(process.argv[1]);
  for (const x of e) console.log([x.program, x.duration || 10, x.node_args.join(" ")].join("\t"));
' "$root/examples/defects/expected.json")
for f in "$root"/examples/puzzles/*.js "$root"/examples/lessons/*.js "$root"/examples/demo/*.js; do
  name="$(basename "$(dirname "$f")")-$(basename "$f" .js)"
  record "$name" 10 "$f"
done

traces=("$corpus"/*.db)
if [ "${BIG:-1}" = 1 ] && [ -f "$out/big.db" ]; then traces+=("$out/big.db"); fi

# outputs BIN TRACE DIR: every compared output of BIN on TRACE into DIR.
outputs() {
  local bin=$1 trace=$2 dir=$3
  mkdir -p "$dir"
  "$bin" report -o "$dir/report.txt" "$trace" > /dev/null 2>&1 || echo "exit $?" > "$dir/report.txt.status"
  "$bin" report -f json -o "$dir/report.json" "$trace" > /dev/null 2>&1 || echo "exit $?" > "$dir/report.json.status"
  "$bin" report -f html -o "$dir/report.html" "$trace" > /dev/null 2>&1 || echo "exit $?" > "$dir/report.html.status"
  [ -f "$dir/report.html" ] && sed -i -E "s/nonce-[0-9a-f]+/nonce-X/g; s/nonce=\"[0-9a-f]+\"/nonce=\"X\"/g" "$dir/report.html"
  for view in timeline causality; do
    "$bin" graph --view "$view" -f dot -o "$dir/$view.dot" "$trace" > /dev/null 2>&1 ||
      echo "exit $?" > "$dir/$view.dot.status"
  done
}

differ=0
for trace in "${traces[@]}"; do
  name=$(basename "$trace" .db)
  outputs "$before" "$trace" "$work/before/$name"
  outputs "$after" "$trace" "$work/after/$name"
  if ! diff -rq "$work/before/$name" "$work/after/$name" > "$work/diff" 2>&1; then
    differ=$((differ + 1))
    sed "s|$work/||g; s|^|$name: |" "$work/diff"
  fi
  rm -rf "$work/before/$name" "$work/after/$name"
done
echo "${#traces[@]} traces compared (report text/json/html, graph timeline/causality DOT): $differ differ"
[ "$differ" -eq 0 ]
