/*
 * test_import_order.c — the importer's rowid-order window (import_order.c)
 * and its hand-off queue to the writer thread (import_queue.c): every row
 * put comes out exactly once, in rowid order within the window, duplicates
 * in arrival order; the queue runs every chunk once, in order, on another
 * thread, with bounded chunks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "recorder/import_order.h"
#include "recorder/import_queue.h"

#define MAX_OUT 200000

struct sink {
	int64_t rowid[MAX_OUT];
	int64_t tag[MAX_OUT];
	size_t n;
};

static void collect(void *ctx, const struct lt_import_cell *cells)
{
	struct sink *s = ctx;
	assert_true(s->n < MAX_OUT);
	s->rowid[s->n] = cells[0].i;
	s->tag[s->n] = cells[1].i;
	s->n++;
}

/* put a row (rowid, tag) through o, or straight to the sink when out of
 * the window */
static void put(struct lt_import_order *o, struct sink *s, int64_t rowid, int64_t tag)
{
	struct lt_import_cell *c = lt_import_order_put(o, rowid);
	struct lt_import_cell direct[2];
	if (!c)
		c = direct;
	lt_cell_int(&c[0], rowid);
	lt_cell_int(&c[1], tag);
	if (c == direct)
		collect(s, direct);
}

static void shuffled_rows_come_out_sorted(void **state)
{
	(void)state;
	struct sink *s = calloc(1, sizeof(*s));
	struct lt_import_order o;
	assert_int_equal(lt_import_order_init(&o, 2, 1024, collect, s), 0);
	/* rowids 1..50000 shuffled within blocks of 300 (a window of 1024) */
	enum { N = 50000, BLOCK = 300 };
	int64_t *ids = malloc(N * sizeof(*ids));
	for (int64_t i = 0; i < N; i++)
		ids[i] = i + 1;
	srand(7);
	for (int from = 0; from < N; from += BLOCK)
		for (int i = (from + BLOCK < N ? from + BLOCK : N) - 1; i > from; i--) {
			int j = from + rand() % (i - from + 1);
			int64_t t = ids[i];
			ids[i] = ids[j];
			ids[j] = t;
		}
	for (int i = 0; i < N; i++)
		put(&o, s, ids[i], ids[i] * 10);
	lt_import_order_drain(&o);
	assert_int_equal(s->n, N);
	for (size_t i = 0; i < s->n; i++) {
		assert_int_equal(s->rowid[i], (int64_t)i + 1);
		assert_int_equal(s->tag[i], s->rowid[i] * 10);
	}
	lt_import_order_free(&o);
	free(ids);
	free(s);
}

/* A flush (an UPDATE of the table) drains the window; the rows after it
 * are still put in order. */
static void rows_after_a_drain_stay_in_order(void **state)
{
	(void)state;
	struct sink *s = calloc(1, sizeof(*s));
	struct lt_import_order o;
	assert_int_equal(lt_import_order_init(&o, 2, 1024, collect, s), 0);
	for (int64_t i = 1; i <= 1000; i += 2) {
		put(&o, s, i + 1, 0); /* pairs come swapped: 2 1 4 3 ... */
		put(&o, s, i, 0);
		if (i % 100 == 99)
			lt_import_order_drain(&o);
	}
	lt_import_order_drain(&o);
	assert_int_equal(s->n, 1000);
	for (size_t i = 0; i < s->n; i++)
		assert_int_equal(s->rowid[i], (int64_t)i + 1);
	lt_import_order_free(&o);
	free(s);
}

