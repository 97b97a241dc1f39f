/*
 * marks.c — late timers and rejections, by dispatch.
 */
#include "marks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A timer is due its delay after it was created; a repeating one, its
 * delay after its previous run started (what Node does). */
static const char late_sql[] =
	"SELECT seq, late_ns FROM ("
	" SELECT d.seq, d.begin_ns - (COALESCE(LAG(d.begin_ns) OVER (PARTITION BY d.resource_id ORDER BY d.seq),"
	"  r.created_ns) + r.timer_delay_ms * 1000000) AS late_ns"
	" FROM dispatches d JOIN resources r ON r.id = d.resource_id"
	" WHERE d.queue = 'timer' AND d.depth = 1 AND r.timer_delay_ms IS NOT NULL)"
	" WHERE late_ns >= ?";

/* Node reports an unhandled rejection after the microtasks of a callback
 * have run, outside any dispatch: such a rejection is marked on the last
 * top-level dispatch of its thread that started before it. */
static const char rejection_sql[] =
	"SELECT COALESCE(j.dispatch_seq, (SELECT d.seq FROM dispatches d"
	"  WHERE d.pid = j.pid AND d.tid = j.tid AND d.depth = 1 AND d.begin_ns <= j.ts_ns"
	"  ORDER BY d.seq DESC LIMIT 1)), j.kind"
	" FROM rejections j ORDER BY j.id LIMIT 10000";

static int push(struct lt_marks *m, size_t *cap, int64_t seq, double late_ms, const char *rejection)
{
	if (m->n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct lt_mark *items = realloc(m->items, c * sizeof(*items));
		if (!items)
			return -ENOMEM;
		m->items = items;
		*cap = c;
	}
	m->items[m->n++] = (struct lt_mark){.seq = seq, .late_ms = late_ms, .rejection = rejection};
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	int64_t x = ((const struct lt_mark *)a)->seq, y = ((const struct lt_mark *)b)->seq;
	return x < y ? -1 : x > y;
}

static const char *rejection_name(const char *kind)
{
	if (!kind)
		return NULL;
	if (!strcmp(kind, "unhandled"))
		return "unhandled-rejection";
	if (!strcmp(kind, "handled-late"))
		return "rejection-handled-late";
	if (!strcmp(kind, "uncaught-exception"))
		return "uncaught-exception";
	return NULL;
}

/* Fold entries for the same dispatch into one (the array is sorted). */
static void merge_same_seq(struct lt_marks *m)
{
	size_t w = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (w > 0 && m->items[w - 1].seq == m->items[i].seq) {
			struct lt_mark *k = &m->items[w - 1];
			if (m->items[i].late_ms > k->late_ms)
				k->late_ms = m->items[i].late_ms;
			if (!k->rejection)
				k->rejection = m->items[i].rejection;
			continue;
		}
		m->items[w++] = m->items[i];
	}
	m->n = w;
}

int lt_marks_load(sqlite3 *db, double late_ms, struct lt_marks *out)
{
	memset(out, 0, sizeof(*out));
	size_t cap = 0;
	int rc = 0, step;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, late_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(late_ms * 1e6));
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW)
		rc = push(out, &cap, sqlite3_column_int64(s, 0), (double)sqlite3_column_int64(s, 1) / 1e6, NULL);
	if (rc == 0 && step != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	if (rc != 0)
		goto free_marks;

	if (sqlite3_prepare_v2(db, rejection_sql, -1, &s, NULL) != SQLITE_OK) {
		rc = -EIO;
		goto free_marks;
	}
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = rejection_name((const char *)sqlite3_column_text(s, 1));
		if (name && sqlite3_column_type(s, 0) != SQLITE_NULL)
			rc = push(out, &cap, sqlite3_column_int64(s, 0), 0, name);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	if (rc != 0)
		goto free_marks;

	if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), by_seq);
	merge_same_seq(out);
	return 0;
free_marks:
	lt_marks_free(out);
	return rc;
}

const struct lt_mark *lt_marks_find(const struct lt_marks *m, int64_t seq)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->items[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->items[lo].seq == seq ? &m->items[lo] : NULL;
}

void lt_marks_free(struct lt_marks *m)
{
	free(m->items);
	m->items = NULL;
	m->n = 0;
}
