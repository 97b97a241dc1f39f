#!/usr/bin/env bash
# package.sh [BUILD_DIR] — the two packages, from a built tree (default
# build/):
#   BUILD/looptrace_VERSION_amd64.deb   cpack: FHS paths under /usr, depends on
#                                       the Debian packages of its libraries
#   BUILD/npm/looptrace-VERSION.tgz     npm pack: the prebuilt linux-x64 binary
#                                       in bin/, its probes in lib/looptrace/
#                                       (found as ../lib/looptrace from the
#                                       binary's real path), the man pages
# The npm package needs the same shared libraries at run time as the .deb
# lists (libsqlite3-0, libgvc6, libcgraph6, libbpf1, libdw1, zlib1g on Debian 12).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
version=$(sed -n 's/^project(looptrace VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
[ -x "$build/looptrace" ] || { echo "package.sh: build first ($build/looptrace is missing)" >&2; exit 2; }

(cd "$build" && cpack -G DEB >/dev/null)
echo "package.sh: $build/looptrace_${version}_amd64.deb"

stage=$build/npm/stage
rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/lib" "$stage/man"
DESTDIR="$stage/install" cmake --install "$build" --prefix /usr >/dev/null
cp "$stage/install/usr/bin/looptrace" "$stage/bin/"
cp -r "$stage/install/usr/lib/looptrace" "$stage/lib/"
cp "$stage"/install/usr/share/man/man1/*.1 "$stage/man/"
cp "$root/README.md" "$stage/"
rm -rf "$stage/install"
man=$(cd "$stage" && ls man/*.1 | sed 's/.*/"&"/' | paste -sd, -)
sed -e "s/@VERSION@/$version/" -e "s|@MAN@|$man|" "$root/packaging/npm/package.json.in" > "$stage/package.json"
(cd "$stage" && npm pack --pack-destination "$build/npm" --loglevel=error >/dev/null)
echo "package.sh: $build/npm/looptrace-$version.tgz"
