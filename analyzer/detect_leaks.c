/*
 * detect_leaks.c — leaked-handle: handles still open and ref'd when a
 * process ended without its loop running dry (killed, `record --duration`,
 * process.exit, a crash), i.e. handles that kept or would have kept it
 * alive; grouped by creation site, with type, age and a fix for the type.
 * Also never-settled-promise: pending promises from one site piling up all
 * through a run.  A process whose loop ran dry ('beforeExit') had nothing
 * keeping it alive, so it has no leaks by definition; one that exited on an
 * error of its own (uncaught exception, fatal rejection) is about that error.
 * Timers: one that already ran (one-shot) is spent; one whose due time
 * passed without it running was cleared; an interval is live if it was still
 * firing at the end.
 * An attached trace (meta capture = bpf) is a window on a process that goes
 * on running: a handle still open when the window closed is only a leak when
 * handles of its type and site kept piling up all through the window.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "store.h"

struct handle_kind {
	const char *type, *what, *fix;
};

static const struct handle_kind kinds[] = {
	{"Timeout", "timer", "clear it (clearTimeout/clearInterval) when done, or .unref() it if it must not keep the process alive"},
	{"TCPSERVERWRAP", "TCP server", "close it on shutdown (server.close()), or server.unref()"},
	{"PIPESERVERWRAP", "pipe server", "close it on shutdown (server.close()), or server.unref()"},
	{"TCPWRAP", "TCP socket", "end or destroy the socket when finished (socket.end()/destroy()); give idle connections a timeout"},
	{"PIPEWRAP", "pipe", "end or destroy the stream when finished, or unref() it"},
	{"UDPWRAP", "UDP socket", "close it (socket.close()) or socket.unref()"},
	{"PROCESSWRAP", "child process", "wait for or kill the child (child.kill()), or child.unref() to let it outlive this process"},
	{"FSEVENTWRAP", "fs.watch watcher", "close the watcher (watcher.close()) or watcher.unref()"},
	{"STATWATCHER", "fs.watchFile watcher", "stop it (fs.unwatchFile) or unref() it"},
	{"SIGNALWRAP", "signal listener", "remove the listener when done"},
	{"MESSAGEPORT", "MessagePort", "close the port (port.close()) or port.unref()"},
	{"WORKER", "worker thread", "terminate the worker or worker.unref()"},
	{"Immediate", "immediate", "clearImmediate it, or let it run"},
};

static const struct handle_kind *kind_of(const char *type)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].type, type))
			return &kinds[i];
	return NULL;
}

/* Live, ref'd handles at the end of processes that did not drain their loop,
 * grouped by type and creation site. */
static const char leaks_sql[] =
	"WITH ends AS (SELECT pid, max(end_ns) AS end_ns, min(start_ns) AS start_ns FROM threads GROUP BY pid),"
	" drained AS (SELECT DISTINCT pid FROM dispatches WHERE queue = 'exit' AND type = 'beforeExit'"
	"   UNION SELECT DISTINCT r.pid FROM rejections r JOIN dispatches x ON x.pid = r.pid"
	"   AND x.queue = 'exit' AND x.type = 'exit' WHERE r.kind IN ('unhandled', 'uncaught-exception')),"
	" closed AS (SELECT DISTINCT resource_id FROM dispatches WHERE queue = 'close' AND resource_id IS NOT NULL),"
	" runs AS (SELECT resource_id, count(*) AS n, max(begin_ns) AS last FROM dispatches"
	"   WHERE queue = 'timer' GROUP BY resource_id)"
	" SELECT r.pid, r.type, u.file, u.line, u.column, u.function, count(*),"
	"  (e.end_ns - min(r.created_ns)) / 1e6, max(COALESCE(runs.n, 0)), max(r.timer_delay_ms),"
	"  (max(r.created_ns) - e.start_ns) * 1.0 / (e.end_ns - e.start_ns),"
	"  (min(r.created_ns) - e.start_ns) * 1.0 / (e.end_ns - e.start_ns)"
	" FROM resources r JOIN ends e ON e.pid = r.pid"
	" LEFT JOIN temp.user_frame u ON u.stack_id = r.site_stack_id"
	" LEFT JOIN runs ON runs.resource_id = r.id"
	" WHERE r.destroyed_ns IS NULL AND r.ref = 1 AND r.pid NOT IN (SELECT pid FROM drained)"
	"  AND r.id NOT IN (SELECT resource_id FROM closed)"
	"  AND (r.type <> 'Timeout' OR (COALESCE(r.timer_repeat, 0) = 0 AND runs.n IS NULL"
	"        AND r.created_ns + r.timer_delay_ms * 1000000 > e.end_ns - 1000000)"
	"    OR (r.timer_repeat = 1 AND COALESCE(runs.last, r.created_ns) + 2 * r.timer_delay_ms * 1000000"
	"        + 1000000 >= e.end_ns))"
	"  AND r.type IN ('Timeout', 'TCPSERVERWRAP', 'PIPESERVERWRAP', 'TCPWRAP', 'PIPEWRAP', 'UDPWRAP',"
	"   'PROCESSWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'SIGNALWRAP', 'MESSAGEPORT', 'WORKER')"
	" GROUP BY r.pid, r.type, u.file, u.line, u.column ORDER BY count(*) DESC";

