/*
 * import_pool.c — threadpool requests summed up into meta (import_pool.h).
 */
#include "import_pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../analyzer/store.h"
#include "../probes/wire.h"

static int push(struct lt_pool_series *s, uint32_t ns)
{
	if (ns == LT_WORK_UNSEEN)
		return 0;
	if (s->n == s->cap) {
		if (s->cap >= LT_POOL_MAX_SAMPLES)
			return 0;
		size_t cap = s->cap ? s->cap * 2 : 256;
		double *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (double)ns / 1e6;
	return 0;
}

int lt_pool_add(struct lt_pool_summary *p, unsigned kind, uint32_t wait_ns, uint32_t run_ns, uint32_t latency_ns)
{
	p->items++;
	if (kind < LT_POOL_KINDS)
		p->by_kind[kind]++;
	/* wait and run go together: an item seen running has both */
	int both = wait_ns != LT_WORK_UNSEEN && run_ns != LT_WORK_UNSEEN;
	int rc = both ? push(&p->wait, wait_ns) : 0;
	if (rc == 0 && both)
		rc = push(&p->run, run_ns);
	if (rc == 0)
		rc = push(&p->latency, latency_ns);
	return rc;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void lt_pool_percentiles(struct lt_pool_series *s, char *out, size_t cap)
{
	if (!s->n) {
		snprintf(out, cap, "%s", "");
		return;
	}
	qsort(s->v, s->n, sizeof(*s->v), by_value);
	double p50 = s->v[(size_t)(0.50 * (double)(s->n - 1) + 0.5)];
	double p99 = s->v[(size_t)(0.99 * (double)(s->n - 1) + 0.5)];
	snprintf(out, cap, "p50 %.3f p99 %.3f max %.3f", p50, p99, s->v[s->n - 1]);
}

int lt_pool_write_meta(struct lt_pool_summary *p, sqlite3 *db)
{
	if (!p->items)
		return 0;
	char items[32], kinds[128], timed[32], wait[96], run[96], done[96];
	snprintf(items, sizeof(items), "%llu", (unsigned long long)p->items);
	snprintf(kinds, sizeof(kinds), "fs %llu, work %llu, dns %llu, random %llu",
		 (unsigned long long)p->by_kind[LT_POOL_FS], (unsigned long long)p->by_kind[LT_POOL_QUEUE],
		 (unsigned long long)p->by_kind[LT_POOL_DNS], (unsigned long long)p->by_kind[LT_POOL_RANDOM]);
	snprintf(timed, sizeof(timed), "%zu", p->wait.n);
	lt_pool_percentiles(&p->wait, wait, sizeof(wait));
	lt_pool_percentiles(&p->run, run, sizeof(run));
	lt_pool_percentiles(&p->latency, done, sizeof(done));
	const char *keys[6] = {"threadpool_items", "threadpool_items_by_kind", "threadpool_timed_items",
			       "threadpool_queue_wait_ms", "threadpool_run_ms", "threadpool_done_ms"};
	const char *values[6] = {items, kinds, timed, wait, run, done};
	for (int i = 0; i < 6; i++) {
		if (!values[i][0])
			continue;
		int rc = lt_store_set_meta(db, keys[i], values[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void lt_pool_free(struct lt_pool_summary *p)
{
	free(p->wait.v);
	free(p->run.v);
	free(p->latency.v);
	*p = (struct lt_pool_summary){0};
}
