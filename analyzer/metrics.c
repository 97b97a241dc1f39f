/*
 * metrics.c — busy/idle, utilization, timer lateness and lag percentiles.
 */
#include "metrics.h"

#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The value of rank r among `zeros` zeros followed by v[0..n) sorted. */
static double ranked(const double *v, int64_t zeros, int64_t r)
{
	return r < zeros ? 0.0 : v[r - zeros];
}

/* Percentiles of v[0..n) (non-negative) plus `zeros` samples of 0 that are
 * counted, not stored: memory follows the trace's rows, not its time span. */
static void percentiles_with_zeros(double *v, int64_t n, int64_t zeros, struct lt_percentiles *out)
{
	memset(out, 0, sizeof(*out));
	int64_t total = n + zeros;
	out->count = total;
	if (total <= 0)
		return;
	if (n > 0)
		qsort(v, (size_t)n, sizeof(*v), by_value);
	double sum = 0;
	for (int64_t i = 0; i < n; i++)
		sum += v[i];
	/* nearest rank */
	out->p50_ms = ranked(v, zeros, (int64_t)(0.50 * (double)(total - 1) + 0.5));
	out->p90_ms = ranked(v, zeros, (int64_t)(0.90 * (double)(total - 1) + 0.5));
	out->p99_ms = ranked(v, zeros, (int64_t)(0.99 * (double)(total - 1) + 0.5));
	out->max_ms = ranked(v, zeros, total - 1);
	out->mean_ms = sum / (double)total;
}

void lt_percentiles_of(double *v, int64_t n, struct lt_percentiles *out)
{
	percentiles_with_zeros(v, n, 0, out);
}

struct samples {
	double *v;
	int64_t n, cap;
	int64_t zeros; /* samples of 0 ms, counted only */
};

static int push(struct samples *s, double x)
{
	if (s->n == s->cap) {
		int64_t cap = s->cap ? s->cap * 2 : 1024;
		double *v = realloc(s->v, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

struct thread_count {
	int64_t pid, tid, start_ns, end_ns, n;
};

/* Index of (pid, tid) in t[0..n) (sorted), or -1. */
static int64_t find_thread(const struct thread_count *t, size_t n, int64_t pid, int64_t tid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].pid < pid || (t[mid].pid == pid && t[mid].tid < tid))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && t[lo].pid == pid && t[lo].tid == tid ? (int64_t)lo : -1;
}

/* The JS thread with the most dispatches (of the processes the filter
 * keeps; on a tie the first in (pid, tid) order): the loop the user cares
 * about.  Counted from the dispatch table: a GROUP BY sorted every dispatch. */
static int pick_thread(sqlite3 *db, const struct lt_dispatch_table *d, const struct lt_filter *filter,
		       struct lt_metrics *m)
{
	sqlite3_stmt *s;
	struct thread_count *t = NULL;
	size_t n = 0, cap = 0;
	int rc = 0, step;
	int64_t *per_thread = calloc(d->n_threads ? d->n_threads : 1, sizeof(*per_thread));
	if (!per_thread)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++)
		per_thread[d->thread[i]]++;
	if (sqlite3_prepare_v2(db, "SELECT pid, tid, start_ns, end_ns FROM threads ORDER BY pid, tid", -1, &s,
			       NULL) != SQLITE_OK)
		return -EIO;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct thread_count *grown = realloc(t, cap * sizeof(*grown));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			t = grown;
		}
		t[n++] = (struct thread_count){sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
					       sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3), 0};
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	if (rc != 0)
		goto free_threads;
	for (size_t k = 0; k < d->n_threads; k++) {
		int64_t at = find_thread(t, n, d->threads[k].pid, d->threads[k].tid);
		if (at >= 0)
			t[at].n = per_thread[k];
	}
	int64_t best = -1;
	for (size_t i = 0; i < n; i++)
		if (t[i].n > 0 && (!filter || lt_filter_pid(filter, t[i].pid)) && (best < 0 || t[i].n > t[best].n))
			best = (int64_t)i;
	if (best >= 0) {
		m->pid = t[best].pid;
		m->tid = t[best].tid;
		m->dispatches = t[best].n;
		m->start_ns = t[best].start_ns;
		m->wall_ms = (double)(t[best].end_ns - m->start_ns) / 1e6;
	}
free_threads:
	free(per_thread);
	free(t);
	return rc;
}

