/*
 * test_dispatch_table.c — the dispatches read once (analyzer/dispatch_table.c):
 * every row and column as the SQL readers saw them (NULLs, unknown queue
 * names, exit types, nested parents), dense and sparse seqs, threads, the
 * lookups by seq, columns given back early; and big_array's arrays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "analyzer/big_array.h"
#include "analyzer/dispatch_table.h"

static sqlite3 *empty_trace(void)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE dispatches(seq INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER,"
				      " queue TEXT, type TEXT, resource_id INTEGER, promise_id INTEGER,"
				      " parent_seq INTEGER, depth INTEGER, trigger_seq INTEGER, iteration INTEGER,"
				      " phase TEXT, begin_ns INTEGER, end_ns INTEGER);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	return db;
}

static void exec(sqlite3 *db, const char *sql)
{
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static void every_column_as_read(void **state)
{
	(void)state;
	sqlite3 *db = empty_trace();
	exec(db, "INSERT INTO dispatches(seq, pid, tid, queue, type, resource_id, promise_id, parent_seq, depth,"
		 " iteration, begin_ns, end_ns) VALUES"
		 " (1, 10, 10, 'main', NULL, NULL, NULL, NULL, 1, NULL, 100, 900),"
		 " (2, 10, 11, 'microtask', 'PROMISE', NULL, 42, NULL, 1, 3, 1000, 1100),"
		 " (3, 10, 10, 'timer', 'Timeout', 7, NULL, 2, 2, 4, 1200, 1300),"
		 " (4, 10, 10, 'exit', 'beforeExit', NULL, NULL, NULL, 1, 5, 1400, 1500),"
		 " (5, 10, 10, 'exit', 'exit', NULL, NULL, NULL, 1, 5, 1600, 1700),"
		 " (6, 10, 10, 'bogus', 'x', 0, 0, NULL, NULL, NULL, 1800, 1900),"
		 " (7, 20, 10, NULL, NULL, NULL, NULL, NULL, 99999999999, 6, 2000, 2100)");
	struct lt_dispatch_table t;
	assert_int_equal(lt_dispatch_table_load(db, &t), 0);
	assert_int_equal(t.n, 7);
	assert_null(t.seq); /* dense */
	assert_int_equal(lt_dispatch_seq(&t, 6), 7);
	assert_int_equal(t.n_threads, 3);
	assert_int_equal(t.threads[t.thread[0]].tid, 10);
	assert_int_equal(t.threads[t.thread[1]].tid, 11);
	assert_int_equal(t.thread[2], t.thread[0]);
	assert_int_equal(t.threads[t.thread[6]].pid, 20);
	assert_int_equal(lt_dispatch_thread_index(&t, 10, 11), t.thread[1]);
	assert_int_equal(lt_dispatch_thread_index(&t, 99, 99), -1);
	assert_int_equal(t.queue[0], LT_QUEUE_MAIN);
	assert_int_equal(t.queue[1], LT_QUEUE_MICROTASK);
	assert_int_equal(t.queue[2], LT_QUEUE_TIMER);
	assert_int_equal(t.queue[5], LT_DISPATCH_QUEUE_OTHER);
	assert_int_equal(t.queue[6], LT_DISPATCH_QUEUE_NULL);
	assert_int_equal(t.flags[3], LT_DISPATCH_BEFORE_EXIT);
	assert_int_equal(t.flags[4], LT_DISPATCH_EXIT);
	assert_int_equal(t.flags[2], 0);
	assert_int_equal(t.resource_id[0], -1);
	assert_int_equal(t.resource_id[2], 7);
	assert_int_equal(t.resource_id[5], 0);
	assert_int_equal(t.promise_id[1], 42);
	assert_int_equal(t.promise_id[2], -1);
	assert_int_equal(t.iteration[0], 0); /* NULL reads as 0 */
	assert_int_equal(t.iteration[2], 4);
	assert_int_equal(t.depth[5], 0);
	assert_int_equal(t.depth[6], INT32_MAX); /* clamped */
	assert_int_equal(t.begin_ns[3], 1400);
	assert_int_equal(t.end_ns[3], 1500);
	/* parents: only nested rows have one; NULL is the row's own seq */
	assert_int_equal(lt_dispatch_parent(&t, 2), 2);
	assert_int_equal(lt_dispatch_parent(&t, 1), 2);
	assert_int_equal(lt_dispatch_parent(&t, 6), 7);
	assert_int_equal(lt_dispatch_index(&t, 1), 0);
	assert_int_equal(lt_dispatch_index(&t, 7), 6);
	assert_int_equal(lt_dispatch_index(&t, 8), -1);
	assert_int_equal(lt_dispatch_index(&t, 0), -1);
	assert_int_equal(lt_dispatch_index(&t, INT64_MIN), -1);
	lt_dispatch_table_forget(&t, LT_DISPATCH_RESOURCE_IDS | LT_DISPATCH_FLAGS);
	assert_null(t.resource_id);
	assert_null(t.flags);
	assert_non_null(t.promise_id);
	lt_dispatch_table_free(&t);
	assert_int_equal(t.n, 0);
	sqlite3_close(db);
}

