#!/usr/bin/env bash
# All overhead benchmarks, one after the other.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/overhead-promise.sh"
echo
TURNS=0 "$here/overhead-http.sh"
echo
TURNS=4 "$here/overhead-http.sh"
echo
"$here/analyze-large.sh"
