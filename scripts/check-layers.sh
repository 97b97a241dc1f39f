#!/usr/bin/env bash
# check-layers.sh [SOURCE_DIR] — fail when an #include climbs up the layers.
#
# The layers, top to bottom (DEVELOPING.md, "Layers"):
#
#   cmds/  ->  recorder/  ->  reports/  ->  analyzer/  ->  probes/
#
# A file may include its own folder and any folder below it, never one
# above.  cli/ (exit statuses, the one-line error format, the version) sits
# beside the stack: cmds/ and recorder/ may include it, it includes nothing
# of ours, and analyzer/, reports/ and probes/ return their errors instead of
# printing them.  looptrace.c (main) may include anything.
#
# Each #include "..." is resolved against the including file's folder, then
# the source root (the include path the build uses); one that resolves to
# neither is generated at build time (loop.skel.h, vmlinux.h) and skipped.
# Also fails when reports/ opens a trace itself, and when recorder/ or
# analyzer/ print (stdout, stderr, lt_cli_error, printf, puts, perror):
# they return errors and hand messages up (recorder/notice.h); a line that
# must print anyway (a library's own debug hook) says so with the comment
# "layers: may print".
# Prints one line per climbing include (file:line: include "x" climbs from A
# to B) and exits 1 if there is any, 0 otherwise.
set -euo pipefail

# --self-test: the check must fail on a tree with a climbing include and a
# report that opens a trace, and pass on one without.
if [ "${1:-}" = --self-test ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/analyzer" "$tmp/reports" "$tmp/cmds"
	printf '#include "../analyzer/a.h"\n' >"$tmp/reports/r.c"
	printf '#include "../reports/r.h"\n#include "../analyzer/a.h"\n' >"$tmp/cmds/c.c"
	touch "$tmp/analyzer/a.h" "$tmp/reports/r.h"
	"$0" "$tmp" >/dev/null || { echo "self-test: a clean tree was refused" >&2; exit 1; }
	printf '#include "../reports/r.h"\n' >"$tmp/analyzer/a.c"
	if "$0" "$tmp" 2>/dev/null; then echo "self-test: analyzer -> reports passed" >&2; exit 1; fi
	rm "$tmp/analyzer/a.c"
	printf 'int f(void) { return lt_store_open("t.db", 0, 0, 0); }\n' >"$tmp/reports/open.c"
	if "$0" "$tmp" 2>/dev/null; then echo "self-test: reports opening a trace passed" >&2; exit 1; fi
	rm "$tmp/reports/open.c"
	mkdir -p "$tmp/recorder"
	printf 'void f(void) { fprintf(stderr, "x\\n"); }\n' >"$tmp/recorder/say.c"
	if "$0" "$tmp" 2>/dev/null; then echo "self-test: recorder printing passed" >&2; exit 1; fi
	printf 'void f(void) { fprintf(stderr, "x\\n"); /* layers: may print */ }\n' >"$tmp/recorder/say.c"
	"$0" "$tmp" >/dev/null || { echo "self-test: a marked print was refused" >&2; exit 1; }
	echo "check-layers: self-test passed"
	exit 0
fi

root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cd "$root"

# The rank of a layer: a file may include ranks at or below its own.
declare -A rank=([cmds]=5 [recorder]=4 [reports]=3 [analyzer]=2 [probes]=1)

# REPLY = path with . and .. folded (no file system access).
normalize() {
	local IFS=/ part
	local -a parts out=()
	read -ra parts <<<"$1"
	for part in "${parts[@]}"; do
		case "$part" in
		'' | .) ;;
		..) [ ${#out[@]} -gt 0 ] && unset 'out[${#out[@]}-1]' ;;
		*) out+=("$part") ;;
		esac
	done
	REPLY="${out[*]}"
}

# Who may include cli/.
cli_allowed() {
	case "$1" in
	cmds | recorder | cli) return 0 ;;
	*) return 1 ;;
	esac
}

violations=0
checked=0
while IFS= read -r -d '' file; do
	from=${file%%/*}
	dir=$(dirname "$file")
	while IFS=: read -r line target; do
		if [ -f "$dir/$target" ]; then
			normalize "$dir/$target"
		elif [ -f "$target" ]; then
			normalize "$target"
		else
			continue # generated at build time
		fi
		resolved=$REPLY
		checked=$((checked + 1))
		to=${resolved%%/*}
		[ "$to" = "$from" ] && continue
		ok=1
		if [ "$to" = cli ]; then
			cli_allowed "$from" || ok=0
		elif [ "$from" = cli ]; then
			ok=0
		elif [ -z "${rank[$to]:-}" ] || [ "${rank[$from]:-0}" -lt "${rank[$to]}" ]; then
			ok=0
		fi
		if [ "$ok" = 0 ]; then
			echo "$file:$line: include \"$target\" climbs from $from/ to $to/" >&2
			violations=$((violations + 1))
		fi
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
		sed -E 's/^([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1:\2/')
done < <(find cmds recorder reports analyzer probes cli -type f \( -name '*.c' -o -name '*.h' \) -print0 2>/dev/null)

# reports/ renders what it is given (analysis results, or a handle the
# command opened): it never opens a trace itself.
while IFS= read -r hit; do
	echo "$hit: reports/ opens a trace (the command opens it and passes the handle)" >&2
	violations=$((violations + 1))
done < <(grep -nE '\b(lt_store_open|sqlite3_open[a-z0-9_]*)[[:space:]]*\(' reports/*.c reports/*.h 2>/dev/null |
	cut -d: -f1,2)

# Nothing below cmds/ prints: recorder/ and analyzer/ return errors and
# hand their messages up as text.
while IFS= read -r hit; do
	echo "$hit: prints (return the error or hand the text up: recorder/notice.h)" >&2
	violations=$((violations + 1))
done < <(awk '
	/layers: may print/ { next }
	{
		code = $0
		gsub(/\/\*.*\*\//, "", code)   # comments on the line
		sub(/\/\/.*$/, "", code)
		if (code ~ /^[[:space:]]*\*/) next  # inside a block comment
		if (code ~ /(^|[^a-z_])(stderr|stdout)([^a-z_0-9]|$)/ ||
		    code ~ /(^|[^a-z_])(lt_cli_error|printf|puts|perror)[[:space:]]*\(/)
			print FILENAME ":" FNR
	}' recorder/*.c recorder/*.h analyzer/*.c analyzer/*.h 2>/dev/null)

if [ "$violations" -gt 0 ]; then
	echo "check-layers: $violations layer violation(s) (see DEVELOPING.md, \"Layers\")" >&2
	exit 1
fi
echo "check-layers: $checked includes, none climbs up"
