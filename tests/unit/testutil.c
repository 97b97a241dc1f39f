/*
 * testutil.c — helpers shared by the unit tests.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *test_tmpdir(void)
{
	static char path[4096];
	const char *base = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/looptrace-test-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(path))
		abort();
	return path;
}

void test_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char p[8192];
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	}
	closedir(d);
	rmdir(dir);
}

int test_trace_setup(void **state, void *f, size_t size)
{
	struct test_trace *t = f;
	memset(f, 0, size);
	snprintf(t->dir, sizeof(t->dir), "%s", test_tmpdir());
	snprintf(t->db_path, sizeof(t->db_path), "%s/trace.db", t->dir);
	*state = f;
	return 0;
}

void test_trace_teardown(struct test_trace *t)
{
	if (t->db)
		sqlite3_close(t->db);
	t->db = NULL;
	test_rmdir(t->dir);
}

int test_analysis_setup(void **state)
{
	static struct test_analysis f;
	return test_trace_setup(state, &f, sizeof(f));
}

int test_analysis_teardown(void **state)
{
	struct test_analysis *f = *state;
	if (f->analyzed)
		lt_analysis_free(&f->a);
	f->analyzed = 0;
	test_trace_teardown(&f->t);
	return 0;
}

int64_t test_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

const char *test_text(sqlite3 *db, const char *sql)
{
	static char buf[4096];
	sqlite3_stmt *s;
	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return "(bad sql)";
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return buf;
}
