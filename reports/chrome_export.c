/*
 * chrome_export.c — a trace as Chrome trace-event JSON (Perfetto UI,
 * chrome://tracing): a B/E slice pair per dispatch on its thread, flow arrows
 * from where a callback was scheduled to where it ran, async spans for the
 * lifetimes of handles and of promises that stayed pending a while, counters
 * for busy time per loop iteration and for open handles, and process and
 * thread names.  Streams over SQLite; times are microseconds since the trace
 * started, in fixed notation (lt_chrome_ts).  A window (--from/--to, --pid,
 * --tid) is one SQL condition on the dispatches, bound by name in every
 * statement; what is not a dispatch is kept to the time they cover.
 */
#include "chrome_export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/filter.h"
#include "../analyzer/store.h"
#include "json.h"

/* Promise lifetimes shorter than this are not worth a span. */
#define MIN_PROMISE_SPAN_NS 1000000
#define MAX_PROMISE_SPANS 50000

struct exporter {
	sqlite3 *db;
	struct lt_json j;
	int64_t origin;
	/* the window, as bound into every statement */
	int64_t from, to;  /* seq, inclusive */
	int64_t t0, t1;    /* ns, what the chosen dispatches cover (clipping) */
	char *pids, *tids; /* JSON arrays, NULL: all */
};

char *lt_chrome_ts(int64_t ns, char buf[LT_CHROME_TS_MAX])
{
	uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	snprintf(buf, LT_CHROME_TS_MAX, "%s%" PRIu64 ".%03u", ns < 0 ? "-" : "", mag / 1000,
		 (unsigned)(mag % 1000));
	return buf;
}

/* A dispatch (alias a) inside the window. */
#define IN_WINDOW(a)                                                                           \
	" " a ".seq BETWEEN :from AND :to AND (:pids IS NULL OR " a ".pid IN (SELECT value FROM" \
	" json_each(:pids))) AND (:tids IS NULL OR " a ".tid IN (SELECT value FROM json_each(:tids))) "
/* Anything else with a pid and tid (alias a) on the chosen threads. */
#define ON_THREADS(a)                                                                          \
	" (:pids IS NULL OR " a ".pid IN (SELECT value FROM json_each(:pids))) AND (:tids IS NULL" \
	" OR " a ".tid IN (SELECT value FROM json_each(:tids))) "

static void bind_int(sqlite3_stmt *s, const char *name, int64_t v)
{
	int k = sqlite3_bind_parameter_index(s, name);
	if (k > 0)
		sqlite3_bind_int64(s, k, v);
}

static void bind_list(sqlite3_stmt *s, const char *name, const char *json)
{
	int k = sqlite3_bind_parameter_index(s, name);
	if (k > 0 && json)
		sqlite3_bind_text(s, k, json, -1, SQLITE_STATIC);
}

/* Prepare sql with the window bound; NULL on failure. */
static sqlite3_stmt *prepare(struct exporter *x, const char *sql)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(x->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	bind_int(s, ":from", x->from);
	bind_int(s, ":to", x->to);
	bind_int(s, ":t0", x->t0);
	bind_int(s, ":t1", x->t1);
	bind_list(s, ":pids", x->pids);
	bind_list(s, ":tids", x->tids);
	return s;
}

static void put_ts(struct exporter *x, int64_t ns)
{
	char buf[LT_CHROME_TS_MAX];
	lt_json_number_text(&x->j, lt_chrome_ts(ns - x->origin, buf));
}

static const char *text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? (const char *)t : "";
}

/* {"name", "ph", "pid", "tid", "ts"} — the common head of an event; the
 * caller adds fields and closes the object. */
static void event_head(struct exporter *x, const char *name, const char *ph, int64_t pid, int64_t tid,
		       int64_t ts_ns)
{
	struct lt_json *j = &x->j;
	lt_json_begin_object(j);
	lt_json_key_cstring(j, "name", name);
	lt_json_key_cstring(j, "ph", ph);
	lt_json_key_int(j, "pid", pid);
	lt_json_key_int(j, "tid", tid);
	lt_json_key(j, "ts");
	put_ts(x, ts_ns);
}

