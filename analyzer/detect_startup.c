/*
 * detect_startup.c — startup: time a thread spent in its main module (and
 * in module loading right after it, and callbacks before the first loop
 * iteration that no sample saw) before its event loop first turned.
 *
 * Every program pays it once, mostly in require()/import, so it is info; it
 * becomes a warning only when it is very large (LT_STARTUP_WARN_MS), and it
 * is never an error.  The samples taken while it ran say how much of it was
 * module loading and which modules.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detectors.h"
#include "samples.h"

#define LT_STARTUP_WARN_MS 2000.0

/* The main dispatches (depth 1, queue main) come from the analysis's
 * dispatch table; the script from the thread's row. */
static const char script_sql[] =
	"SELECT COALESCE(NULLIF(main_script, ''), argv, '') FROM threads WHERE pid = ? AND tid = ?";

/* Module loading that ran after the main dispatch but before the first
 * iteration (ES modules evaluate in microtasks) extends the startup: the
 * thread's dispatches of depth 1 in iteration 0 (or none), not main or exit,
 * at least block_ms long, with their time in blocking calls. */
static const char blocked_sql[] =
	"SELECT COALESCE(sum(end_ns - begin_ns), 0) FROM blocking_calls WHERE dispatch_seq = ?";

static const char *text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? (const char *)t : "";
}

struct startup {
	int64_t pid, tid;
	double ms;
	struct lt_sample_summary sum; /* of the main dispatch */
	int64_t module_samples, samples;
	char script[4096];
};

static int add_module_loading(struct lt_analysis *a, sqlite3_stmt *blocked, struct startup *s, int sampling_on)
{
	const struct lt_dispatch_table *t = &a->dispatches;
	int64_t thread = lt_dispatch_thread_index(t, s->pid, s->tid);
	int64_t threshold = (int64_t)(a->opts.block_ms * 1e6);
	for (size_t i = 0; thread >= 0 && i < t->n; i++) {
		uint8_t q = t->queue[i];
		if (t->thread[i] != (uint32_t)thread || t->depth[i] != 1 || t->iteration[i] != 0 ||
		    q == LT_QUEUE_MAIN || q == LT_QUEUE_EXIT || q == LT_DISPATCH_QUEUE_NULL ||
		    t->end_ns[i] - t->begin_ns[i] < threshold)
			continue;
		int64_t begin = t->begin_ns[i], end = t->end_ns[i];
		struct lt_sample_summary sum;
		int rc = lt_samples_summarize(a->db, &a->opts.user_code, s->pid, s->tid, begin, end, &sum);
		if (rc != 0)
			return rc;
		int64_t blocked_ns = 0;
		if (sum.samples == 0 && sampling_on) {
			sqlite3_reset(blocked);
			sqlite3_bind_int64(blocked, 1, lt_dispatch_seq(t, i));
			if (sqlite3_step(blocked) != SQLITE_ROW)
				return -EIO;
			blocked_ns = sqlite3_column_int64(blocked, 0);
		}
		/* module loading, or a callback no sample saw (see detect_blocking) */
		int unseen = sum.samples == 0 && sampling_on && blocked_ns < threshold;
		if ((sum.samples && 2 * sum.module_samples > sum.samples) || unseen) {
			s->ms += (double)(end - begin) / 1e6;
			s->samples += sum.samples;
			s->module_samples += sum.module_samples;
		}
	}
	return 0;
}