/* busy_and_queues as one GROUP BY (it sorts the thread's dispatches): for
 * a queue name the check did not see (a trace this process wrote). */
static int busy_and_queues_sql(sqlite3 *db, struct lt_metrics *m)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT queue, count(*), sum(end_ns - begin_ns) FROM dispatches"
			       " WHERE pid = ? AND tid = ? AND depth = 1 GROUP BY queue",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, m->pid);
	sqlite3_bind_int64(s, 2, m->tid);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *q = (const char *)sqlite3_column_text(s, 0);
		double ms = (double)sqlite3_column_int64(s, 2) / 1e6;
		for (int k = 0; k < LT_QUEUE_COUNT && q; k++)
			if (!strcmp(q, lt_queue_name((enum lt_queue)k))) {
				m->by_queue[k] = sqlite3_column_int64(s, 1);
				m->busy_by_queue_ms[k] = ms;
			}
		if (q && !strcmp(q, "main"))
			m->startup_ms += ms;
		m->busy_ms += ms;
	}
	sqlite3_finalize(s);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(lt_queue_name(*(const enum lt_queue *)a), lt_queue_name(*(const enum lt_queue *)b));
}

/* Top-level dispatches of the thread per queue: counts and busy time.  The
 * sums are added in queue-name order, as the GROUP BY did (same doubles);
 * a sum that overflows ends the list there, as SQLite's sum() error did. */
static int busy_and_queues(sqlite3 *db, const struct lt_dispatch_table *d, struct lt_metrics *m)
{
	int64_t thread = lt_dispatch_thread_index(d, m->pid, m->tid);
	int64_t count[LT_QUEUE_COUNT] = {0}, sum[LT_QUEUE_COUNT] = {0};
	int overflow[LT_QUEUE_COUNT] = {0};
	for (size_t i = 0; thread >= 0 && i < d->n; i++) {
		if (d->thread[i] != (uint32_t)thread || d->depth[i] != 1)
			continue;
		uint8_t q = d->queue[i];
		if (q >= LT_QUEUE_COUNT)
			return busy_and_queues_sql(db, m);
		count[q]++;
		if (__builtin_add_overflow(sum[q], d->end_ns[i] - d->begin_ns[i], &sum[q]))
			overflow[q] = 1;
	}
	enum lt_queue order[LT_QUEUE_COUNT];
	for (int k = 0; k < LT_QUEUE_COUNT; k++)
		order[k] = (enum lt_queue)k;
	qsort(order, LT_QUEUE_COUNT, sizeof(order[0]), by_name);
	for (int i = 0; i < LT_QUEUE_COUNT; i++) {
		int k = order[i];
		if (!count[k])
			continue;
		if (overflow[k])
			break;
		double ms = (double)sum[k] / 1e6;
		m->by_queue[k] = count[k];
		m->busy_by_queue_ms[k] = ms;
		if (!strcmp(lt_queue_name((enum lt_queue)k), "main"))
			m->startup_ms += ms;
		m->busy_ms += ms;
	}
	return 0;
}

/* Time in the thread's main-queue dispatches (any depth) into *sum;
 * -EOVERFLOW when it does not fit, as SQLite's sum() fails. */
static int main_ns(const struct lt_dispatch_table *d, int64_t pid, int64_t tid, int64_t *sum)
{
	int64_t thread = lt_dispatch_thread_index(d, pid, tid);
	*sum = 0;
	for (size_t i = 0; thread >= 0 && i < d->n; i++)
		if (d->thread[i] == (uint32_t)thread && d->queue[i] == LT_QUEUE_MAIN &&
		    __builtin_add_overflow(*sum, d->end_ns[i] - d->begin_ns[i], sum))
			return -EOVERFLOW;
	return 0;
}

