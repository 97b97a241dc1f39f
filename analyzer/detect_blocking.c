/*
 * detect_blocking.c — blocking-task: a dispatch (task, microtask or the main
 * module) that held the event loop longer than the threshold.  Grouped by
 * the site that scheduled it, with what it blocked in when the preload
 * library saw blocking calls (synchronous fs, child processes, sleeps).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "locations.h"
#include "source.h"

struct site {
	char key[4400];
	char file[4096], function[256], callback[256], queue[16], type[64];
	int64_t line, column, pid, tid, count, first_seq;
	double max_ms, total_ms;
	double blocked_ms[8]; /* per call kind, see call_kinds */
};

static const char *const call_kinds[] = {"poll", "read", "write", "fsync", "open", "sleep", "waitpid"};
#define N_CALLS (sizeof(call_kinds) / sizeof(call_kinds[0]))

static const char dispatch_sql[] =
	"SELECT d.seq, d.pid, d.queue, d.type, (d.end_ns - d.begin_ns) / 1e6, COALESCE(r.callback, ''),"
	" u.function, u.file, u.line, u.column, t.main_script, d.tid"
	" FROM dispatches d"
	" LEFT JOIN resources r ON r.id = d.resource_id"
	" LEFT JOIN promises p ON p.id = d.promise_id"
	" LEFT JOIN temp.user_frame u ON u.stack_id = COALESCE(r.site_stack_id, p.site_stack_id)"
	" LEFT JOIN threads t ON t.pid = d.pid AND t.tid = d.tid"
	" WHERE d.depth = 1 AND d.queue <> 'exit' AND d.end_ns - d.begin_ns >= ?"
	" ORDER BY d.seq";

static const char calls_sql[] =
	"SELECT call, sum(end_ns - begin_ns) / 1e6 FROM blocking_calls WHERE dispatch_seq = ? GROUP BY call";

static const char *text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? (const char *)t : "";
}

static struct site *find_site(struct site **sites, size_t *n, size_t *cap, const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*sites)[i].key, key))
			return &(*sites)[i];
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct site *grown = realloc(*sites, c * sizeof(*grown));
		if (!grown)
			return NULL;
		*sites = grown;
		*cap = c;
	}
	struct site *s = &(*sites)[(*n)++];
	memset(s, 0, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "%s", key);
	return s;
}

/* Place a blocking callback at its own code rather than where it was
 * scheduled: its frame in a stack taken while it ran, and the line where
 * the function of that name is defined when the source is readable. */
static void place_callback(sqlite3 *db, struct site *s)
{
	const char *name = s->callback;
	struct lt_user_frame f;
	if (lt_running_frame_of(db, s->first_seq, &f) == 0) {
		snprintf(s->file, sizeof(s->file), "%s", f.file);
		snprintf(s->function, sizeof(s->function), "%s", f.function);
		s->line = f.line;
		s->column = f.column;
		if (!*name)
			name = s->function;
	}
	int64_t line, column;
	if (*name && s->file[0] && lt_source_definition(s->file, name, s->line, &line, &column) == 0) {
		s->line = line;
		s->column = column;
		if (name != s->function)
			snprintf(s->function, sizeof(s->function), "%s", name);
	}
}

