/*
 * detect_leaks.c — leaked-handle: handles still open and ref'd when a
 * process ended without its loop running dry (killed, `record --duration`,
 * process.exit, a crash), i.e. handles that kept or would have kept it
 * alive; grouped by creation site, with type, age and a fix for the type.
 * Also never-settled-promise: pending promises from one site piling up all
 * through a run.  A process whose loop ran dry ('beforeExit') had nothing
 * keeping it alive, so it has no leaks by definition; one that exited on an
 * error of its own (uncaught exception, fatal rejection) is about that error.
 * Timers: one cleared (resources.cleared_ns) or that already ran (one-shot)
 * is spent; one whose due time passed without it running was cleared; an
 * interval is live if it was still firing at the end.  Unref'd handles and
 * Node's writable stdio streams never keep the loop alive.
 * A process stopped by the recording (--duration, SIGINT/SIGTERM) while it
 * had a listening server is a service that ran until stopped: the server is
 * said as an info note, its other handles are not leaks unless one site kept
 * adding intervals or handles kept piling up.  A process that was stopped
 * with no server had nothing left to do but was held open: its handles are.
 * When part of the trace was lost (damaged streams), a handle's close may be
 * in the gap: only growing sites stay leaks, the rest are info notes.
 * Handles no stack of which reaches the program's code (a library's or Node's own)
 * are info notes unless growing.
 * Each finding is placed at the user line that created the handles, with the
 * library frame that made them as secondary context.
 * An attached trace (meta capture = bpf), and a flight recorder's dump taken
 * while the program ran (analyzer/window.h), is a window on a process that goes
 * on running: a handle still open when the window closed is only a leak when
 * handles of its type and site kept piling up all through the window.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "user_code.h"
#include "locations.h"
#include "processes.h"
#include "store.h"
#include "window.h"

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
	/* programs on the shared libuv (the preload's uv_* interposers) */
	{"uv_idle", "idle handle", "uv_close() it when done"},
	{"uv_prepare", "prepare handle", "uv_close() it when done"},
	{"uv_check", "check handle", "uv_close() it when done"},
	{"uv_poll", "poll handle", "uv_close() it when done"},
	{"uv_async", "async handle", "uv_close() it when done, or uv_unref() it"},
};

/* Handles a program declared through the probe API (probes/looptrace.h). */
static const struct handle_kind probe_api_handle = {"usdt:", "handle",
						     "close it when done (and say so with LOOPTRACE_HANDLE_CLOSE)"};

static const struct handle_kind *kind_of(const char *type)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].type, type))
			return &kinds[i];
	if (!strncmp(type, probe_api_handle.type, strlen(probe_api_handle.type)))
		return &probe_api_handle;
	return NULL;
}

/* Live, ref'd handles at the end of processes that did not drain their loop,
 * grouped by type and creation site (its user line when it has one).  Left
 * out: handles closed (or timers cleared: cleared_ns, or a one-shot whose due
 * time passed without it running), unref'd ones, Node's own writable stdio
 * streams (they never keep the loop alive), and processes that exec'd another
 * binary, and handles created before a gap of their process's stream (their
 * close may be among the dropped events).  %s marks stopped processes, %s
 * exec'd ones, %s cleared timers. */
/* 1 when the stack's innermost frame outside Node is a library's (the
 * handle was made inside a call into node_modules), 0 if not, -EIO. */
static int made_inside_library(sqlite3 *db, int64_t stack_id)
{
	static const char sql[] = "SELECT lt_library_file(file) FROM stacks WHERE stack_id = ?"
				  " AND (lt_library_file(file) OR lt_user_file(file)) ORDER BY depth LIMIT 1";
	sqlite3_stmt *s;
	if (!stack_id)
		return 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, stack_id);
	int step = sqlite3_step(s), rc = 0;
	if (step == SQLITE_ROW)
		rc = sqlite3_column_int(s, 0) != 0;
	else if (step != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	return rc;
}

