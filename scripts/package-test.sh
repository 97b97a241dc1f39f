#!/usr/bin/env bash
# package-test.sh [BUILD_DIR] — build both packages (scripts/package.sh) and
# use them as a user would, away from the source tree:
#   1. the .deb installed with apt (its Depends resolved from Debian), the
#      demo recorded, reported and graphed with /usr/bin/looptrace, which
#      must load its probes from /usr/lib/looptrace; then purged again
#      (unless looptrace was installed before).  Needs root; skipped
#      otherwise, saying so.
#   2. the npm tarball installed with `npm i -g --prefix` into an empty
#      prefix, and with `npm i` into an empty project, the demo run through
#      `PREFIX/bin/looptrace` and `npx looptrace`.
# Exit status 1 when a step fails, with the step named.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
version=$(sed -n 's/^project(looptrace VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
"$root/scripts/package.sh" "$build"
work=$(mktemp -d /tmp/looptrace-package-test.XXXXXX)
installed_deb=0
cleanup() {
  if [ "$installed_deb" = 1 ]; then dpkg -P looptrace >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cp "$root/examples/demo/tour.js" "$work/tour.js"

fail() { echo "package-test: FAILED: $*" >&2; exit 1; }

# demo LOOPTRACE DIR: record, report, graph the demo with that binary;
# checks the probes were the ones installed beside it.
demo() {
  local lt=$1 dir=$2
  mkdir -p "$dir"
  (cd "$dir" && env -u LOOPTRACE_LIBDIR "$lt" record -q -o demo.db -- node "$work/tour.js" >/dev/null) ||
    fail "$lt record"
  local events sampling
  events=$(sqlite3 "$dir/demo.db" "SELECT value FROM meta WHERE key = 'events'")
  sampling=$(sqlite3 "$dir/demo.db" "SELECT value FROM meta WHERE key = 'in_dispatch_samples'")
  [ "${events:-0}" -gt 100 ] || fail "$lt record: only '${events}' events"
  [ "$sampling" = on ] || fail "$lt record: in-dispatch sampling '$sampling' (the watchdog module was not found)"
  "$lt" report "$dir/demo.db" > "$dir/report.txt" || fail "$lt report"
  grep -q "Metrics" "$dir/report.txt" || fail "$lt report: no metrics in $(head -3 "$dir/report.txt")"
  "$lt" graph --view order --format svg -o "$dir/order.svg" "$dir/demo.db" || fail "$lt graph"
  grep -q "<svg" "$dir/order.svg" || fail "$lt graph: not an SVG"
  echo "package-test: $lt recorded $events events, reported and graphed the demo"
}

# 1. the Debian package
deb=$build/looptrace_${version}_amd64.deb
if [ "$(id -u)" != 0 ]; then
  echo "package-test: skipped the .deb (installing it needs root)"
elif [ "$(dpkg-query -W -f='${db:Status-Status}' looptrace 2>/dev/null)" = installed ]; then
  echo "package-test: skipped the .deb (a looptrace package is installed already; not touching it)"
else
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null ||
    fail "apt-get install $deb"
  installed_deb=1
  for f in /usr/bin/looptrace /usr/lib/looptrace/agent.js /usr/lib/looptrace/liblooptrace-preload.so \
           /usr/share/man/man1/looptrace-report.1 /usr/share/man/man1/looptrace-diff.1; do
    [ -f "$f" ] || fail ".deb: $f is missing"
  done
  deps=$(dpkg-deb -f "$deb" Depends)
  for lib in libsqlite3-0 libgvc6 zlib1g; do
    [[ "$deps" == *"$lib"* ]] || fail ".deb: Depends lacks $lib ($deps)"
  done
  demo /usr/bin/looptrace "$work/deb"
  dpkg -P looptrace >/dev/null || fail "dpkg -P looptrace"
  installed_deb=0
  [ ! -e /usr/bin/looptrace ] || fail "dpkg -P left /usr/bin/looptrace"
fi

# 2. the npm package
tgz=$build/npm/looptrace-$version.tgz
(cd "$work" && npm install -g --prefix "$work/prefix" --no-audit --no-fund --loglevel=error "$tgz" >/dev/null) ||
  fail "npm install -g $tgz"
demo "$work/prefix/bin/looptrace" "$work/npm-global"
mkdir -p "$work/project"
(cd "$work/project" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "$tgz" >/dev/null) ||
  fail "npm install $tgz into a project"
(cd "$work/project" && npx --no-install looptrace record -q -o npx.db -- node "$work/tour.js" >/dev/null) ||
  fail "npx looptrace record"
[ -s "$work/project/npx.db" ] || fail "npx looptrace record wrote no trace"
echo "package-test: npx looptrace recorded the demo in a project"
echo "package-test: ok"