static int names(struct exporter *x)
{
	sqlite3_stmt *s;
	if (!(s = prepare(x, "SELECT pid, tid, is_main_thread, COALESCE(argv, main_script, ''), js_thread_id"
			     " FROM threads t WHERE" ON_THREADS("t") "ORDER BY pid, tid")))
		return -EIO;
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t pid = sqlite3_column_int64(s, 0), tid = sqlite3_column_int64(s, 1);
		char name[512];
		if (sqlite3_column_int(s, 2)) {
			event_head(x, "process_name", "M", pid, tid, x->origin);
			lt_json_key(&x->j, "args");
			lt_json_begin_object(&x->j);
			lt_json_key(&x->j, "name");
			snprintf(name, sizeof(name), "%s (pid %lld)", text(s, 3), (long long)pid);
			lt_json_cstring(&x->j, name);
			lt_json_end_object(&x->j);
			lt_json_end_object(&x->j);
		}
		event_head(x, "thread_name", "M", pid, tid, x->origin);
		lt_json_key(&x->j, "args");
		lt_json_begin_object(&x->j);
		lt_json_key(&x->j, "name");
		if (sqlite3_column_int(s, 2))
			snprintf(name, sizeof(name), "main thread (event loop)");
		else if (sqlite3_column_type(s, 4) != SQLITE_NULL)
			snprintf(name, sizeof(name), "worker %lld", (long long)sqlite3_column_int64(s, 4));
		else
			snprintf(name, sizeof(name), "thread %lld", (long long)tid);
		lt_json_cstring(&x->j, name);
		lt_json_end_object(&x->j);
		lt_json_end_object(&x->j);
	}
	sqlite3_finalize(s);
	return 0;
}

/* Slices, nested the way dispatches nest: a dispatch of depth d has d - 1
 * ancestors open on its thread; the E of a slice is written once nothing on
 * its thread can nest in it any more. */
#define MAX_OPEN 256

struct open_slice {
	int64_t end_ns, pid, tid;
};

static void close_top(struct exporter *x, struct open_slice *open, int *n)
{
	struct open_slice *o = &open[--*n];
	event_head(x, "", "E", o->pid, o->tid, o->end_ns);
	lt_json_end_object(&x->j);
}

static const char slices_sql[] =
	"SELECT d.seq, d.pid, d.tid, d.queue, d.type, d.begin_ns, d.end_ns, d.depth,"
	" COALESCE(r.callback, ''), d.trigger_seq, t.pid, t.tid, t.begin_ns, t.end_ns,"
	" COALESCE(r.created_ns, p.created_ns), d.iteration, d.phase,"
	" (SELECT group_concat(o.text, '') FROM output o WHERE o.dispatch_seq = d.seq)"
	" FROM dispatches d"
	" LEFT JOIN resources r ON r.id = d.resource_id"
	" LEFT JOIN promises p ON p.id = d.promise_id"
	" LEFT JOIN dispatches t ON t.seq = d.trigger_seq AND" IN_WINDOW("t")
	" WHERE" IN_WINDOW("d")
	" ORDER BY d.pid, d.tid, d.seq";

static int slices(struct exporter *x, struct lt_export_stats *st)
{
	sqlite3_stmt *s;
	if (!(s = prepare(x, slices_sql)))
		return -EIO;
	struct open_slice open[MAX_OPEN];
	int n = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0), pid = sqlite3_column_int64(s, 1);
		int64_t tid = sqlite3_column_int64(s, 2), begin = sqlite3_column_int64(s, 5);
		int64_t end = sqlite3_column_int64(s, 6);
		int64_t depth = sqlite3_column_int64(s, 7);
		while (n > 0 && (open[n - 1].pid != pid || open[n - 1].tid != tid || n >= depth))
			close_top(x, open, &n);
		const char *callback = text(s, 8);
		char name[512];
		snprintf(name, sizeof(name), "%s%s%s", text(s, 4), callback[0] ? " " : "", callback);
		event_head(x, name, "B", pid, tid, begin);
		lt_json_key(&x->j, "cat");
		lt_json_cstring(&x->j, text(s, 3));
		lt_json_key(&x->j, "args");
		lt_json_begin_object(&x->j);
		lt_json_key(&x->j, "seq");
		lt_json_int(&x->j, seq);
		lt_json_key(&x->j, "queue");
		lt_json_cstring(&x->j, text(s, 3));
		lt_json_key(&x->j, "iteration");
		lt_json_int(&x->j, sqlite3_column_int64(s, 15));
		lt_json_key(&x->j, "phase");
		lt_json_cstring(&x->j, text(s, 16));
		if (sqlite3_column_type(s, 17) != SQLITE_NULL) {
			lt_json_key(&x->j, "output");
			lt_json_string(&x->j, (const char *)sqlite3_column_text(s, 17),
				       (size_t)sqlite3_column_bytes(s, 17));
		}
		lt_json_end_object(&x->j);
		lt_json_end_object(&x->j);
		st->slices++;
		if (n < MAX_OPEN)
			open[n++] = (struct open_slice){end < begin ? begin : end, pid, tid};

		/* enqueue -> dispatch: from inside the scheduling dispatch, at the
		 * moment the callback was created, to the start of this slice */
		if (sqlite3_column_type(s, 9) != SQLITE_NULL && sqlite3_column_type(s, 10) != SQLITE_NULL) {
			int64_t tb = sqlite3_column_int64(s, 12), te = sqlite3_column_int64(s, 13);
			int64_t at = sqlite3_column_type(s, 14) != SQLITE_NULL ? sqlite3_column_int64(s, 14) : tb;
			if (at < tb)
				at = tb;
			if (at > te)
				at = te;
			event_head(x, "scheduled", "s", sqlite3_column_int64(s, 10), sqlite3_column_int64(s, 11), at);
			lt_json_key(&x->j, "cat");
			lt_json_cstring(&x->j, "enqueue");
			lt_json_key(&x->j, "id");
			lt_json_int(&x->j, seq);
			lt_json_end_object(&x->j);
			event_head(x, "scheduled", "f", pid, tid, begin);
			lt_json_key(&x->j, "cat");
			lt_json_cstring(&x->j, "enqueue");
			lt_json_key(&x->j, "id");
			lt_json_int(&x->j, seq);
			lt_json_key(&x->j, "bp");
			lt_json_cstring(&x->j, "e");
			lt_json_end_object(&x->j);
			st->flows++;
		}
	}
	while (n > 0)
		close_top(x, open, &n);
	return lt_store_scan_done(s, step);
}

