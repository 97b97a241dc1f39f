/*
 * idle_time.c — how long a thread's event loop sat waiting in its poll
 * between two instants (idle_time.h), from the trace's iterations.
 */
#include "idle_time.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void lt_polls_free(struct lt_polls *p)
{
	free(p->pid);
	free(p->tid);
	free(p->begin);
	free(p->end);
	free(p->before);
}

int lt_polls_load(sqlite3 *db, struct lt_polls *p)
{
	static const char sql[] = "SELECT pid, tid, poll_begin_ns, poll_end_ns FROM iterations"
				  " WHERE poll_end_ns > poll_begin_ns ORDER BY pid, tid, poll_begin_ns";
	sqlite3_stmt *s;
	memset(p, 0, sizeof(*p));
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	size_t cap = 0;
	int step, rc = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (p->n == cap) {
			cap = cap ? cap * 2 : 4096;
			int64_t *a = realloc(p->pid, cap * sizeof(*a)), *b = a ? realloc(p->tid, cap * sizeof(*b)) : NULL;
			if (a)
				p->pid = a;
			if (b)
				p->tid = b;
			int64_t *c = b ? realloc(p->begin, cap * sizeof(*c)) : NULL;
			if (c)
				p->begin = c;
			int64_t *d = c ? realloc(p->end, cap * sizeof(*d)) : NULL;
			if (d)
				p->end = d;
			double *e = d ? realloc(p->before, cap * sizeof(*e)) : NULL;
			if (e)
				p->before = e;
			if (!e) {
				rc = -ENOMEM;
				break;
			}
		}
		size_t i = p->n++;
		p->pid[i] = sqlite3_column_int64(s, 0);
		p->tid[i] = sqlite3_column_int64(s, 1);
		p->begin[i] = sqlite3_column_int64(s, 2);
		p->end[i] = sqlite3_column_int64(s, 3);
		int same = i > 0 && p->pid[i - 1] == p->pid[i] && p->tid[i - 1] == p->tid[i];
		p->before[i] = same ? p->before[i - 1] + (double)(p->end[i - 1] - p->begin[i - 1]) / 1e6 : 0;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	if (rc != 0)
		lt_polls_free(p);
	return rc;
}

/* First poll of (pid, tid) at or after `ns` (by begin), or the thread's
 * range end; *lo gets the thread's first index.  Returns -1 when the thread
 * has no polls. */
static int64_t polls_find(const struct lt_polls *p, int64_t pid, int64_t tid, int64_t ns, size_t *lo_out,
			  size_t *hi_out)
{
	size_t lo = 0, hi = p->n;
	while (lo < hi) { /* first row of the thread */
		size_t mid = lo + (hi - lo) / 2;
		if (p->pid[mid] < pid || (p->pid[mid] == pid && p->tid[mid] < tid))
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t first = lo;
	hi = p->n;
	size_t l2 = first, h2 = hi;
	while (l2 < h2) { /* one past the thread's last row */
		size_t mid = l2 + (h2 - l2) / 2;
		if (p->pid[mid] == pid && p->tid[mid] == tid)
			l2 = mid + 1;
		else
			h2 = mid;
	}
	size_t last = l2;
	if (first == last)
		return -1;
	lo = first;
	hi = last;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->begin[mid] < ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	*lo_out = first;
	*hi_out = last;
	return (int64_t)lo;
}

double lt_idle_between(const struct lt_polls *p, int64_t pid, int64_t tid, int64_t a, int64_t b)
{
	size_t first, last;
	int64_t i = polls_find(p, pid, tid, a, &first, &last);
	if (i < 0)
		return -1;
	double ms = 0;
	/* a poll that began before a and is still running at a */
	if ((size_t)i > first && p->end[i - 1] > a)
		ms += (double)((p->end[i - 1] < b ? p->end[i - 1] : b) - a) / 1e6;
	int64_t j = polls_find(p, pid, tid, b, &first, &last);
	/* whole polls i .. j-1 begin in [a, b) */
	if (j > i) {
		ms += p->before[j - 1] - p->before[i];
		ms += (double)((p->end[j - 1] < b ? p->end[j - 1] : b) - p->begin[j - 1]) / 1e6;
	}
	return ms > 0 ? ms : 0;
}
