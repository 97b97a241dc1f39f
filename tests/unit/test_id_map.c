/*
 * test_id_map.c — the sparse id map: huge and scattered ids, growth,
 * removal, and the bounded (two-generation) mode with eviction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "recorder/id_map.h"

struct value {
	uint64_t a;
	uint32_t b;
};

static void huge_ids_cost_nothing_more(void **state)
{
	(void)state;
	struct lt_id_map m;
	lt_id_map_init(&m, sizeof(struct value), 0, NULL, NULL);
	uint64_t ids[] = {0, 1, 1u << 26, 0xffffffffu, UINT64_MAX, 0x8000000000000000ull};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int created = 0;
		struct value *v = lt_id_map_put(&m, ids[i], &created);
		assert_non_null(v);
		assert_true(created);
		assert_int_equal(v->a, 0);
		v->a = ids[i] ^ 0x5555;
		v->b = (uint32_t)i;
	}
	assert_int_equal(lt_id_map_count(&m), 6);
	/* a handful of entries: a table of a handful of slots, whatever the ids */
	assert_true(m.young.capacity <= 64);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct value *v = lt_id_map_get(&m, ids[i]);
		assert_non_null(v);
		assert_int_equal(v->a, ids[i] ^ 0x5555);
		assert_int_equal(v->b, i);
	}
	assert_null(lt_id_map_get(&m, 2));
	assert_null(lt_id_map_get(&m, (1u << 26) + 1));
	lt_id_map_free(&m);
}

static void grows_and_removes(void **state)
{
	(void)state;
	struct lt_id_map m;
	lt_id_map_init(&m, sizeof(uint32_t), 0, NULL, NULL);
	const uint32_t n = 100000;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t *v = lt_id_map_put(&m, (uint64_t)i * 7919u, NULL);
		assert_non_null(v);
		*v = i;
	}
	assert_int_equal(lt_id_map_count(&m), n);
	for (uint32_t i = 0; i < n; i += 2)
		assert_int_equal(lt_id_map_remove(&m, (uint64_t)i * 7919u), 1);
	assert_int_equal(lt_id_map_remove(&m, 3), 0);
	assert_int_equal(lt_id_map_count(&m), n / 2);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t *v = lt_id_map_get(&m, (uint64_t)i * 7919u);
		if (i % 2) {
			assert_non_null(v);
			assert_int_equal(*v, i);
		} else {
			assert_null(v);
		}
	}
	/* removed slots are reused: re-adding keeps the table the same size */
	size_t capacity = m.young.capacity;
	for (uint32_t round = 0; round < 4; round++)
		for (uint32_t i = 0; i < n; i += 2) {
			assert_non_null(lt_id_map_put(&m, (uint64_t)i * 7919u, NULL));
			assert_int_equal(lt_id_map_remove(&m, (uint64_t)i * 7919u), 1);
		}
	assert_true(m.young.capacity <= capacity * 2);
	lt_id_map_free(&m);
}

struct evictions {
	uint64_t count, sum;
};

static void count_evicted(void *ctx, uint64_t id, void *value)
{
	struct evictions *e = ctx;
	assert_int_equal(*(uint64_t *)value, id + 1);
	e->count++;
	e->sum += id;
}

static void bounded_map_forgets_the_untouched(void **state)
{
	(void)state;
	struct evictions e = {0};
	struct lt_id_map m;
	const size_t limit = 1000;
	lt_id_map_init(&m, sizeof(uint64_t), limit, count_evicted, &e);
	/* id 0 is used all along (a server handle), the others once each */
	*(uint64_t *)lt_id_map_put(&m, 0, NULL) = 1;
	const uint64_t n = 100000;
	size_t most = 0;
	for (uint64_t id = 1; id <= n; id++) {
		*(uint64_t *)lt_id_map_put(&m, id, NULL) = id + 1;
		if (id % 500 == 0)
			assert_non_null(lt_id_map_get(&m, 0));
		if (lt_id_map_count(&m) > most)
			most = lt_id_map_count(&m);
	}
	assert_true(most <= 2 * limit + 1);
	assert_true(m.young.capacity + m.old.capacity <= 16 * limit);
	/* the one touched survives, recent ones are there, early ones went
	 * through the callback */
	assert_non_null(lt_id_map_get(&m, 0));
	assert_non_null(lt_id_map_get(&m, n));
	assert_null(lt_id_map_get(&m, 1));
	assert_int_equal(e.count + lt_id_map_count(&m), n + 1);
	assert_int_equal(e.count, m.evicted);
	/* every entry held is visited once by each() */
	struct evictions held = {0};
	lt_id_map_each(&m, count_evicted, &held);
	assert_int_equal(held.count, lt_id_map_count(&m));
	assert_int_equal(e.sum + held.sum, n * (n + 1) / 2);
	lt_id_map_free(&m);
}

static void large_values_survive_promotion(void **state)
{
	(void)state;
	struct big {
		unsigned char bytes[300];
	};
	struct lt_id_map m;
	lt_id_map_init(&m, sizeof(struct big), 4, NULL, NULL);
	struct big *b = lt_id_map_put(&m, 42, NULL);
	memset(b->bytes, 0xab, sizeof(b->bytes));
	for (uint64_t id = 100; id < 104; id++)
		assert_non_null(lt_id_map_put(&m, id, NULL));
	/* 42 is in the old generation now; getting it moves it back */
	b = lt_id_map_get(&m, 42);
	assert_non_null(b);
	for (size_t i = 0; i < sizeof(b->bytes); i++)
		assert_int_equal(b->bytes[i], 0xab);
	lt_id_map_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(huge_ids_cost_nothing_more),
		cmocka_unit_test(grows_and_removes),
		cmocka_unit_test(bounded_map_forgets_the_untouched),
		cmocka_unit_test(large_values_survive_promotion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
