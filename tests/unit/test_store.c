/*
 * test_store.c — opening traces: good, missing, truncated, corrupt, foreign,
 * other versions.  Every failure is an error code and one line, never a crash.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/store.h"
#include "testutil.h"

static char dir[4096], path[8192];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	snprintf(path, sizeof(path), "%s/trace.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rmdir(dir);
	return 0;
}

static void make_trace(int rows)
{
	sqlite3 *db;
	assert_int_equal(lt_store_create(path, &db), 0);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (int i = 0; i < rows; i++) {
		char sql[256];
		snprintf(sql, sizeof(sql),
			 "INSERT INTO output(pid,tid,dispatch_seq,fd,ts_ns,text) VALUES(1,1,%d,1,%d,"
			 "'some output line that takes room %d')",
			 i, i, i);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	assert_int_equal(lt_store_finish(db), 0);
	sqlite3_close(db);
}

static int open_err(char *err, size_t n)
{
	sqlite3 *db = NULL;
	int rc = lt_store_open(path, &db, err, n);
	assert_true(rc == 0 ? db != NULL : db == NULL);
	if (db)
		sqlite3_close(db);
	assert_null(strchr(err, '\n'));
	return rc;
}

static void opens_a_good_trace(void **state)
{
	(void)state;
	char err[512] = "";
	make_trace(10);
	assert_int_equal(open_err(err, sizeof(err)), 0);
}

static void create_refuses_existing_file(void **state)
{
	(void)state;
	make_trace(1);
	sqlite3 *db;
	assert_int_equal(lt_store_create(path, &db), -EEXIST);
	assert_null(db);
}

static void missing_file(void **state)
{
	(void)state;
	char err[512] = "";
	assert_int_equal(open_err(err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
}

static void truncated_file(void **state)
{
	(void)state;
	char err[512] = "";
	make_trace(20000);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size / 2), 0);
	assert_int_equal(open_err(err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "corrupt or truncated"));
}

static void text_file(void **state)
{
	(void)state;
	char err[512] = "";
	FILE *f = fopen(path, "w");
	fputs("{\"this is\": \"json, not a trace\"}\n", f);
	fclose(f);
	assert_int_equal(open_err(err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a looptrace trace"));
}

static void foreign_sqlite_database(void **state)
{
	(void)state;
	char err[512] = "";
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(open_err(err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "foreign SQLite database"));
}

static void other_schema_version(void **state)
{
	(void)state;
	char err[512] = "";
	make_trace(1);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(open_err(err, sizeof(err)), -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "version 99"));
}

static void damaged_header(void **state)
{
	(void)state;
	char err[512] = "";
	make_trace(100);
	FILE *f = fopen(path, "r+");
	fseek(f, 16, SEEK_SET); /* page size and friends */
	fwrite("\xff\xff\xff\xff\xff\xff\xff\xff", 8, 1, f);
	fclose(f);
	assert_int_not_equal(open_err(err, sizeof(err)), 0);
}

static void directory_is_not_a_trace(void **state)
{
	(void)state;
	char err[512] = "";
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(open_err(err, sizeof(err)), -EISDIR);
	rmdir(path);
}