int lt_loop_mode_with(sqlite3 *db, const struct lt_dispatch_table *d, int64_t pid, int64_t tid,
		      enum lt_loop_mode *mode)
{
	static const char sql[] =
		"SELECT (SELECT end_ns - start_ns FROM threads WHERE pid = ?1 AND tid = ?2),"
		" (SELECT COALESCE(sum(end_ns - begin_ns), 0) FROM dispatches"
		"   WHERE pid = ?1 AND tid = ?2 AND queue = 'main' AND ?3),"
		" (SELECT COALESCE(sum(poll_end_ns - poll_begin_ns), 0) FROM iterations"
		"   WHERE pid = ?1 AND tid = ?2 AND poll_end_ns > poll_begin_ns),"
		" EXISTS (SELECT 1 FROM resources WHERE pid = ?1 AND tid = ?2"
		"   AND type IN ('TCPSERVERWRAP', 'PIPESERVERWRAP', 'UDPWRAP'))";
	sqlite3_stmt *s;
	*mode = LT_MODE_SERVICE;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, pid);
	sqlite3_bind_int64(s, 2, tid);
	sqlite3_bind_int(s, 3, d == NULL); /* with a table, summed from it */
	if (sqlite3_step(s) == SQLITE_ROW) {
		int64_t main = sqlite3_column_int64(s, 1);
		if (d && main_ns(d, pid, tid, &main) != 0) {
			sqlite3_finalize(s);
			return 0; /* no answer: a service, as when the query failed */
		}
		double life = (double)(sqlite3_column_int64(s, 0) - main);
		double idle = (double)sqlite3_column_int64(s, 2);
		int listened = sqlite3_column_int(s, 3);
		if (!listened && life > 0 && idle < LT_BATCH_IDLE_SHARE * life)
			*mode = LT_MODE_BATCH;
	}
	sqlite3_finalize(s);
	return 0;
}

int lt_loop_mode(sqlite3 *db, int64_t pid, int64_t tid, enum lt_loop_mode *mode)
{
	return lt_loop_mode_with(db, NULL, pid, tid, mode);
}

/* Batch runs: the sites whose callbacks took the most time, by where each
 * callback was scheduled (its site's user frame, else its library frame). */
static int hottest_sites(sqlite3 *db, struct lt_metrics *m)
{
	static const char sql[] =
		"SELECT COALESCE(u.file, l.file) AS file, COALESCE(u.function, l.function),"
		" COALESCE(u.line, l.line) AS line, COALESCE(u.column, l.column) AS col, count(*),"
		" sum(d.end_ns - d.begin_ns) / 1e6 AS ms"
		" FROM dispatches d LEFT JOIN resources r ON r.id = d.resource_id"
		" LEFT JOIN promises p ON p.id = d.promise_id"
		" LEFT JOIN temp.user_frame u ON u.stack_id = COALESCE(r.site_stack_id, p.site_stack_id)"
		" LEFT JOIN temp.library_frame l ON l.stack_id = COALESCE(r.site_stack_id, p.site_stack_id)"
		" WHERE d.pid = ? AND d.tid = ? AND d.depth = 1 AND d.queue NOT IN ('main', 'exit')"
		" AND COALESCE(u.file, l.file) IS NOT NULL"
		" GROUP BY 1, 3, 4 ORDER BY ms DESC LIMIT ?";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, m->pid);
	sqlite3_bind_int64(s, 2, m->tid);
	sqlite3_bind_int(s, 3, LT_HOTTEST);
	while (m->n_hottest < LT_HOTTEST && sqlite3_step(s) == SQLITE_ROW) {
		struct lt_hot_site *h = &m->hottest[m->n_hottest++];
		const unsigned char *file = sqlite3_column_text(s, 0), *fn = sqlite3_column_text(s, 1);
		snprintf(h->file, sizeof(h->file), "%s", file ? (const char *)file : "");
		snprintf(h->function, sizeof(h->function), "%s", fn ? (const char *)fn : "");
		h->line = sqlite3_column_int64(s, 2);
		h->column = sqlite3_column_int64(s, 3);
		h->count = sqlite3_column_int64(s, 4);
		h->total_ms = sqlite3_column_double(s, 5);
	}
	sqlite3_finalize(s);
	return 0;
}

/* Replay a monitorEventLoopDelay timer over the recorded loop: it is due
 * every RESOLUTION after it last ran; it runs at the due time if the loop is
 * waiting in poll then, else when the next iteration reaches its timers
 * phase.  Each run records how late it was. */
