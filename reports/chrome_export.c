/*
 * chrome_export.c — a trace as Chrome trace-event JSON (Perfetto UI,
 * chrome://tracing): a B/E slice pair per dispatch on its thread, flow arrows
 * from where a callback was scheduled to where it ran, async spans for the
 * lifetimes of handles and of promises that stayed pending a while, counters
 * for busy time per loop iteration and for open handles, and process and
 * thread names.  Streams over SQLite; times are microseconds since the trace
 * started.
 */
#include "chrome_export.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

/* Promise lifetimes shorter than this are not worth a span. */
#define MIN_PROMISE_SPAN_NS 1000000
#define MAX_PROMISE_SPANS 50000

struct exporter {
	sqlite3 *db;
	struct lt_json j;
	int64_t origin;
};

static double us(const struct exporter *x, int64_t ns) { return (double)(ns - x->origin) / 1e3; }

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
	lt_json_key(j, "name");
	lt_json_cstring(j, name);
	lt_json_key(j, "ph");
	lt_json_cstring(j, ph);
	lt_json_key(j, "pid");
	lt_json_int(j, pid);
	lt_json_key(j, "tid");
	lt_json_int(j, tid);
	lt_json_key(j, "ts");
	lt_json_double(j, us(x, ts_ns));
}

static int names(struct exporter *x)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(x->db,
			       "SELECT pid, tid, is_main_thread, COALESCE(argv, main_script, ''), js_thread_id"
			       " FROM threads ORDER BY pid, tid",
			       -1, &s, NULL) != SQLITE_OK)
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
	" LEFT JOIN dispatches t ON t.seq = d.trigger_seq"
	" ORDER BY d.pid, d.tid, d.seq";

static int slices(struct exporter *x, struct lt_export_stats *st)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(x->db, slices_sql, -1, &s, NULL) != SQLITE_OK)
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
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : -EIO;
}

/* Async spans: handles from creation to close (or the end), promises that
 * stayed pending at least MIN_PROMISE_SPAN_NS from creation to settlement. */
static const char spans_sql[] =
	"SELECT 'handle', r.id, r.pid, r.tid, r.type, r.created_ns,"
	"  COALESCE(r.destroyed_ns, (SELECT max(end_ns) FROM threads t WHERE t.pid = r.pid))"
	" FROM resources r WHERE r.type IN ('TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP',"
	"  'UDPWRAP', 'PROCESSWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'SIGNALWRAP', 'MESSAGEPORT', 'WORKER')"
	" UNION ALL SELECT * FROM (SELECT 'promise', p.id, p.pid, p.tid, p.state, p.created_ns,"
	"  COALESCE(p.settled_ns, (SELECT max(end_ns) FROM threads t WHERE t.pid = p.pid)) AS e"
	"  FROM promises p WHERE e - p.created_ns >= ? LIMIT ?)";

static int spans(struct exporter *x, struct lt_export_stats *st)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(x->db, spans_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, MIN_PROMISE_SPAN_NS);
	sqlite3_bind_int(s, 2, MAX_PROMISE_SPANS);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *cat = text(s, 0);
		char name[128];
		snprintf(name, sizeof(name), "%s %s", cat, text(s, 4));
		for (int k = 0; k < 2; k++) {
			event_head(x, name, k ? "e" : "b", sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
				   sqlite3_column_int64(s, k ? 6 : 5));
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
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : -EIO;
}

static const char busy_sql[] =
	"SELECT i.pid, i.tid, i.begin_ns,"
	" (i.end_ns - i.begin_ns - COALESCE(i.poll_end_ns - i.poll_begin_ns, 0)) / 1e6"
	" FROM iterations i JOIN threads t ON t.pid = i.pid AND t.tid = i.tid"
	" WHERE t.js_thread_id IS NOT NULL ORDER BY i.pid, i.tid, i.n";

static const char handles_sql[] =
	"SELECT pid, ts, sum(delta) OVER (PARTITION BY pid ORDER BY ts ROWS UNBOUNDED PRECEDING) FROM"
	" (SELECT pid, created_ns AS ts, 1 AS delta FROM resources WHERE type IN ('TCPWRAP',"
	"   'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'UDPWRAP', 'PROCESSWRAP', 'FSEVENTWRAP',"
	"   'STATWATCHER', 'SIGNALWRAP', 'MESSAGEPORT', 'WORKER')"
	"  UNION ALL SELECT pid, destroyed_ns, -1 FROM resources WHERE destroyed_ns IS NOT NULL)"
	" ORDER BY pid, ts";

static int counters(struct exporter *x, struct lt_export_stats *st)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(x->db, busy_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	while (sqlite3_step(s) == SQLITE_ROW) {
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
	if (sqlite3_prepare_v2(x->db, handles_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	while (sqlite3_step(s) == SQLITE_ROW) {
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
	sqlite3_finalize(s);
	return 0;
}

int lt_export_chrome(sqlite3 *db, FILE *out, struct lt_export_stats *st, char *err, size_t errlen)
{
	struct exporter x = {.db = db};
	memset(st, 0, sizeof(*st));
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT COALESCE(min(start_ns), 0) FROM threads", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			x.origin = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	lt_json_init(&x.j, out);
	lt_json_begin_object(&x.j);
	lt_json_key(&x.j, "displayTimeUnit");
	lt_json_cstring(&x.j, "ms");
	lt_json_key(&x.j, "traceEvents");
	lt_json_begin_array(&x.j);
	int rc = names(&x);
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
	return rc;
}
