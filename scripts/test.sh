#!/usr/bin/env bash
# Set everything up and run the whole test suite: cmocka unit tests and
# integration tests that record real node programs (ctest), then the fuzz
# harnesses (scripts/fuzz.sh).  Tests that cannot
# run on this machine (the eBPF ones without root or kernel BTF) are reported
# as skipped, with their reason printed after the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
status=0
ctest --output-on-failure -j"$(nproc)" "$@" || status=$?
if [ -f Testing/Temporary/LastTest.log ]; then
  grep -ho "[A-Za-z]* tests skipped: .*" Testing/Temporary/LastTest.log | sort -u | sed 's/^/test.sh: /' || true
fi
# The fuzz harnesses (tests/fuzz) under ASan+UBSan: every committed input
# replayed, then a short fuzzing run each (LOOPTRACE_FUZZ_SECONDS, default
# 60; 0 replays only).
cd ..
scripts/fuzz.sh "${LOOPTRACE_FUZZ_SECONDS:-60}" || status=1
exit "$status"
