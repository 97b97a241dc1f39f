/*
 * source.h — looking into the traced program's own source files (when they
 * are still readable) to place a named function.
 */
#ifndef LOOPTRACE_SOURCE_H
#define LOOPTRACE_SOURCE_H

#include <stdint.h>

/* Find where function `name` is defined in `file` — `function name(`,
 * `name = function`, `name = (...) =>`, `name(...) {` as a method — closest
 * before `near_line` when several match (0: the first).  Returns 0 with a
 * 1-based line and column, -ENOENT when not found or the file is unreadable. */
int lt_source_definition(const char *file, const char *name, int64_t near_line, int64_t *line,
			 int64_t *column);

#endif