static int lag_and_iterations(sqlite3 *db, struct lt_metrics *m, struct samples *lag,
			      struct samples *busy)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT begin_ns, poll_begin_ns, poll_end_ns, end_ns FROM iterations"
			       " WHERE pid = ? AND tid = ? ORDER BY n",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, m->pid);
	sqlite3_bind_int64(s, 2, m->tid);
	const int64_t res = (int64_t)(LT_LAG_RESOLUTION_MS * 1e6);
	int64_t due = m->start_ns + res; /* monitoring from the program's start */
	/* An attached trace starts in the middle of whatever the loop was doing
	 * (waiting in poll, most likely): monitoring starts with the first
	 * iteration seen, not with the attach. */
	int started = !m->attached;
	int rc = 0;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t begin = sqlite3_column_int64(s, 0);
		if (!started) {
			due = begin + res;
			started = 1;
		}
		int has_poll = sqlite3_column_type(s, 1) != SQLITE_NULL && sqlite3_column_type(s, 2) != SQLITE_NULL;
		int64_t pb = sqlite3_column_int64(s, 1), pe = sqlite3_column_int64(s, 2);
		int64_t end = sqlite3_column_int64(s, 3);
		m->iterations++;
		double idle = has_poll && pe > pb ? (double)(pe - pb) / 1e6 : 0;
		m->idle_ms += idle;
		double it_busy = (double)(end - begin) / 1e6 - idle;
		rc = push(busy, it_busy > 0 ? it_busy : 0);
		/* Timers phase of this iteration: every due time passed runs now
		 * (one run: a late repeating timer does not catch up). */
		if (due <= begin) {
			rc = rc ? rc : push(lag, (double)(begin - due) / 1e6);
			due = begin + res;
		}
		/* Expired while the loop was busy after its timers phase: the poll
		 * returns at once and the timer runs right after it. */
		if (has_poll && due < pb) {
			rc = rc ? rc : push(lag, (double)(pb - due) / 1e6);
			due = pb + res;
		}
		/* Waiting in poll: the timer wakes the loop on time. */
		if (rc == 0 && has_poll && due >= pb && due <= pe) {
			/* one on-time sample per resolution step: counted, in
			 * constant time, whatever the length of the wait */
			int64_t k = (pe - due) / res + 1;
			lag->zeros += k;
			due += k * res;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* A timer dispatch of the thread: its resource and row. */
struct timer_run {
	int64_t resource_id;
	size_t row;
};

static int by_resource_then_row(const void *a, const void *b)
{
	const struct timer_run *x = a, *y = b;
	if (x->resource_id != y->resource_id)
		return x->resource_id < y->resource_id ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* The thread's top-level timer dispatches of timers with a delay, by timer
 * then seq (the table gives the dispatches, one point query per timer its
 * creation and delay). */
static int timer_lateness(sqlite3 *db, const struct lt_dispatch_table *d, struct lt_metrics *m,
			  struct samples *late)
{
	int64_t thread = lt_dispatch_thread_index(d, m->pid, m->tid);
	size_t n = 0;
	for (size_t i = 0; thread >= 0 && i < d->n; i++)
		n += d->thread[i] == (uint32_t)thread && d->queue[i] == LT_QUEUE_TIMER && d->depth[i] == 1 &&
		     d->resource_id[i] >= 0;
	if (n == 0)
		return 0;
	struct timer_run *runs = malloc(n * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->thread[i] == (uint32_t)thread && d->queue[i] == LT_QUEUE_TIMER && d->depth[i] == 1 &&
		    d->resource_id[i] >= 0)
			runs[n++] = (struct timer_run){d->resource_id[i], i};
	qsort(runs, n, sizeof(*runs), by_resource_then_row);
	sqlite3_stmt *s;
	int rc = 0;
	if (sqlite3_prepare_v2(db, "SELECT created_ns, timer_delay_ms FROM resources WHERE id = ?", -1, &s, NULL) !=
	    SQLITE_OK) {
		rc = -EIO;
		goto free_runs;
	}
	int64_t last_id = -1, last_begin = 0, created = 0, delay = 0;
	int known = 0;
	for (size_t k = 0; k < n && rc == 0; k++) {
		int64_t id = runs[k].resource_id, begin = d->begin_ns[runs[k].row];
		if (k == 0 || id != runs[k - 1].resource_id) {
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 1, id);
			int step = sqlite3_step(s);
			if (step != SQLITE_ROW && step != SQLITE_DONE) {
				rc = -EIO;
				break;
			}
			known = step == SQLITE_ROW && sqlite3_column_type(s, 1) != SQLITE_NULL;
			if (known) {
				created = sqlite3_column_int64(s, 0);
				delay = sqlite3_column_int64(s, 1) * 1000000;
			}
		}
		if (!known)
			continue;
		/* An interval is due one delay after its previous run started. */
		int64_t due = (id == last_id ? last_begin : created) + delay;
		double ms = (double)(begin - due) / 1e6;
		rc = push(late, ms > 0 ? ms : 0);
		last_id = id;
		last_begin = begin;
	}
	sqlite3_finalize(s);
free_runs:
	free(runs);
	return rc;
}

const double lt_lag_bucket_ms[LT_LAG_BUCKETS - 1] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000};