static void describe(struct lt_analysis *a, const struct site *s)
{
	struct lt_finding *f = lt_findings_add(&a->findings, "blocking-task",
					       s->max_ms >= 500 ? LT_SEV_ERROR : LT_SEV_WARNING);
	if (!f)
		return;
	double blocked = 0;
	size_t worst = N_CALLS;
	for (size_t k = 0; k < N_CALLS; k++) {
		blocked += s->blocked_ms[k];
		if (s->blocked_ms[k] > 0 && (worst == N_CALLS || s->blocked_ms[k] > s->blocked_ms[worst]))
			worst = k;
	}
	const char *name = s->callback[0] ? s->callback : s->function[0] ? s->function : NULL;
	static const struct {
		const char *queue, *what;
	} nouns[] = {
		{"main", "The main module"},      {"timer", "Timer callback"},
		{"immediate", "Immediate callback"}, {"io", "I/O callback"},
		{"nextTick", "nextTick callback"}, {"microtask", "Promise continuation"},
		{"close", "Close callback"},
	};
	const char *what = "Callback";
	for (size_t k = 0; k < sizeof(nouns) / sizeof(nouns[0]); k++)
		if (!strcmp(nouns[k].queue, s->queue))
			what = nouns[k].what;
	int is_main = !strcmp(s->queue, "main");
	if (is_main)
		name = NULL;
	char cause[256];
	const char *fix;
	if (worst == N_CALLS || blocked < 0.2 * s->total_ms) {
		snprintf(cause, sizeof(cause), "CPU-bound: no blocking system call seen");
		fix = "split the work into chunks that yield (setImmediate) or move it to a worker_thread";
	} else if (!strcmp(call_kinds[worst], "poll") || !strcmp(call_kinds[worst], "waitpid")) {
		snprintf(cause, sizeof(cause), "%.0f ms waiting for a synchronous child process", blocked);
		fix = "use the asynchronous child_process API (execFile/spawn) instead of execSync/spawnSync";
	} else if (!strcmp(call_kinds[worst], "sleep")) {
		snprintf(cause, sizeof(cause), "%.0f ms in a synchronous sleep", blocked);
		fix = "wait with a timer (await setTimeout from timers/promises) instead of sleeping the thread";
	} else {
		snprintf(cause, sizeof(cause), "%.0f ms in synchronous file I/O (%s)", blocked, call_kinds[worst]);
		fix = "use the asynchronous fs API (fs.promises) instead of the *Sync calls";
	}
	char type[96] = "";
	if (!is_main)
		snprintf(type, sizeof(type), " (%s)", s->type);
	if (s->count > 1)
		lt_finding_message(f, "%s%s%s%s blocked the event loop %lld times, up to %.0f ms (%.0f ms in all); %s",
				   what, name ? " " : "", name ? name : "", type, (long long)s->count,
				   s->max_ms, s->total_ms, cause);
	else
		lt_finding_message(f, "%s%s%s%s blocked the event loop for %.0f ms; %s", what,
				   name ? " " : "", name ? name : "", type, s->max_ms, cause);
	lt_finding_fix(f, "%s", fix);
	lt_finding_location(f, s->file[0] ? s->file : NULL, s->line, s->column, s->function);
	lt_finding_thread(f, s->pid, s->tid);
	f->impact_ms = s->total_ms;
	lt_finding_number(f, "duration_ms", s->max_ms);
	lt_finding_number(f, "total_ms", s->total_ms);
	lt_finding_int(f, "count", s->count);
	lt_finding_text(f, "queue", s->queue);
	lt_finding_text(f, "type", s->type);
	if (s->callback[0])
		lt_finding_text(f, "callback", s->callback);
	lt_finding_int(f, "first_seq", s->first_seq);
	lt_finding_number(f, "blocked_in_calls_ms", blocked);
	if (worst != N_CALLS)
		lt_finding_text(f, "blocking_call", call_kinds[worst]);
}

int lt_detect_blocking(struct lt_analysis *a)
{
	sqlite3_stmt *ds = NULL, *cs = NULL;
	struct site *sites = NULL;
	size_t n = 0, cap = 0;
	int rc = -EIO;
	if (sqlite3_prepare_v2(a->db, dispatch_sql, -1, &ds, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->db, calls_sql, -1, &cs, NULL) != SQLITE_OK)
		goto finalize;
	sqlite3_bind_int64(ds, 1, (int64_t)(a->opts.block_ms * 1e6));
	int step;
	while ((step = sqlite3_step(ds)) == SQLITE_ROW) {
		const char *queue = text(ds, 2), *type = text(ds, 3), *callback = text(ds, 5);
		int is_main = !strcmp(queue, "main");
		const char *file = is_main ? text(ds, 10) : text(ds, 7);
		int64_t line = is_main ? 1 : sqlite3_column_int64(ds, 8);
		int64_t column = is_main ? 1 : sqlite3_column_int64(ds, 9);
		char key[4400];
		snprintf(key, sizeof(key), "%lld|%lld|%s|%lld|%lld|%s|%s", (long long)sqlite3_column_int64(ds, 1),
			 (long long)sqlite3_column_int64(ds, 11), file, (long long)line, (long long)column, callback, queue);
		struct site *s = find_site(&sites, &n, &cap, key);
		if (!s) {
			rc = -ENOMEM;
			goto finalize;
		}
		double ms = sqlite3_column_double(ds, 4);
		if (s->count++ == 0) {
			snprintf(s->file, sizeof(s->file), "%s", file);
			snprintf(s->function, sizeof(s->function), "%s", is_main ? "(main module)" : text(ds, 6));
			snprintf(s->callback, sizeof(s->callback), "%s", callback);
			snprintf(s->queue, sizeof(s->queue), "%s", queue);
			snprintf(s->type, sizeof(s->type), "%s", type);
			s->line = line;
			s->column = column;
			s->pid = sqlite3_column_int64(ds, 1);
			s->tid = sqlite3_column_int64(ds, 11);
			s->first_seq = sqlite3_column_int64(ds, 0);
		}
		s->total_ms += ms;
		if (ms > s->max_ms)
			s->max_ms = ms;
		sqlite3_bind_int64(cs, 1, sqlite3_column_int64(ds, 0));
		while (sqlite3_step(cs) == SQLITE_ROW)
			for (size_t k = 0; k < N_CALLS; k++)
				if (!strcmp(text(cs, 0), call_kinds[k]))
					s->blocked_ms[k] += sqlite3_column_double(cs, 1);
		sqlite3_reset(cs);
	}
	if (step != SQLITE_DONE)
		goto finalize;
	for (size_t i = 0; i < n; i++)
		if (strcmp(sites[i].queue, "main") != 0)
			place_callback(a->db, &sites[i]);
	for (size_t i = 0; i < n; i++)
		describe(a, &sites[i]);
	rc = 0;
finalize:
	free(sites);
	sqlite3_finalize(ds);
	sqlite3_finalize(cs);
	return rc;
}
