/*
 * test_lookup.c — rows looked up by sorted keys (analyzer/lookup.c): every
 * key gets its own row or none, whatever the order, repeats, gaps and signs
 * of the keys, and the caller's items travel with their keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "analyzer/lookup.h"

/* What found() saw for each item. */
struct seen {
	int64_t *value; /* the row's value, or -1 when no row */
	int *calls;
	int64_t last_key;
	int in_order;
};

static int found(void *ctx, uint32_t item, sqlite3_stmt *row)
{
	struct seen *s = ctx;
	s->calls[item]++;
	s->value[item] = row ? sqlite3_column_int64(row, 1) : -1;
	if (row) {
		int64_t key = sqlite3_column_int64(row, 0);
		if (key < s->last_key)
			s->in_order = 0;
		s->last_key = key;
	}
	return 0;
}

/* The value stored with key k: k * 10 + 1, wrapping (the wide keys). */
static int64_t value_of(int64_t k) { return (int64_t)((uint64_t)k * 10u + 1u); }

/* A table holding the keys `present` with value value_of(key). */
static sqlite3 *table_of(const int64_t *present, size_t n)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?, ?)", -1, &s, NULL), SQLITE_OK);
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(s, 1, present[i]);
		sqlite3_bind_int64(s, 2, value_of(present[i]));
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return db;
}

static void check(const int64_t *present, size_t np, const int64_t *keys, size_t nk)
{
	sqlite3 *db = table_of(present, np);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, v FROM t WHERE id >= ?1 ORDER BY id", -1, &s, NULL),
			 SQLITE_OK);
	struct lt_lookup l = {0};
	assert_int_equal(lt_lookup_reserve(&l, nk), 0);
	for (size_t i = 0; i < nk; i++) {
		l.key[i] = keys[i];
		l.item[i] = (uint32_t)i;
	}
	l.n = nk;
	struct seen seen = {.value = calloc(nk, sizeof(int64_t)), .calls = calloc(nk, sizeof(int)),
			    .last_key = INT64_MIN, .in_order = 1};
	assert_int_equal(lt_lookup_run(&l, s, found, &seen), 0);
	for (size_t i = 0; i < nk; i++) {
		int there = 0;
		for (size_t j = 0; j < np; j++)
			there |= present[j] == keys[i];
		assert_int_equal(seen.calls[i], 1);
		assert_int_equal(seen.value[i], there ? value_of(keys[i]) : -1);
	}
	assert_true(seen.in_order);
	free(seen.value);
	free(seen.calls);
	lt_lookup_free(&l);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void unsorted_repeated_and_missing_keys(void **state)
{
	(void)state;
	int64_t present[200];
	for (int i = 0; i < 200; i++)
		present[i] = i * 3; /* every third id */
	int64_t keys[] = {597, 3, 3, 0, 1, 598, 600, 300, 4, 2, 150, 150, 151, 597};
	check(present, 200, keys, sizeof(keys) / sizeof(keys[0]));
}

/* Far apart keys (seeks) beside near ones (steps), both signs, and keys
 * whose differences need every digit of the sort. */
static void gaps_signs_and_wide_keys(void **state)
{
	(void)state;
	int64_t present[] = {-5, 1, 2, 1000, 1001, 1002, INT64_C(1) << 40, (INT64_C(1) << 62) + 7, INT64_MAX};
	int64_t keys[] = {INT64_MAX, 1002, -5, (INT64_C(1) << 62) + 7, 1000, 999, -6, 2, INT64_C(1) << 40,
			  INT64_MIN, 1, 70000, 1001};
	check(present, sizeof(present) / sizeof(present[0]), keys, sizeof(keys) / sizeof(keys[0]));
}

/* Many keys: the sort's passes with items carried along. */
static void many_keys(void **state)
{
	(void)state;
	enum { N = 100000 };
	int64_t *present = malloc(N * sizeof(*present)), *keys = malloc(N * sizeof(*keys));
	for (int i = 0; i < N; i++)
		present[i] = (int64_t)i * 7 + 100000;
	srand(7);
	for (int i = 0; i < N; i++)
		keys[i] = 100000 + (int64_t)(rand() % (N * 7 + 50)) - 20;
	sqlite3 *db = table_of(present, N);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, v FROM t WHERE id >= ?1 ORDER BY id", -1, &s, NULL),
			 SQLITE_OK);
	struct lt_lookup l = {0};
	assert_int_equal(lt_lookup_reserve(&l, N), 0);
	for (int i = 0; i < N; i++) {
		l.key[i] = keys[i];
		l.item[i] = (uint32_t)i;
	}
	l.n = N;
	struct seen seen = {.value = calloc(N, sizeof(int64_t)), .calls = calloc(N, sizeof(int)),
			    .last_key = INT64_MIN, .in_order = 1};
	assert_int_equal(lt_lookup_run(&l, s, found, &seen), 0);
	for (int i = 0; i < N; i++) {
		int64_t k = keys[i];
		int there = k >= 100000 && (k - 100000) % 7 == 0 && (k - 100000) / 7 < N;
		assert_int_equal(seen.calls[i], 1);
		assert_int_equal(seen.value[i], there ? value_of(k) : -1);
	}
	assert_true(seen.in_order);
	free(seen.value);
	free(seen.calls);
	free(present);
	free(keys);
	lt_lookup_free(&l);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unsorted_repeated_and_missing_keys),
		cmocka_unit_test(gaps_signs_and_wide_keys),
		cmocka_unit_test(many_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