/* Async spans: handles from creation to close (or the end), promises that
 * stayed pending at least MIN_PROMISE_SPAN_NS from creation to settlement;
 * those of the chosen threads that overlap [t0, t1], clipped to it. */
#define HANDLE_TYPES \
	"('TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'UDPWRAP', 'PROCESSWRAP'," \
	" 'FSEVENTWRAP', 'STATWATCHER', 'SIGNALWRAP', 'MESSAGEPORT', 'WORKER')"

static const char spans_sql[] =
	"SELECT kind, id, pid, tid, what, max(b, :t0), min(e, :t1) FROM ("
	" SELECT 'handle' AS kind, r.id, r.pid, r.tid, r.type AS what, r.created_ns AS b,"
	"  COALESCE(r.destroyed_ns, (SELECT max(end_ns) FROM threads t WHERE t.pid = r.pid)) AS e"
	"  FROM resources r WHERE r.type IN " HANDLE_TYPES " AND" ON_THREADS("r")
	" UNION ALL SELECT * FROM (SELECT 'promise', p.id, p.pid, p.tid, p.state, p.created_ns,"
	"  COALESCE(p.settled_ns, (SELECT max(end_ns) FROM threads t WHERE t.pid = p.pid)) AS e"
	"  FROM promises p WHERE e - p.created_ns >= :min_span AND p.created_ns <= :t1 AND e >= :t0 AND"
	ON_THREADS("p") " LIMIT :max_spans))"
	" WHERE b <= :t1 AND e >= :t0 AND e IS NOT NULL";

static int spans(struct exporter *x, struct lt_export_stats *st)
{
	sqlite3_stmt *s;
	if (!(s = prepare(x, spans_sql)))
		return -EIO;
	bind_int(s, ":min_span", MIN_PROMISE_SPAN_NS);
	bind_int(s, ":max_spans", MAX_PROMISE_SPANS);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *cat = text(s, 0);
		char name[128];
		snprintf(name, sizeof(name), "%s %s", cat, text(s, 4));
		int64_t b = sqlite3_column_int64(s, 5), e = sqlite3_column_int64(s, 6);
		for (int k = 0; k < 2; k++) {
			event_head(x, name, k ? "e" : "b", sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
				   k ? (e < b ? b : e) : b);
			lt_json_key(&x->j, "cat");
			lt_json_cstring(&x->j, cat);
			lt_json_key(&x->j, "id");
			char id[64];
			snprintf(id, sizeof(id), "%s-%lld", cat, (long long)sqlite3_column_int64(s, 1));
			lt_json_cstring(&x->j, id);
			lt_json_end_object(&x->j);
		}
		st->spans++;
	}
	return lt_store_scan_done(s, step);
}

static const char busy_sql[] =
	"SELECT i.pid, i.tid, i.begin_ns,"
	" (i.end_ns - i.begin_ns - COALESCE(i.poll_end_ns - i.poll_begin_ns, 0)) / 1e6"
	" FROM iterations i JOIN threads t ON t.pid = i.pid AND t.tid = i.tid"
	" WHERE t.js_thread_id IS NOT NULL AND i.begin_ns BETWEEN :t0 AND :t1 AND" ON_THREADS("i")
	" ORDER BY i.pid, i.tid, i.n";

/* Open handles per process: counted from the start, written inside the
 * window.  A process-wide count, so left out when threads are chosen. */
