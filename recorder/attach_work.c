/*
 * attach_work.c — threadpool items from submission to completion
 * (attach_work.h).
 */
#include "attach_work.h"

#include <errno.h>
#include <stdlib.h>

#define WORK_SLOTS 8192
#define WORK_THREADS 256
#define MAX_WORK_SAMPLES (1u << 20)

struct work_item {
	uint64_t ptr, submit, start, end;
};

struct lt_work_table {
	struct work_item slots[WORK_SLOTS];
	struct {
		uint32_t tid;
		uint64_t ptr;
	} running[WORK_THREADS]; /* what each pool thread started last */
	double *wait, *run;
	size_t n, cap;
};

static struct work_item *work_slot(struct lt_work_table *t, uint64_t ptr)
{
	return &t->slots[(ptr * 0x9e3779b97f4a7c15ull) >> 51]; /* 13 bits */
}

int lt_work_add(struct lt_work_table **table, struct lt_attach_threadpool *tp, const struct lt_bpf_event *e)
{
	if (!*table && !(*table = calloc(1, sizeof(**table))))
		return -ENOMEM;
	struct lt_work_table *t = *table;
	if (e->kind == LT_EV_WORK_END) {
		for (size_t i = 0; i < WORK_THREADS; i++)
			if (t->running[i].tid == e->tid) {
				struct work_item *w = work_slot(t, t->running[i].ptr);
				if (w->ptr == t->running[i].ptr && w->start)
					w->end = e->ts;
				t->running[i].tid = 0;
				break;
			}
		return 0;
	}
	if (!e->ptr)
		return 0;
	struct work_item *w = work_slot(t, e->ptr);
	switch (e->kind) {
	case LT_EV_WORK_SUBMIT:
		*w = (struct work_item){e->ptr, e->ts, 0, 0};
		break;
	case LT_EV_WORK_START:
		if (w->ptr != e->ptr)
			break;
		w->start = e->ts;
		for (size_t i = 0; i < WORK_THREADS; i++)
			if (t->running[i].tid == 0 || t->running[i].tid == e->tid) {
				t->running[i].tid = e->tid;
				t->running[i].ptr = e->ptr;
				break;
			}
		break;
	case LT_EV_WORK_DONE:
		if (w->ptr != e->ptr || !w->start || !w->end || w->start < w->submit || w->end < w->start)
			break;
		if (t->n == t->cap && t->n < MAX_WORK_SAMPLES) {
			size_t cap = t->cap ? t->cap * 2 : 1024;
			double *wait = realloc(t->wait, cap * sizeof(*wait));
			if (wait)
				t->wait = wait;
			double *run = wait ? realloc(t->run, cap * sizeof(*run)) : NULL;
			if (run)
				t->run = run;
			if (wait && run)
				t->cap = cap;
		}
		if (t->n < t->cap) {
			t->wait[t->n] = (double)(w->start - w->submit) / 1e6;
			t->run[t->n++] = (double)(w->end - w->start) / 1e6;
		}
		tp->items++;
		if (e->aux < 5)
			tp->by_kind[e->aux]++;
		w->ptr = 0;
		break;
	default:
		break;
	}
	return 0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void percentiles(double *v, size_t n, double *p50, double *p99, double *max)
{
	*p50 = *p99 = *max = 0;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), by_value);
	*p50 = v[(size_t)(0.50 * (double)(n - 1) + 0.5)];
	*p99 = v[(size_t)(0.99 * (double)(n - 1) + 0.5)];
	*max = v[n - 1];
}

void lt_work_summary(struct lt_work_table **table, struct lt_attach_threadpool *tp)
{
	struct lt_work_table *t = *table;
	if (!t)
		return;
	percentiles(t->wait, t->n, &tp->wait_p50, &tp->wait_p99, &tp->wait_max);
	percentiles(t->run, t->n, &tp->run_p50, &tp->run_p99, &tp->run_max);
	free(t->wait);
	free(t->run);
	free(t);
	*table = NULL;
}
