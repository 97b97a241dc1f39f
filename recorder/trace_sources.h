/*
 * trace_sources.h — keeping the traced program's own source files inside its
 * trace (table `sources(file TEXT PRIMARY KEY, text TEXT)`, optional: a
 * trace without it is complete), so that a lesson page or `replay --step`
 * made later, elsewhere, still shows the code.
 *
 * Which files: main_file (may be NULL) and the files of the trace's stacks
 * that are the program's (not node:, not under node_modules/), at most
 * LT_TRACE_SOURCES_MAX, each under its path (an ES module's file:// URL
 * decoded), each a readable regular JavaScript/TypeScript file
 * (analyzer/source.h rules) of at most LT_TRACE_SOURCE_BYTES.
 *
 * Errors: 0 or -errno with a one-line reason in err.
 */
#ifndef LOOPTRACE_TRACE_SOURCES_H
#define LOOPTRACE_TRACE_SOURCES_H

#include <stddef.h>

#define LT_TRACE_SOURCES_MAX 8
#define LT_TRACE_SOURCE_BYTES (1 << 20)

/* Add the sources to the trace file at path (written by the recorder, a
 * regular file; a symbolic link is refused). */
int lt_trace_add_sources(const char *path, const char *main_file, char *err, size_t errlen);

#endif
