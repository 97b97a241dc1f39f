#!/usr/bin/env bash
# Set everything up and run the whole test suite: cmocka unit tests and
# integration tests that record real node programs (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
