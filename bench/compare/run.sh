#!/usr/bin/env bash
# Install the compared tools (npm) if missing, then run the comparison.
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules/why-is-node-running ] && [ -d node_modules/blocked-at ] || npm install --no-audit --no-fund --no-package-lock
node run.js