/* Sorted counts of each rowid out must equal those in. */
static int by_value(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void late_far_and_duplicate_rows_all_come_out(void **state)
{
	(void)state;
	struct sink *s = calloc(1, sizeof(*s));
	struct lt_import_order o;
	assert_int_equal(lt_import_order_init(&o, 2, 64, collect, s), 0);
	int64_t in[] = {10, 12, 11, 5 /* late */, 12 /* duplicate */, 100 /* ahead: moves */,
			1000000 /* far */, 13, 101, -4 /* negative */, INT64_MAX, 99, 14};
	size_t n = sizeof(in) / sizeof(in[0]);
	for (size_t i = 0; i < n; i++)
		put(&o, s, in[i], (int64_t)i);
	lt_import_order_drain(&o);
	assert_int_equal(s->n, n);
	/* the two rows of rowid 12: first in, first out */
	int64_t first12 = -1;
	for (size_t i = 0; i < s->n; i++)
		if (s->rowid[i] == 12) {
			if (first12 < 0)
				first12 = s->tag[i];
			else
				assert_true(s->tag[i] > first12);
		}
	assert_int_equal(first12, 1);
	int64_t a[32], b[32];
	memcpy(a, in, sizeof(in));
	memcpy(b, s->rowid, n * sizeof(int64_t));
	qsort(a, n, sizeof(int64_t), by_value);
	qsort(b, n, sizeof(int64_t), by_value);
	assert_memory_equal(a, b, n * sizeof(int64_t));
	lt_import_order_free(&o);
	free(s);
}

static void ids_that_move_on_reanchor_the_window(void **state)
{
	(void)state;
	struct sink *s = calloc(1, sizeof(*s));
	struct lt_import_order o;
	assert_int_equal(lt_import_order_init(&o, 2, 64, collect, s), 0);
	put(&o, s, 3, 0); /* held while 1 and 2 never come */
	/* a new range far above: after a few far rows the window follows */
	for (int64_t i = 0; i < 200; i++)
		put(&o, s, 1000000 + (i ^ 1), i);
	lt_import_order_drain(&o);
	assert_int_equal(s->n, 201);
	/* most of the new range came out in order */
	size_t in_order = 0;
	for (size_t i = 1; i < s->n; i++)
		in_order += s->rowid[i] == s->rowid[i - 1] + 1;
	assert_true(in_order > 150);
	lt_import_order_free(&o);
	free(s);
}

struct runs {
	size_t chunks;
	int64_t next; /* the value the next cell must have */
	int ok;
};

static void consume(void *ctx, struct lt_import_chunk *chunk)
{
	struct runs *r = ctx;
	r->chunks++;
	for (size_t i = 0; i < chunk->n_cells; i++)
		if (chunk->cells[i].i != r->next++)
			r->ok = 0;
}

static void queue_runs_every_chunk_once_in_order(void **state)
{
	(void)state;
	struct runs r = {.ok = 1};
	struct lt_import_queue q;
	assert_int_equal(lt_import_queue_start(&q, consume, &r), 0);
	int64_t v = 0;
	for (int chunk = 0; chunk < 40; chunk++) {
		struct lt_import_chunk *c = lt_import_queue_current(&q);
		size_t n = 1 + (size_t)chunk * 97 % LT_IMPORT_CHUNK_CELLS;
		for (size_t i = 0; i < n; i++)
			c->cells[i].i = v++;
		c->n_cells = n;
		lt_import_queue_submit(&q);
		/* never more chunks than the ring holds */
		assert_true(q.submitted - q.consumed <= LT_IMPORT_QUEUE_CHUNKS);
	}
	struct lt_import_chunk *c = lt_import_queue_current(&q);
	c->cells[0].i = v++;
	c->n_cells = 1;
	lt_import_queue_stop(&q); /* runs the last, partly filled chunk */
	assert_int_equal(r.chunks, 41);
	assert_int_equal(r.next, v);
	assert_true(r.ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shuffled_rows_come_out_sorted),
		cmocka_unit_test(rows_after_a_drain_stay_in_order),
		cmocka_unit_test(late_far_and_duplicate_rows_all_come_out),
		cmocka_unit_test(ids_that_move_on_reanchor_the_window),
		cmocka_unit_test(queue_runs_every_chunk_once_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