/* The trace is a window on a running process (eBPF attach). */
static int is_window(sqlite3 *db)
{
	char capture[16];
	lt_store_get_meta(db, "capture", capture, sizeof(capture));
	return !strcmp(capture, "bpf");
}

static int handles(struct lt_analysis *a)
{
	sqlite3_stmt *s;
	int window = is_window(a->db);
	if (sqlite3_prepare_v2(a->db, leaks_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(s, 1);
		const struct handle_kind *k = kind_of(type ? type : "");
		if (!k)
			continue;
		const char *file = (const char *)sqlite3_column_text(s, 2);
		int64_t count = sqlite3_column_int64(s, 6);
		double age_ms = sqlite3_column_double(s, 7);
		int64_t runs = sqlite3_column_int64(s, 8);
		int is_interval = !strcmp(type, "Timeout") && runs >= 1;
		/* Growing: handles from this site were still being created in the
		 * last quarter of the run, and the first ones date from the first. */
		int growing = count >= 20 && sqlite3_column_double(s, 10) > 0.75 &&
			      sqlite3_column_double(s, 11) < 0.25;
		if (window && !growing)
			continue;
		struct lt_finding *f = lt_findings_add(&a->findings, "leaked-handle",
						       growing || count > 1 ? LT_SEV_ERROR : LT_SEV_WARNING);
		if (!f)
			return -ENOMEM;
		const char *what = is_interval ? "interval timer" : k->what;
		if (count > 1)
			lt_finding_message(f, "%lld %ss (%s) still open at the end%s; the oldest for %.0f ms: they keep the process alive",
					   (long long)count, what, type, growing ? ", and their number kept growing" : "", age_ms);
		else
			lt_finding_message(f, "%s %s (%s) still open at the end, for %.0f ms: it keeps the process alive",
					   strchr("aeiou", what[0]) ? "An" : "A", what, type, age_ms);
		lt_finding_fix(f, "%s", k->fix);
		lt_finding_location(f, file, sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4),
				    (const char *)sqlite3_column_text(s, 5));
		f->pid = sqlite3_column_int64(s, 0);
		f->impact_ms = age_ms * (double)count / 1000.0;
		lt_finding_int(f, "count", count);
		lt_finding_text(f, "type", type);
		lt_finding_number(f, "age_ms", age_ms);
		lt_finding_bool(f, "growing", growing);
		if (is_interval) {
			lt_finding_int(f, "runs", runs);
			lt_finding_int(f, "interval_ms", sqlite3_column_int64(s, 9));
		}
	}
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : -EIO;
}

/* Pending promises from one site, created all through the run. */
static const char promises_sql[] =
	"WITH ends AS (SELECT pid, max(end_ns) AS end_ns, min(start_ns) AS start_ns FROM threads GROUP BY pid)"
	" SELECT p.pid, u.file, u.line, u.column, u.function, count(*),"
	"  (max(p.created_ns) - e.start_ns) * 1.0 / (e.end_ns - e.start_ns),"
	"  (min(p.created_ns) - e.start_ns) * 1.0 / (e.end_ns - e.start_ns)"
	" FROM promises p JOIN ends e ON e.pid = p.pid"
	" JOIN temp.user_frame u ON u.stack_id = p.site_stack_id"
	" WHERE p.state = 'pending'"
	" GROUP BY p.pid, u.file, u.line, u.column HAVING count(*) >= 100";

static int pending_promises(struct lt_analysis *a)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(a->db, promises_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (!(sqlite3_column_double(s, 6) > 0.75 && sqlite3_column_double(s, 7) < 0.25))
			continue; /* not piling up through the run */
		int64_t count = sqlite3_column_int64(s, 5);
		struct lt_finding *f = lt_findings_add(&a->findings, "never-settled-promise", LT_SEV_WARNING);
		if (!f)
			return -ENOMEM;
		lt_finding_message(f, "%lld promises created here never settled, and more kept coming all through the run",
				   (long long)count);
		lt_finding_fix(f, "make sure every path resolves or rejects the promise (a timeout, an error path), "
				  "or stop creating one per event");
		lt_finding_location(f, (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2),
				    sqlite3_column_int64(s, 3), (const char *)sqlite3_column_text(s, 4));
		f->pid = sqlite3_column_int64(s, 0);
		f->impact_ms = (double)count;
		lt_finding_int(f, "count", count);
		lt_finding_bool(f, "growing", 1);
	}
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : -EIO;
}

int lt_detect_leaks(struct lt_analysis *a)
{
	int rc = handles(a);
	return rc ? rc : pending_promises(a);
}