/* Run SQL on the trace as a foreign writer would. */
static void tamper(const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void make_dispatches(void)
{
	make_trace(3);
	tamper("INSERT INTO threads(pid, tid, start_ns, end_ns) VALUES(1, 1, 100, 900);"
	       "INSERT INTO dispatches VALUES(1, 1, 1, 'main', 'main', NULL, NULL, NULL, 1, NULL, 0, 'main', 100, 200);"
	       "INSERT INTO dispatches VALUES(2, 1, 1, 'timer', 'Timeout', NULL, NULL, NULL, 1, 1, 1, 'timers', 300, 400);");
}

static void created_private(void **state)
{
	(void)state;
	mode_t old = umask(0);
	make_trace(1);
	umask(old);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* The page size is set before anything writes the file (it is fixed by
 * the first write): big traces are read in whole-table scans, a read per
 * page. */
static void created_with_big_pages(void **state)
{
	(void)state;
	make_trace(1);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 65536);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void create_refuses_a_link(void **state)
{
	(void)state;
	char target[8300];
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	assert_int_equal(symlink(target, path), 0);
	sqlite3 *db;
	assert_int_equal(lt_store_create(path, &db), -EEXIST);
	assert_null(db);
	assert_int_equal(access(target, F_OK), -1); /* nothing created through it */
}

static void column_values_are_checked(void **state)
{
	(void)state;
	static const struct {
		const char *sql, *says;
	} cases[] = {
		{"UPDATE dispatches SET queue = NULL WHERE seq = 2", "dispatches row 2: queue is NULL"},
		{"UPDATE dispatches SET phase = NULL WHERE seq = 1", "dispatches row 1: phase is NULL"},
		{"UPDATE dispatches SET queue = 'elsewhere' WHERE seq = 2", "dispatches row 2: queue is not a known queue"},
		{"UPDATE dispatches SET phase = 'idle' WHERE seq = 2", "dispatches row 2: phase is not a known loop phase"},
		{"UPDATE dispatches SET depth = 100000000 WHERE seq = 2", "dispatches row 2: depth 100000000 is out of range"},
		{"UPDATE dispatches SET end_ns = 50 WHERE seq = 1", "dispatches row 1: ends before it begins"},
		{"UPDATE dispatches SET begin_ns = 1.5 WHERE seq = 2", "dispatches row 2: begin_ns is not an integer"},
		{"UPDATE dispatches SET type = x'00' WHERE seq = 2", "dispatches row 2: type is not text"},
		{"UPDATE threads SET end_ns = 4611686018427387905", "threads row pid=1 tid=1: end_ns 4611686018427387905 is out of range"},
		{"UPDATE output SET text = NULL WHERE id = 2", "output row 2: text is NULL"},
		/* Sparse rowids make the table span several of the check's parts
		 * (threads): the first bad row is still the one reported. */
		{"INSERT INTO dispatches VALUES(9000000, 1, 1, 'main', 'main', NULL, NULL, NULL, 1, NULL, 0, 'main',"
		 " 100, 50); UPDATE dispatches SET queue = NULL WHERE seq = 2", "dispatches row 2: queue is NULL"},
		{"INSERT INTO dispatches VALUES(9000000, 1, 1, 'main', 'main', NULL, NULL, NULL, 1, NULL, 0, 'main',"
		 " 100, 50); INSERT INTO dispatches VALUES(5000000, 1, 1, 'main', 'main', NULL, NULL, NULL, 1, NULL,"
		 " 0, 'main', 100, 150)", "dispatches row 9000000: ends before it begins"},
		{"INSERT INTO dispatches VALUES(-9000000, 1, 1, 'main', 'main', NULL, NULL, NULL, 1, NULL, 0, 'main',"
		 " 100, 150); INSERT INTO dispatches VALUES(9000000, 1, 1, 'main', 'main', NULL, NULL, NULL, 1, NULL,"
		 " 0, 'main', 100, 50)", "dispatches row -9000000: seq -9000000 is out of range"},
		{"DROP INDEX samples_by_dispatch", "samples_by_dispatch is missing or not as looptrace creates it"},
		{"DROP TABLE lineage; CREATE VIEW lineage AS SELECT 1", "lineage is missing or not as looptrace creates it"},
		{"ANALYZE", "it holds planner statistics (ANALYZE)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unlink(path);
		make_dispatches();
		char err[512] = "";
		assert_int_equal(open_err(err, sizeof(err)), 0);
		tamper(cases[i].sql);
		assert_int_equal(open_err(err, sizeof(err)), -EINVAL);
		if (!strstr(err, cases[i].says))
			fail_msg("%s: said \"%s\", not \"%s\"", cases[i].sql, err, cases[i].says);
	}
}

static void fifo_is_not_opened(void **state)
{
	(void)state;
	char err[512] = "";
	assert_int_equal(mkfifo(path, 0600), 0); /* nobody writes: a blocking open would hang */
	assert_int_equal(open_err(err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
}

static void locked_trace_says_locked(void **state)
{
	(void)state;
	make_dispatches();
	sqlite3 *writer;
	assert_int_equal(sqlite3_open(path, &writer), SQLITE_OK);
	assert_int_equal(sqlite3_exec(writer,
				      "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;"
				      "INSERT INTO meta VALUES('k', 'v');",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	char err[512] = "";
	assert_int_equal(open_err(err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "locked"));
	sqlite3_exec(writer, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(writer);
	assert_int_equal(open_err(err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(opens_a_good_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(create_refuses_existing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_file, setup, teardown),
		cmocka_unit_test_setup_teardown(text_file, setup, teardown),
		cmocka_unit_test_setup_teardown(foreign_sqlite_database, setup, teardown),
		cmocka_unit_test_setup_teardown(other_schema_version, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_header, setup, teardown),
		cmocka_unit_test_setup_teardown(directory_is_not_a_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(created_private, setup, teardown),
		cmocka_unit_test_setup_teardown(created_with_big_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(create_refuses_a_link, setup, teardown),
		cmocka_unit_test_setup_teardown(column_values_are_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(fifo_is_not_opened, setup, teardown),
		cmocka_unit_test_setup_teardown(locked_trace_says_locked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