static void sparse_and_extreme_seqs(void **state)
{
	(void)state;
	sqlite3 *db = empty_trace();
	/* a range of 2^63 in a tiny file: sized by the file, not the range */
	exec(db, "INSERT INTO dispatches(seq, pid, tid, queue, depth, begin_ns, end_ns) VALUES"
		 " (-9223372036854775808, 1, 1, 'io', 1, 0, 1),"
		 " (-5, 1, 1, 'io', 1, 0, 1), (3, 1, 1, 'io', 1, 0, 1), (4, 1, 1, 'io', 1, 0, 1),"
		 " (9223372036854775807, 1, 1, 'io', 1, 0, 1)");
	struct lt_dispatch_table t;
	assert_int_equal(lt_dispatch_table_load(db, &t), 0);
	assert_int_equal(t.n, 5);
	assert_non_null(t.seq);
	assert_true(t.cap < 1u << 20);
	int64_t want[] = {INT64_MIN, -5, 3, 4, INT64_MAX};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(lt_dispatch_seq(&t, i), want[i]);
		assert_int_equal(lt_dispatch_index(&t, want[i]), (int64_t)i);
	}
	assert_int_equal(lt_dispatch_index(&t, 0), -1);
	assert_int_equal(lt_dispatch_index(&t, 5), -1);
	lt_dispatch_table_free(&t);
	sqlite3_close(db);
}

/* Dense at first, sparse later: the seqs kept from where they stop being
 * dense, the earlier ones filled in. */
static void dense_then_sparse(void **state)
{
	(void)state;
	sqlite3 *db = empty_trace();
	exec(db, "WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 1099)"
		 " INSERT INTO dispatches(seq, pid, tid, queue, depth, begin_ns, end_ns)"
		 " SELECT i, 1, i % 3, 'timer', 1, i, i + 1 FROM n");
	exec(db, "INSERT INTO dispatches(seq, pid, tid, queue, depth, begin_ns, end_ns) VALUES (5000, 1, 0, 'io', 1, 0, 0)");
	struct lt_dispatch_table t;
	assert_int_equal(lt_dispatch_table_load(db, &t), 0);
	assert_int_equal(t.n, 1001);
	assert_non_null(t.seq);
	assert_int_equal(t.n_threads, 3);
	for (size_t i = 0; i < 1000; i++) {
		assert_int_equal(lt_dispatch_seq(&t, i), 100 + (int64_t)i);
		assert_int_equal(lt_dispatch_index(&t, 100 + (int64_t)i), (int64_t)i);
		assert_int_equal(t.threads[t.thread[i]].tid, (100 + (int64_t)i) % 3);
	}
	assert_int_equal(lt_dispatch_index(&t, 5000), 1000);
	assert_int_equal(lt_dispatch_index(&t, 1100), -1);
	lt_dispatch_table_free(&t);
	sqlite3_close(db);
}

static void empty_table(void **state)
{
	(void)state;
	sqlite3 *db = empty_trace();
	struct lt_dispatch_table t;
	assert_int_equal(lt_dispatch_table_load(db, &t), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(lt_dispatch_index(&t, 1), -1);
	lt_dispatch_table_free(&t);
	sqlite3_close(db);
}

static void without_the_table(void **state)
{
	(void)state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	struct lt_dispatch_table t;
	assert_int_equal(lt_dispatch_table_load(db, &t), -EIO);
	assert_null(t.begin_ns);
	sqlite3_close(db);
}

static void big_arrays(void **state)
{
	(void)state;
	assert_null(lt_big_array(SIZE_MAX / 2, 4)); /* the size overflows */
	unsigned char *small = lt_big_array(0, 8);
	assert_non_null(small);
	small[0] = 1;
	free(small);
	size_t n = (size_t)20 << 20; /* 20 MiB: the huge-page path */
	unsigned char *big = lt_big_array(n, 1);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % ((uintptr_t)2 << 20), 0);
	memset(big, 7, n);
	assert_int_equal(big[n - 1], 7);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_column_as_read), cmocka_unit_test(sparse_and_extreme_seqs),
		cmocka_unit_test(dense_then_sparse),    cmocka_unit_test(empty_table),
		cmocka_unit_test(without_the_table),    cmocka_unit_test(big_arrays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
