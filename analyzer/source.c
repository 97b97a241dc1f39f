/*
 * source.c — function definitions in a source file, by name.
 */
#include "source.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SOURCE_BYTES (8 << 20)

static int ident_char(int c) { return isalnum(c) || c == '_' || c == '$'; }

/* Does `p` (at an occurrence of name, of length n) start a definition? */
static int defines(const char *line, const char *p, size_t n)
{
	if (p > line && ident_char((unsigned char)p[-1]))
		return 0;
	if (ident_char((unsigned char)p[n]))
		return 0;
	const char *before = p;
	while (before > line && isspace((unsigned char)before[-1]))
		before--;
	/* function name( / function* name( / async function name( */
	if (before > line && before[-1] == '*')
		before--;
	if (before - line >= 8 && !strncmp(before - 8, "function", 8))
		return 1;
	const char *after = p + n;
	while (isspace((unsigned char)*after))
		after++;
	/* name = function / name = async (...) => / name: function */
	if (*after == '=' || *after == ':') {
		if (after[1] == '=' || after[1] == '>')
			return 0;
		after++;
		while (isspace((unsigned char)*after))
			after++;
		return !strncmp(after, "function", 8) || !strncmp(after, "async", 5) || *after == '(' ||
		       ident_char((unsigned char)*after);
	}
	/* method: name(...) { at the start of the line */
	if (*after == '(' && before == line) {
		const char *close = strchr(after, ')');
		if (!close)
			return 0;
		close++;
		while (isspace((unsigned char)*close))
			close++;
		return *close == '{';
	}
	return 0;
}

int lt_source_definition(const char *file, const char *name, int64_t near_line, int64_t *line,
			 int64_t *column)
{
	size_t n = name ? strlen(name) : 0;
	if (!file || !n || n > 200)
		return -ENOENT;
	FILE *f = fopen(file, "r");
	if (!f)
		return -ENOENT;
	char buf[8192];
	int64_t no = 0, first = 0, first_col = 0, best = 0, best_col = 0;
	size_t total = 0;
	while (fgets(buf, sizeof(buf), f) && total < MAX_SOURCE_BYTES) {
		total += strlen(buf);
		no++;
		if (near_line > 0 && no > near_line && first)
			break;
		for (const char *p = strstr(buf, name); p; p = strstr(p + 1, name)) {
			if (!defines(buf, p, n))
				continue;
			if (!first) {
				first = no;
				first_col = p - buf + 1;
			}
			if (near_line > 0 && no <= near_line) { /* the last one before near_line */
				best = no;
				best_col = p - buf + 1;
			}
			break;
		}
	}
	if (!best) {
		best = first;
		best_col = first_col;
	}
	fclose(f);
	if (!best)
		return -ENOENT;
	*line = best;
	*column = best_col;
	return 0;
}

int lt_source_path(const char *file, char *out, size_t cap)
{
	const char *p = file;
	if (!strncmp(p, "file://", 7))
		p += 7;
	size_t n = 0;
	for (; *p; p++) {
		int c = (unsigned char)*p;
		if (!strncmp(file, "file://", 7) && c == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hex[3] = {p[1], p[2], 0};
			c = (int)strtol(hex, NULL, 16);
			p += 2;
		}
		if (c == 0 || n + 1 >= cap)
			return -ENOENT;
		out[n++] = (char)c;
	}
	out[n] = 0;
	return n ? 0 : -ENOENT;
}

static int is_program_source(const char *path)
{
	static const char *const exts[] = {".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"};
	const char *dot = strrchr(path, '.');
	if (!dot || strchr(dot, '/'))
		return 0;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (!strcmp(dot, exts[i]))
			return 1;
	return 0;
}

int lt_source_lines(const char *file, int64_t first, int64_t last, lt_source_line_fn fn, void *ctx)
{
	char path[4096];
	struct stat st;
	if (!file || first < 1 || last < first || lt_source_path(file, path, sizeof(path)) != 0 ||
	    !is_program_source(path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -ENOENT;
	FILE *f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	char buf[LT_SOURCE_LINE_MAX + 1];
	int64_t no = 1;
	int given = 0, at_line_start = 1;
	size_t total = 0;
	while (no <= last && total < MAX_SOURCE_BYTES && fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);
		total += len;
		int complete = len > 0 && buf[len - 1] == '\n';
		if (complete)
			buf[--len] = 0;
		if (at_line_start && no >= first) {
			given++;
			if (fn(ctx, no, buf, len))
				break;
		}
		/* the rest of an overlong line is skipped */
		at_line_start = complete;
		if (complete)
			no++;
	}
	fclose(f);
	return given ? given : -ENOENT;
}