static void describe(struct lt_analysis *a, const struct startup *s)
{
	enum lt_severity sev = s->ms > LT_STARTUP_WARN_MS ? LT_SEV_WARNING : LT_SEV_INFO;
	struct lt_finding *f = lt_findings_add(&a->findings, "startup", sev);
	if (!f)
		return;
	double share = s->samples ? (double)s->module_samples / (double)s->samples : -1;
	char what[768] = "";
	if (share >= 0 && share < 0.5) {
		snprintf(what, sizeof(what), "; mostly its own code (%.0f%% of the samples loading modules)",
			 100.0 * share);
	} else if (share >= 0) {
		int n = snprintf(what, sizeof(what), "; %.0f%% of it loading modules", 100.0 * share);
		for (int i = 0; i < s->sum.n_modules && n > 0 && (size_t)n < sizeof(what); i++)
			n += snprintf(what + n, sizeof(what) - (size_t)n, "%s%s", i ? ", " : " (", s->sum.modules[i]);
		if (s->sum.n_modules && n > 0 && (size_t)n < sizeof(what))
			snprintf(what + n, sizeof(what) - (size_t)n, ")");
	}
	lt_finding_message(f, "the main module ran %.0f ms before the event loop started%s", s->ms, what);
	if (share >= 0.5)
		lt_finding_fix(f, "load heavy modules lazily (require them where first needed) or trim dependencies; "
				  "startup is paid once per process");
	else
		lt_finding_fix(f, "move work the program does not need before serving out of the main module "
				  "(do it lazily, in chunks, or in a worker); startup is paid once per process");
	/* Its own code: the line sampled most, when it was not module loading. */
	if (share >= 0 && share < 0.5 && s->sum.user_samples && !strcmp(s->sum.user.file, s->script))
		lt_finding_location(f, s->sum.user.file, s->sum.user.line, s->sum.user.column,
				    s->sum.user.function);
	else if (s->script[0])
		lt_finding_location(f, s->script, 1, 1, "(main module)");
	lt_finding_thread(f, s->pid, s->tid);
	f->impact_ms = sev == LT_SEV_INFO ? 0 : s->ms; /* ranks after what can be acted on */
	lt_finding_number(f, "duration_ms", s->ms);
	lt_finding_int(f, "samples", s->samples);
	if (share >= 0)
		lt_finding_number(f, "module_loading_ms", share * s->ms);
	if (s->sum.n_modules) {
		char list[800] = "";
		for (int i = 0; i < s->sum.n_modules; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "", s->sum.modules[i]);
		lt_finding_text(f, "modules", list);
	}
}

int lt_detect_startup(struct lt_analysis *a)
{
	sqlite3_stmt *script = NULL, *blocked = NULL;
	int rc = -EIO;
	if (sqlite3_prepare_v2(a->db, script_sql, -1, &script, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->db, blocked_sql, -1, &blocked, NULL) != SQLITE_OK)
		goto finalize;
	char state[128];
	lt_samples_state(a->db, state, sizeof(state));
	int sampling_on = !strcmp(state, "on");
	const struct lt_dispatch_table *t = &a->dispatches;
	for (size_t i = 0; i < t->n; i++) {
		if (t->depth[i] != 1 || t->queue[i] != LT_QUEUE_MAIN)
			continue;
		struct startup s;
		memset(&s, 0, sizeof(s));
		s.pid = t->threads[t->thread[i]].pid;
		s.tid = t->threads[t->thread[i]].tid;
		int64_t begin = t->begin_ns[i], end = t->end_ns[i];
		s.ms = (double)(end - begin) / 1e6;
		sqlite3_reset(script);
		sqlite3_bind_int64(script, 1, s.pid);
		sqlite3_bind_int64(script, 2, s.tid);
		int step = sqlite3_step(script);
		rc = -EIO;
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			goto finalize;
		snprintf(s.script, sizeof(s.script), "%s", step == SQLITE_ROW ? text(script, 0) : "");
		rc = lt_samples_summarize(a->db, &a->opts.user_code, s.pid, s.tid, begin, end, &s.sum);
		if (rc != 0)
			goto finalize;
		s.samples = s.sum.samples;
		s.module_samples = s.sum.module_samples;
		rc = add_module_loading(a, blocked, &s, sampling_on);
		if (rc != 0)
			goto finalize;
		if (s.ms >= a->opts.block_ms)
			describe(a, &s);
	}
	rc = 0;
finalize:
	sqlite3_finalize(script);
	sqlite3_finalize(blocked);
	return rc;
}
