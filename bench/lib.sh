# Shared helpers for the benchmark scripts (sourced).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
looptrace=${LOOPTRACE:-$root/build/looptrace}
[ -x "$looptrace" ] || { echo "build looptrace first (scripts/setup.sh)" >&2; exit 2; }

# median of the numbers given as arguments
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