static void bucket_lag(const struct samples *lag, int64_t *hist)
{
	hist[0] += lag->zeros;
	for (int64_t i = 0; i < lag->n; i++) {
		int k = 0;
		while (k < LT_LAG_BUCKETS - 1 && lag->v[i] > lt_lag_bucket_ms[k])
			k++;
		hist[k]++;
	}
}

/* "p50 A p99 B max C" from the trace's meta. */
static void meta_percentiles(sqlite3 *db, const char *key, struct lt_percentiles *p)
{
	char v[128];
	lt_store_get_meta(db, key, v, sizeof(v));
	if (sscanf(v, "p50 %lf p99 %lf max %lf", &p->p50_ms, &p->p99_ms, &p->max_ms) != 3)
		p->p50_ms = p->p99_ms = p->max_ms = 0;
}

static void attach_summary(sqlite3 *db, struct lt_metrics *m)
{
	char v[64];
	lt_store_get_meta(db, "capture", v, sizeof(v));
	m->attached = !strcmp(v, "bpf");
	lt_store_get_meta(db, "threadpool_done_ms", v, sizeof(v));
	m->threadpool_recorded = !m->attached && v[0];
	if (!m->attached && !m->threadpool_recorded)
		return;
	lt_store_get_meta(db, "threadpool_items", v, sizeof(v));
	m->threadpool_items = strtoll(v, NULL, 10);
	meta_percentiles(db, "threadpool_queue_wait_ms", &m->threadpool_wait);
	meta_percentiles(db, "threadpool_run_ms", &m->threadpool_run);
	m->threadpool_wait.count = m->threadpool_run.count = m->threadpool_items;
	if (!m->threadpool_recorded)
		return;
	lt_store_get_meta(db, "threadpool_timed_items", v, sizeof(v));
	m->threadpool_timed = strtoll(v, NULL, 10);
	m->threadpool_wait.count = m->threadpool_run.count = m->threadpool_timed;
	meta_percentiles(db, "threadpool_done_ms", &m->threadpool_done);
	m->threadpool_done.count = m->threadpool_items;
	lt_store_get_meta(db, "threadpool_items_by_kind", m->threadpool_kinds, sizeof(m->threadpool_kinds));
}

int lt_metrics_compute(sqlite3 *db, struct lt_metrics *m) { return lt_metrics_compute_for(db, NULL, m); }

int lt_metrics_compute_for(sqlite3 *db, const struct lt_filter *filter, struct lt_metrics *m)
{
	struct lt_dispatch_table d;
	int rc = lt_dispatch_table_load(db, &d);
	if (rc != 0) {
		memset(m, 0, sizeof(*m));
		return rc;
	}
	rc = lt_metrics_compute_with(db, &d, filter, m);
	lt_dispatch_table_free(&d);
	return rc;
}

int lt_metrics_compute_with(sqlite3 *db, const struct lt_dispatch_table *d, const struct lt_filter *filter,
			    struct lt_metrics *m)
{
	memset(m, 0, sizeof(*m));
	struct samples lag = {0}, late = {0}, busy = {0};
	attach_summary(db, m);
	int rc = pick_thread(db, d, filter, m);
	if (rc == 0 && m->dispatches > 0) {
		rc = busy_and_queues(db, d, m);
		if (rc == 0)
			rc = lag_and_iterations(db, m, &lag, &busy);
		if (rc == 0)
			rc = timer_lateness(db, d, m, &late);
		if (rc == 0 && !m->attached)
			rc = lt_loop_mode_with(db, d, m->pid, m->tid, &m->mode);
		if (rc == 0 && m->mode == LT_MODE_BATCH)
			rc = hottest_sites(db, m);
	}
	if (m->wall_ms > 0)
		m->utilization = 1.0 - m->idle_ms / m->wall_ms;
	bucket_lag(&lag, m->lag_histogram);
	percentiles_with_zeros(lag.v, lag.n, lag.zeros, &m->lag);
	lt_percentiles_of(late.v, late.n, &m->timer_lateness);
	lt_percentiles_of(busy.v, busy.n, &m->iteration_busy);
	free(lag.v);
	free(late.v);
	free(busy.v);
	return rc;
}
