/*
 * lesson_data.h — what a lesson page shows, read from a trace: the
 * program's steps in execution order (Node's silent housekeeping left out,
 * as in `replay`), each with its output, where it was scheduled and why it
 * ran then (analyzer/why.h), and the text of the program's own source files
 * the steps point into.
 *
 * Ownership: lt_lesson_load fills a struct lt_lesson that owns every string
 * and array in it; lt_lesson_free releases them (also after a failed load).
 * Errors: 0 or -errno with a one-line reason in err.
 */
#ifndef LOOPTRACE_LESSON_DATA_H
#define LOOPTRACE_LESSON_DATA_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "../analyzer/why.h"

#define LT_LESSON_MAX_STEPS 20000
#define LT_LESSON_MAX_SOURCES 8
#define LT_LESSON_MAX_LINES 5000

struct lt_lesson_step {
	struct lt_why_step why; /* its strings point into the fields below */
	char *queue, *type, *callback, *phase;
	char *file, *function; /* where it was scheduled; file NULL when unknown */
	int64_t line, column, depth;
	double t_ms;            /* from the trace's start */
	char *out, *err;        /* what it wrote to stdout / stderr, NUL-terminated */
	size_t out_len, err_len;
	char *because;          /* the "why now" sentence */
	const char *concept;    /* its glossary anchor (static) */
};

struct lt_lesson_source {
	char *file;
	char **lines;
	size_t n;
};

struct lt_lesson {
	struct lt_lesson_step *steps;
	size_t n, cap;
	struct lt_lesson_source sources[LT_LESSON_MAX_SOURCES];
	size_t n_sources;
	size_t hidden;   /* housekeeping steps left out */
	int truncated;   /* max_steps cut the list */
};

/* Read the steps of db (at most max_steps) and the source files they point
 * into; main_file (may be NULL) is read first, whether or not a step points
 * into it.  Only readable regular JavaScript/TypeScript files are read
 * (analyzer/source.h). */
int lt_lesson_load(sqlite3 *db, const char *main_file, size_t max_steps, struct lt_lesson *l, char *err,
		   size_t errlen);

/* The index in l->sources of file, or -1. */
int lt_lesson_source_index(const struct lt_lesson *l, const char *file);

void lt_lesson_free(struct lt_lesson *l);

#endif
