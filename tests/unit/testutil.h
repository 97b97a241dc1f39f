/*
 * testutil.h — temporary directories, the shared trace fixture and SQLite
 * look-ups for unit tests.
 */
#ifndef LOOPTRACE_TESTUTIL_H
#define LOOPTRACE_TESTUTIL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/analysis.h"

/* A fresh directory under $TMPDIR (or /tmp); the path is static storage. */
const char *test_tmpdir(void);
/* Remove a directory and the files in it. */
void test_rmdir(const char *dir);
/* The state most unit tests share: a fresh temporary directory, the path
 * of a trace in it, and the trace once created or imported.  A test file's
 * struct fixture starts with it (member `t`). */
struct test_trace {
	char dir[4096];
	char db_path[8192]; /* dir/trace.db */
	sqlite3 *db;        /* NULL until the test opens one */
};

/* A cmocka set-up: zero the fixture f (size bytes, a struct test_trace
 * first), make its directory and hand it to the tests.  Returns 0. */
int test_trace_setup(void **state, void *f, size_t size);
/* Close the trace if one is open and remove the directory. */
void test_trace_teardown(struct test_trace *t);

/* A trace and its analysis: the detector tests' fixture. */
struct test_analysis {
	struct test_trace t;
	struct lt_analysis a;
	int analyzed; /* a holds an analysis to free */
};

/* cmocka set-up and tear-down of a (static) struct test_analysis. */
int test_analysis_setup(void **state);
int test_analysis_teardown(void **state);

/* First column of the first row of `sql` as an integer (-1 if no row). */
int64_t test_int(sqlite3 *db, const char *sql);
/* First column of the first row as text, copied into a static buffer. */
const char *test_text(sqlite3 *db, const char *sql);

#endif
