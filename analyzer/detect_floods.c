/*
 * detect_floods.c — two defects the trace shows beyond the main four:
 *   microtask-starvation: nextTicks and microtasks drained back to back for
 *     longer than the blocking threshold — each short, together they hold
 *     off timers and I/O like one long task;
 *   unbounded-fan-out: one dispatch starting hundreds of I/O operations from
 *     one place in the code at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "locations.h"
#include "store.h"

#define MIN_FLOOD_DISPATCHES 1000
#define MIN_FAN_OUT 200

/* Drains are found in the analysis's dispatch table, without their sites:
 * joining every dispatch to its resource and promise for the site cost a
 * third of report on a big trace; the site is looked up for the drains
 * reported.  A drain is every top-level dispatch from its first to its last seq (any
 * other would have ended it): its site is the first one sampled. */
static const char site_sql[] =
	"SELECT COALESCE(r.site_stack_id, p.site_stack_id) AS site"
	" FROM dispatches d LEFT JOIN resources r ON r.id = d.resource_id"
	" LEFT JOIN promises p ON p.id = d.promise_id"
	" WHERE d.seq BETWEEN ? AND ? AND d.depth = 1 AND site <> 0 ORDER BY d.seq LIMIT 1";

struct drain {
	int64_t pid, tid, count, first_seq, last_seq;
	int64_t begin, end;
};

static int64_t drain_site(sqlite3 *db, const struct drain *d)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, site_sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, d->first_seq);
	sqlite3_bind_int64(s, 2, d->last_seq);
	int64_t site = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return site;
}

static void report_drain(struct lt_analysis *a, const struct drain *d)
{
	double ms = (double)(d->end - d->begin) / 1e6;
	if (d->count < MIN_FLOOD_DISPATCHES || ms < a->opts.block_ms)
		return;
	struct lt_finding *f = lt_findings_add(&a->findings, "microtask-starvation", LT_SEV_WARNING);
	if (!f)
		return;
	lt_finding_message(f, "%lld nextTicks and microtasks ran back to back for %.0f ms: timers and I/O "
			      "waited all that time",
			   (long long)d->count, ms);
	lt_finding_fix(f, "break the chain: let I/O and timers in between (setImmediate) instead of "
			  "re-queuing with process.nextTick / promise callbacks in a loop");
	struct lt_place place;
	int64_t site = drain_site(a->db, d);
	if (site && lt_place_of_stack(a->db, site, &place) == 0) {
		if (place.has_user)
			lt_finding_location(f, place.user.file, place.user.line, place.user.column,
					    place.user.function);
		else
			lt_finding_location_note(f, "only library frames were sampled");
		if (place.has_library)
			lt_finding_library_location(f, place.library.file, place.library.line,
						    place.library.column, place.library.function);
	} else {
		lt_finding_location_note(f, "no stack was sampled for the first callback");
	}
	lt_finding_thread(f, d->pid, d->tid);
	f->impact_ms = ms;
	lt_finding_number(f, "duration_ms", ms);
	lt_finding_int(f, "count", d->count);
	lt_finding_int(f, "first_seq", d->first_seq);
}

static int starvation(struct lt_analysis *a)
{
	const struct lt_dispatch_table *t = &a->dispatches;
	struct drain cur = {0};
	for (size_t i = 0; i < t->n; i++) {
		if (t->depth[i] != 1)
			continue;
		int queued = t->queue[i] == LT_QUEUE_NEXTTICK || t->queue[i] == LT_QUEUE_MICROTASK;
		const struct lt_dispatch_thread *th = &t->threads[t->thread[i]];
		if (!queued || th->pid != cur.pid || th->tid != cur.tid) {
			report_drain(a, &cur);
			memset(&cur, 0, sizeof(cur));
			if (!queued)
				continue;
		}
		if (cur.count++ == 0) {
			cur.pid = th->pid;
			cur.tid = th->tid;
			cur.first_seq = lt_dispatch_seq(t, i);
			cur.begin = t->begin_ns[i];
		}
		cur.end = t->end_ns[i];
		cur.last_seq = lt_dispatch_seq(t, i);
	}
	report_drain(a, &cur);
	return 0;
}

/* I/O operations (requests, connections) started together by one dispatch
 * from one site. */
static const char fan_out_sql[] =
	"SELECT r.pid, r.created_seq, r.type, u.file, u.line, u.column, u.function, count(*), r.tid"
	" FROM resources r JOIN temp.user_frame u ON u.stack_id = r.site_stack_id"
	" WHERE r.created_seq IS NOT NULL AND r.type IN ('FSREQCALLBACK', 'FSREQPROMISE',"
	"  'TCPCONNECTWRAP', 'GETADDRINFOREQWRAP', 'HTTPCLIENTREQUEST', 'PIPECONNECTWRAP',"
	"  'PROCESSWRAP', 'ZLIB', 'PBKDF2REQUEST', 'RANDOMBYTESREQUEST', 'SCRYPTREQUEST', 'QUERYWRAP')"
	" GROUP BY r.pid, r.created_seq, r.type, u.file, u.line HAVING count(*) >= ?"
	" ORDER BY count(*) DESC LIMIT 20";

static int fan_out(struct lt_analysis *a)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(a->db, fan_out_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int(s, 1, MIN_FAN_OUT);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(s, 7);
		struct lt_finding *f = lt_findings_add(&a->findings, "unbounded-fan-out", LT_SEV_WARNING);
		if (!f)
			return -ENOMEM;
		lt_finding_message(f, "one callback started %lld %s operations at once from the same place",
				   (long long)n, (const char *)sqlite3_column_text(s, 2));
		lt_finding_fix(f, "bound the concurrency (a pool or p-limit with, say, 8-32 at a time): "
				  "a burst this size queues on the threadpool or floods the remote side");
		lt_finding_location(f, (const char *)sqlite3_column_text(s, 3), sqlite3_column_int64(s, 4),
				    sqlite3_column_int64(s, 5), (const char *)sqlite3_column_text(s, 6));
		lt_finding_thread(f, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 8));
		f->impact_ms = (double)n / 10.0;
		lt_finding_int(f, "count", n);
		lt_finding_text(f, "type", (const char *)sqlite3_column_text(s, 2));
		lt_finding_int(f, "dispatch_seq", sqlite3_column_int64(s, 1));
	}
	return lt_store_scan_done(s, step);
}

int lt_detect_floods(struct lt_analysis *a)
{
	int rc = starvation(a);
	return rc ? rc : fan_out(a);
}