static const char leaks_sql_fmt[] =
	"WITH ends AS (SELECT pid, max(end_ns) AS end_ns, min(start_ns) AS start_ns,"
	"   max(is_main_thread = 1 AND %s) AS stopped, max(%s) AS execd FROM threads GROUP BY pid),"
	" drained AS (SELECT DISTINCT pid FROM temp.lt_leak_exits WHERE before_exit"
	"   UNION SELECT DISTINCT r.pid FROM rejections r JOIN temp.lt_leak_exits x ON x.pid = r.pid"
	"   AND NOT x.before_exit WHERE r.kind IN ('unhandled', 'uncaught-exception')),"
	" closed AS (SELECT resource_id FROM temp.lt_leak_closed),"
	" runs AS (SELECT resource_id, n, last FROM temp.lt_leak_runs),"
	" live AS (SELECT r.id, r.pid, r.tid, r.type, r.created_ns, r.stack_id, r.site_stack_id,"
	"   r.timer_delay_ms, COALESCE(r.timer_repeat, 0) AS timer_repeat, runs.n AS runs_n"
	"  FROM resources r JOIN ends e ON e.pid = r.pid LEFT JOIN runs ON runs.resource_id = r.id"
	"  WHERE r.destroyed_ns IS NULL AND r.ref = 1 AND e.execd = 0 %s"
	"   AND r.pid NOT IN (SELECT pid FROM drained) AND r.id NOT IN (SELECT resource_id FROM closed)"
	"   AND NOT EXISTS (SELECT 1 FROM stream_gaps g WHERE g.pid = r.pid AND g.end_ns >= r.created_ns)"
	"   AND (r.type <> 'Timeout' OR (COALESCE(r.timer_repeat, 0) = 0 AND runs.n IS NULL"
	"         AND r.created_ns + r.timer_delay_ms * 1000000 > e.end_ns - 1000000)"
	"     OR (r.timer_repeat = 1 AND COALESCE(runs.last, r.created_ns) + 2 * r.timer_delay_ms * 1000000"
	"         + 1000000 >= e.end_ns))"
	"   AND (r.type IN ('Timeout', 'TCPSERVERWRAP', 'PIPESERVERWRAP', 'TCPWRAP', 'PIPEWRAP', 'UDPWRAP',"
	"    'PROCESSWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'SIGNALWRAP', 'MESSAGEPORT', 'WORKER',"
	"    'uv_idle', 'uv_prepare', 'uv_check', 'uv_poll', 'uv_async')"
	"    OR (r.type LIKE 'usdt:%%' AND r.type NOT LIKE 'usdt:mark%%'))"
	"   AND NOT (r.type IN ('PIPEWRAP', 'TCPWRAP') AND EXISTS (SELECT 1 FROM stacks s"
	"    WHERE s.stack_id IN (r.stack_id, r.site_stack_id) AND s.function = 'createWritableStdioStream'"
	"    AND s.file LIKE 'node:internal/%%'))),"
	" serving AS (SELECT DISTINCT pid FROM live WHERE type IN ('TCPSERVERWRAP', 'PIPESERVERWRAP'))"
	" SELECT l.pid, min(l.tid), l.type, count(*),"
	"  (e.end_ns - min(l.created_ns)) / 1e6, max(COALESCE(l.runs_n, 0)), max(l.timer_delay_ms),"
	"  (max(l.created_ns) - e.start_ns) * 1.0 / (e.end_ns - e.start_ns),"
	"  (min(l.created_ns) - e.start_ns) * 1.0 / (e.end_ns - e.start_ns),"
	"  e.stopped, l.pid IN (SELECT pid FROM serving), sum(l.timer_repeat = 1),"
	"  min(CASE WHEN us.stack_id IS NOT NULL THEN l.site_stack_id WHEN uo.stack_id IS NOT NULL THEN l.stack_id END),"
	"  min(l.stack_id), min(l.site_stack_id)"
	" FROM live l JOIN ends e ON e.pid = l.pid"
	" LEFT JOIN temp.user_frame us ON us.stack_id = l.site_stack_id"
	" LEFT JOIN temp.user_frame uo ON uo.stack_id = l.stack_id"
	" GROUP BY l.pid, l.type, COALESCE(us.file, uo.file), COALESCE(us.line, uo.line)"
	" ORDER BY count(*) DESC";

/* The trace is a window on a running process (eBPF attach, or a flight
 * recorder's dump taken while the program ran); an attach session that
 * lasted until its targets exited (meta targets_exited, written for shared
 * libuv and USDT programs) saw their end, as a recording does. */
static int is_window(sqlite3 *db)
{
	char capture[16], exited[8];
	struct lt_window w;
	lt_store_get_meta(db, "capture", capture, sizeof(capture));
	lt_store_get_meta(db, "targets_exited", exited, sizeof(exited));
	lt_window_read(db, &w);
	return (!strcmp(capture, "bpf") && strcmp(exited, "1") != 0) || w.running;
}

