#!/usr/bin/env bash
# Install what looptrace needs on Debian 12 (only what is missing) and build
# it into build/.  Safe to run again: a second run installs nothing and only
# rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: build tools, SQLite, cmocka, Graphviz, libbpf/bpftool and
# clang (eBPF probes) with its sanitizer and libFuzzer runtimes (tests/fuzz;
# only recommended by clang, so named), sqlite3 (tests read traces with it),
# wrk and time (benchmarks).
packages=(build-essential cmake pkg-config libsqlite3-dev sqlite3 libcmocka-dev
          libgraphviz-dev libbpf-dev bpftool clang libclang-rt-14-dev wrk time zlib1g-dev)
# Node.js with its headers (node_api.h): the machine's Node 20 ships them;
# elsewhere Debian's nodejs + libnode-dev provide both.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
[ -f /usr/include/node/node_api.h ] || packages+=(libnode-dev)
# The HTML report's browser test: Debian's Chromium, driven by playwright-core
# (from the npm registry, below).
packages+=(chromium)
# Programs on the shared libuv (tests/integration/libuv.test.js builds
# examples/c against libuv1-dev) and their native frames resolved from DWARF
# at import (libdw-dev, elfutils); sys/sdt.h for the probe API's USDT macros.
packages+=(libuv1-dev libdw-dev systemtap-sdt-dev)
# Real programs on the shared libuv for the same test: uvloop and neovim.
packages+=(python3-uvloop neovim)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# playwright-core for tests/integration/html-report.test.js (pinned in
# tests/browser/package.json; no lock file is kept).
if [ ! -f tests/browser/node_modules/playwright-core/package.json ]; then
  echo "setup: installing playwright-core into tests/browser"
  (cd tests/browser && npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null)
fi

# npm ci into DIR when its node_modules is missing or was installed from
# another package-lock.json (a copy of the lock file is the stamp).
npm_ci_cached() {
  local dir=$1 stamp=$1/node_modules/.looptrace-installed-lock
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then return 0; fi
  echo "setup: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$dir/package-lock.json" "$stamp"
}

# The Node releases the tests run on (22, 24, 26: binaries and headers, as
# npm packages pinned in tests/node-versions), before the build: per-ABI
# parts are built against their headers.
if [ "$(uname -m)" = x86_64 ]; then
  npm_ci_cached tests/node-versions
else
  echo "setup: tests/node-versions holds x64 Linux builds only: the corpus tests run on the system node alone"
fi
# The application corpus (express, fastify, axios, prettier, piscina),
# pinned in examples/apps/package-lock.json.
npm_ci_cached examples/apps
# The SARIF validators (ajv, Microsoft's SARIF multitool and its 2.1.0
# schema), pinned in tests/sarif/package-lock.json.
npm_ci_cached tests/sarif

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: build/looptrace is ready"
