/*
 * source.h — looking into the traced program's own source files (when they
 * are still readable) to place a named function.
 */
#ifndef LOOPTRACE_SOURCE_H
#define LOOPTRACE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

/* Find where function `name` is defined in `file` — `function name(`,
 * `name = function`, `name = (...) =>`, `name(...) {` as a method — closest
 * before `near_line` when several match (0: the first).  Returns 0 with a
 * 1-based line and column, -ENOENT when not found or the file is unreadable. */
int lt_source_definition(const char *file, const char *name, int64_t near_line, int64_t *line,
			 int64_t *column);

/* The path a trace's file name stands for: "file:///a%20b.js" -> "/a b.js";
 * a plain path is copied.  Returns 0, or -ENOENT (empty, a NUL escape, or
 * longer than cap). */
int lt_source_path(const char *file, char *out, size_t cap);

/* Called for each line of an excerpt: its 1-based number and its text
 * (without the newline, at most LT_SOURCE_LINE_MAX bytes).  Return nonzero
 * to stop. */
#define LT_SOURCE_LINE_MAX 400
typedef int (*lt_source_line_fn)(void *ctx, int64_t no, const char *text, size_t len);

/* Lines first..last of a program's source file, for code context in a
 * report.  A trace names the file, so only a readable regular file whose
 * name ends in a JavaScript or TypeScript extension (.js .mjs .cjs .jsx .ts
 * .mts .cts .tsx) is read; a file:// URL is accepted.  Returns the number of
 * lines passed to fn, or -ENOENT (unreadable, not such a file, or no such
 * line). */
int lt_source_lines(const char *file, int64_t first, int64_t last, lt_source_line_fn fn, void *ctx);

#endif