/* Some thread stream was damaged: a close may have fallen in the gap. */
static int has_gaps(sqlite3 *db)
{
	char damaged[32];
	lt_store_get_meta(db, "damaged_streams", damaged, sizeof(damaged));
	return strtoll(damaged, NULL, 10) > 0;
}

static int prepare_leaks(sqlite3 *db, sqlite3_stmt **s)
{
	char sql[sizeof(leaks_sql_fmt) + 256];
	int reasons = lt_table_has_column(db, "threads", "end_reason");
	int cleared = lt_table_has_column(db, "resources", "cleared_ns");
	snprintf(sql, sizeof(sql), leaks_sql_fmt,
		 reasons ? "COALESCE(end_reason = 'killed', clean_exit = 0)" : "clean_exit = 0",
		 reasons ? "COALESCE(end_reason = 'exec', 0)" : "0",
		 cleared ? "AND r.cleared_ns IS NULL" : "");
	return sqlite3_prepare_v2(db, sql, -1, s, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* Where the handles were made: the user line (from the site stack, else the
 * handle's own), the library frame that made it as secondary context. */
static int place_handles(sqlite3 *db, struct lt_finding *f, int64_t user_stack, int64_t own_stack,
			 int64_t site_stack)
{
	struct lt_place user = {0}, library = {0};
	int rc = 0;
	if (user_stack)
		rc = lt_place_of_stack(db, user_stack, &user);
	if (rc == -EIO)
		return rc;
	int64_t lib_stacks[] = {own_stack, site_stack};
	for (size_t i = 0; i < 2 && !library.has_library; i++)
		if (lib_stacks[i] && lt_place_of_stack(db, lib_stacks[i], &library) == -EIO)
			return -EIO;
	if (user.has_user)
		lt_finding_location(f, user.user.file, user.user.line, user.user.column, user.user.function);
	if (library.has_library)
		lt_finding_library_location(f, library.library.file, library.library.line, library.library.column,
					    library.library.function);
	if (!user.has_user)
		lt_finding_location_note(f, "%s", own_stack || site_stack
			? "no frame of the program's own code in the stack that created it"
			: "created after the stack-capture budget was spent: no creation stack");
	return 0;
}

/* What the leaks query needs from the dispatches, in temporary tables
 * filled from the analysis's dispatch table (three SQL scans of
 * `dispatches` before): the pids with a beforeExit or exit dispatch, the
 * resources with a close dispatch, and each timer's runs (count, last
 * start). */
static const char facts_sql[] =
	"CREATE TEMP TABLE lt_leak_exits(pid INTEGER, before_exit INTEGER);"
	"CREATE TEMP TABLE lt_leak_closed(resource_id INTEGER PRIMARY KEY);"
	"CREATE TEMP TABLE lt_leak_runs(resource_id INTEGER PRIMARY KEY, n INTEGER, last INTEGER);";

static void drop_dispatch_facts(sqlite3 *db)
{
	sqlite3_exec(db,
		     "DROP TABLE IF EXISTS temp.lt_leak_exits; DROP TABLE IF EXISTS temp.lt_leak_closed;"
		     " DROP TABLE IF EXISTS temp.lt_leak_runs;",
		     NULL, NULL, NULL);
}

struct timer_begin {
	int64_t resource_id, begin_ns;
};

static int by_resource(const void *a, const void *b)
{
	const struct timer_begin *x = a, *y = b;
	return x->resource_id < y->resource_id ? -1 : x->resource_id > y->resource_id;
}

static int insert_row(sqlite3_stmt *s, int64_t a, int64_t b, int64_t c)
{
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	sqlite3_bind_int64(s, 3, c);
	return sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
}

/* Each timer's runs, one row per resource: (id, count, latest begin). */
static int insert_runs(sqlite3 *db, const struct lt_dispatch_table *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		n += t->queue[i] == LT_QUEUE_TIMER && t->resource_id[i] >= 0;
	if (n == 0)
		return 0;
	struct timer_begin *v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->queue[i] == LT_QUEUE_TIMER && t->resource_id[i] >= 0)
			v[n++] = (struct timer_begin){t->resource_id[i], t->begin_ns[i]};
	qsort(v, n, sizeof(*v), by_resource);
	sqlite3_stmt *s;
	int rc = -EIO;
	if (sqlite3_prepare_v2(db, "INSERT INTO temp.lt_leak_runs VALUES(?, ?, ?)", -1, &s, NULL) != SQLITE_OK)
		goto free_runs;
	rc = 0;
	for (size_t i = 0; i < n && rc == 0;) {
		size_t k = i;
		int64_t last = v[i].begin_ns;
		for (; k < n && v[k].resource_id == v[i].resource_id; k++)
			if (v[k].begin_ns > last)
				last = v[k].begin_ns;
		rc = insert_row(s, v[i].resource_id, (int64_t)(k - i), last);
		i = k;
	}
	sqlite3_finalize(s);
free_runs:
	free(v);
	return rc;
}

static int fill_dispatch_facts(sqlite3 *db, const struct lt_dispatch_table *t)
{
	drop_dispatch_facts(db);
	if (sqlite3_exec(db, facts_sql, NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_stmt *exits = NULL, *closed = NULL;
	int rc = -EIO;
	if (sqlite3_prepare_v2(db, "INSERT INTO temp.lt_leak_exits VALUES(?, ?)", -1, &exits, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO temp.lt_leak_closed VALUES(?)", -1, &closed, NULL) !=
		    SQLITE_OK)
		goto finalize;
	rc = 0;
	for (size_t i = 0; i < t->n && rc == 0; i++) {
		if (t->queue[i] == LT_QUEUE_EXIT && t->flags[i])
			rc = insert_row(exits, t->threads[t->thread[i]].pid,
					(t->flags[i] & LT_DISPATCH_BEFORE_EXIT) != 0, 0);
		else if (t->queue[i] == LT_QUEUE_CLOSE && t->resource_id[i] >= 0)
			rc = insert_row(closed, t->resource_id[i], 0, 0);
	}
	if (rc == 0)
		rc = insert_runs(db, t);
finalize:
	sqlite3_finalize(exits);
	sqlite3_finalize(closed);
	return rc;
}

static int handles(struct lt_analysis *a)
{
	sqlite3_stmt *s;
	int window = is_window(a->db), gaps = has_gaps(a->db);
	int rc = prepare_leaks(a->db, &s);
	if (rc != 0)
		return rc;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(s, 2);
		const struct handle_kind *k = kind_of(type ? type : "");
		if (!k)
			continue;
		int64_t count = sqlite3_column_int64(s, 3);
		double age_ms = sqlite3_column_double(s, 4);
		int64_t runs = sqlite3_column_int64(s, 5);
		int is_interval = !strcmp(type, "Timeout") && runs >= 1;
		int is_server = !strcmp(type, "TCPSERVERWRAP") || !strcmp(type, "PIPESERVERWRAP");
		int stopped = sqlite3_column_int(s, 9), serving = sqlite3_column_int(s, 10);
		int64_t intervals = sqlite3_column_int64(s, 11);
		/* Growing: handles from this site were still being created in the
		 * last quarter of the run, and the first ones date from the first. */
		int growing = count >= 20 && sqlite3_column_double(s, 7) > 0.75 &&
			      sqlite3_column_double(s, 8) < 0.25;
		if (window && !growing)
			continue;
		/* A service stopped by the recording (--duration, SIGINT/SIGTERM)
		 * still holds what it serves with: its listening server is expected
		 * (said as a note), and its other handles too, unless one site kept
		 * adding intervals (one per event) or handles kept piling up. */
		int service_stop = stopped && serving;
		if (service_stop && !is_server && !growing && intervals < 2)
			continue;
		enum lt_severity sev = growing ? LT_SEV_ERROR : LT_SEV_WARNING;
		if ((service_stop && is_server) || gaps)
			sev = growing ? sev : LT_SEV_INFO;
		/* No stack of it reaches the program's code: Node's or a library's
		 * own handle (a pool's ports, a stream's pipe), nothing to act on
		 * at a line of the program's unless it keeps growing. */
		int unplaced = sqlite3_column_type(s, 12) == SQLITE_NULL;
		if (unplaced && !growing)
			sev = LT_SEV_INFO;
		/* A MessagePort a library made inside a call (a worker pool's own
		 * plumbing, called from `new Piscina(...)`) is closed by that
		 * library's shutdown, asynchronously: whether the program shut the
		 * library down shows in its Worker handles, not in these ports. */
		int library_port = 0;
		if (!strcmp(type, "MESSAGEPORT") && !growing) {
			int lrc = made_inside_library(a->db, sqlite3_column_int64(s, 13));
			if (lrc < 0)
				return lrc;
			library_port = lrc;
		}
		if (library_port)
			sev = LT_SEV_INFO;
		struct lt_finding *f = lt_findings_add(&a->findings, "leaked-handle", sev);
		if (!f)
			return -ENOMEM;
		const char *what = is_interval ? "interval timer" : k->what;
		if (library_port)
			lt_finding_message(f, "%lld %s%s (%s) made inside a library still open at the end: the "
					      "library's own, closed when it is shut down (its Worker handles say "
					      "whether it was)",
					   (long long)count, what, count > 1 ? "s" : "", type);
		else if (sev == LT_SEV_INFO && gaps)
			lt_finding_message(f, "%lld %s%s (%s) open at the end as far as the trace shows, but part of it "
					      "was lost: the close may have fallen in the gap",
					   (long long)count, what, count > 1 ? "s" : "", type);
		else if (sev == LT_SEV_INFO)
			lt_finding_message(f, "%s %s (%s) still listening when the recording stopped the process, "
					      "%.0f ms after it opened: expected for a service",
					   strchr("aeiou", what[0]) ? "An" : "A", what, type, age_ms);
		else if (count > 1)
			lt_finding_message(f, "%lld %ss (%s) still open at the end%s; the oldest for %.0f ms: they keep%s the process alive",
					   (long long)count, what, type, growing ? ", and their number kept growing" : "", age_ms,
					   sev == LT_SEV_INFO ? " (or their owner keeps)" : "");
		else
			lt_finding_message(f, "%s %s (%s) still open at the end, for %.0f ms: it keeps%s the process alive",
					   strchr("aeiou", what[0]) ? "An" : "A", what, type, age_ms,
					   sev == LT_SEV_INFO ? " (or its owner keeps)" : "");
		if (library_port)
			lt_finding_fix(f, "%s", "shut the library down when its work is done (a pool's destroy() or "
					       "close()) and let its close run before exiting");
		else if (sev == LT_SEV_INFO)
			lt_finding_fix(f, "nothing to do for a service that runs until it is stopped; if the work was "
					  "done, %s", k->fix);
		else
			lt_finding_fix(f, "%s", k->fix);
		int prc = place_handles(a->db, f, sqlite3_column_int64(s, 12), sqlite3_column_int64(s, 13),
					sqlite3_column_int64(s, 14));
		if (prc == 0 && !library_port && k != &probe_api_handle && lt_is_native_source(f->file))
			lt_finding_fix(f, "%s", "uv_close() the handle when done (stopping it is not closing it), or "
					       "uv_unref() it if it must not keep the loop alive");
		if (prc != 0) {
			sqlite3_finalize(s);
			return prc;
		}
		lt_finding_thread(f, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
		f->impact_ms = sev == LT_SEV_INFO ? 0 : age_ms * (double)count / 1000.0;
		lt_finding_int(f, "count", count);
		lt_finding_text(f, "type", type);
		lt_finding_number(f, "age_ms", age_ms);
		lt_finding_bool(f, "growing", growing);
		lt_finding_bool(f, "stopped_by_signal", stopped);
		if (is_interval) {
			lt_finding_int(f, "runs", runs);
			lt_finding_int(f, "interval_ms", sqlite3_column_int64(s, 6));
		}
	}
	return lt_store_scan_done(s, step);
}

/* Pending promises from one site, created all through the run. */
static const char promises_sql[] =
	"WITH ends AS (SELECT pid, max(end_ns) AS end_ns, min(start_ns) AS start_ns FROM threads GROUP BY pid)"
	" SELECT p.pid, u.file, u.line, u.column, u.function, count(*),"
	"  (max(p.created_ns) - e.start_ns) * 1.0 / (e.end_ns - e.start_ns),"
	"  (min(p.created_ns) - e.start_ns) * 1.0 / (e.end_ns - e.start_ns),"
	"  min(p.tid), min(p.stack_id)"
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
		struct lt_place lib;
		if (sqlite3_column_type(s, 9) != SQLITE_NULL &&
		    lt_place_of_stack(a->db, sqlite3_column_int64(s, 9), &lib) == 0 && lib.has_library)
			lt_finding_library_location(f, lib.library.file, lib.library.line, lib.library.column,
						    lib.library.function);
		lt_finding_thread(f, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 8));
		f->impact_ms = (double)count;
		lt_finding_int(f, "count", count);
		lt_finding_bool(f, "growing", 1);
	}
	return lt_store_scan_done(s, step);
}

int lt_detect_leaks(struct lt_analysis *a)
{
	int rc = fill_dispatch_facts(a->db, &a->dispatches);
	if (rc == 0)
		rc = handles(a);
	drop_dispatch_facts(a->db);
	return rc ? rc : pending_promises(a);
}
