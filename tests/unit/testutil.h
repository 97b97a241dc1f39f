/*
 * testutil.h — temporary directories and SQLite look-ups for unit tests.
 */
#ifndef LOOPTRACE_TESTUTIL_H
#define LOOPTRACE_TESTUTIL_H

#include <sqlite3.h>
#include <stdint.h>

/* A fresh directory under $TMPDIR (or /tmp); the path is static storage. */
const char *test_tmpdir(void);
/* Remove a directory and the files in it. */
void test_rmdir(const char *dir);
/* First column of the first row of `sql` as an integer (-1 if no row). */
int64_t test_int(sqlite3 *db, const char *sql);
/* First column of the first row as text, copied into a static buffer. */
const char *test_text(sqlite3 *db, const char *sql);

#endif
