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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