static const char handles_sql[] =
	"SELECT pid, ts, open FROM"
	" (SELECT pid, ts, sum(delta) OVER (PARTITION BY pid ORDER BY ts ROWS UNBOUNDED PRECEDING) AS open FROM"
	"  (SELECT pid, created_ns AS ts, 1 AS delta FROM resources WHERE type IN " HANDLE_TYPES
	"   UNION ALL SELECT pid, destroyed_ns, -1 FROM resources WHERE destroyed_ns IS NOT NULL"
	"    AND type IN " HANDLE_TYPES "))"
	" WHERE ts BETWEEN :t0 AND :t1 AND :tids IS NULL AND"
	" (:pids IS NULL OR pid IN (SELECT value FROM json_each(:pids)))"
	" ORDER BY pid, ts";

static int counters(struct exporter *x, struct lt_export_stats *st)
{
	sqlite3_stmt *s;
	if (!(s = prepare(x, busy_sql)))
		return -EIO;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		event_head(x, "loop busy per iteration", "C", sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
			   sqlite3_column_int64(s, 2));
		lt_json_key(&x->j, "args");
		lt_json_begin_object(&x->j);
		lt_json_key(&x->j, "ms");
		lt_json_double(&x->j, sqlite3_column_double(s, 3));
		lt_json_end_object(&x->j);
		lt_json_end_object(&x->j);
		st->counters++;
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE || !(s = prepare(x, handles_sql)))
		return -EIO;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		event_head(x, "open handles", "C", sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 0),
			   sqlite3_column_int64(s, 1));
		lt_json_key(&x->j, "args");
		lt_json_begin_object(&x->j);
		lt_json_key(&x->j, "handles");
		lt_json_int(&x->j, sqlite3_column_int64(s, 2));
		lt_json_end_object(&x->j);
		lt_json_end_object(&x->j);
		st->counters++;
	}
	return lt_store_scan_done(s, step);
}

/* "[1,2,3]", malloc'd; NULL for an empty list (all). */
static char *json_list(const int64_t *v, size_t n, int *oom)
{
	char *s = lt_filter_id_list(v, n);
	if (n && !s)
		*oom = 1;
	return s;
}

/* The time the chosen dispatches cover, when --from/--to narrow them (else
 * everything: nothing is clipped). */
static int window_times(struct exporter *x)
{
	x->t0 = INT64_MIN;
	x->t1 = INT64_MAX;
	if (x->from == 0 && x->to == INT64_MAX)
		return 0;
	sqlite3_stmt *s = prepare(x, "SELECT min(begin_ns), max(end_ns) FROM dispatches d WHERE" IN_WINDOW("d"));
	if (!s)
		return -EIO;
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		x->t0 = sqlite3_column_int64(s, 0);
		x->t1 = sqlite3_column_int64(s, 1);
	} else if (step == SQLITE_ROW) {
		x->t0 = 1; /* no dispatch chosen: an empty window */
		x->t1 = 0;
	}
	sqlite3_finalize(s);
	return step == SQLITE_ROW ? 0 : -EIO;
}

int lt_export_chrome(sqlite3 *db, const struct lt_export_window *w, FILE *out, struct lt_export_stats *st,
		     char *err, size_t errlen)
{
	struct exporter x = {.db = db, .to = INT64_MAX};
	memset(st, 0, sizeof(*st));
	int oom = 0, rc = -ENOMEM;
	if (w) {
		x.from = w->from_seq > 0 ? w->from_seq : 0;
		x.to = w->to_seq > 0 ? w->to_seq : INT64_MAX;
		x.pids = json_list(w->pids, w->n_pids, &oom);
		x.tids = json_list(w->tids, w->n_tids, &oom);
	}
	if (oom) {
		snprintf(err, errlen, "out of memory");
		goto free_lists;
	}
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT COALESCE(min(start_ns), 0) FROM threads", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			x.origin = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	rc = window_times(&x);
	lt_json_init(&x.j, out);
	lt_json_begin_object(&x.j);
	lt_json_key(&x.j, "displayTimeUnit");
	lt_json_cstring(&x.j, "ms");
	lt_json_key(&x.j, "traceEvents");
	lt_json_begin_array(&x.j);
	if (rc == 0)
		rc = names(&x);
	if (rc == 0)
		rc = slices(&x, st);
	if (rc == 0)
		rc = spans(&x, st);
	if (rc == 0)
		rc = counters(&x, st);
	lt_json_end_array(&x.j);
	lt_json_end_object(&x.j);
	fputc('\n', out);
	if (rc != 0)
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
free_lists:
	free(x.pids);
	free(x.tids);
	return rc;
}
