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

static const char main_sql[] =
	"SELECT d.pid, d.tid, d.begin_ns, d.end_ns, COALESCE(NULLIF(t.main_script, ''), t.argv, '')"
	" FROM dispatches d LEFT JOIN threads t ON t.pid = d.pid AND t.tid = d.tid"
	" WHERE d.depth = 1 AND d.queue = 'main' ORDER BY d.seq";

/* Module loading that ran after the main dispatch but before the first
 * iteration (ES modules evaluate in microtasks): it extends the startup. */
static const char after_main_sql[] =
	"SELECT begin_ns, end_ns, COALESCE((SELECT sum(b.end_ns - b.begin_ns) FROM blocking_calls b"
	"   WHERE b.dispatch_seq = dispatches.seq), 0) FROM dispatches WHERE pid = ? AND tid = ? AND depth = 1"
	" AND COALESCE(iteration, 0) = 0 AND queue NOT IN ('main', 'exit') AND end_ns - begin_ns >= ?";

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

static int add_module_loading(struct lt_analysis *a, sqlite3_stmt *after, struct startup *s, int sampling_on)
{
	sqlite3_bind_int64(after, 1, s->pid);
	sqlite3_bind_int64(after, 2, s->tid);
	sqlite3_bind_int64(after, 3, (int64_t)(a->opts.block_ms * 1e6));
	int step;
	while ((step = sqlite3_step(after)) == SQLITE_ROW) {
		struct lt_sample_summary sum;
		int rc = lt_samples_summarize(a->db, &a->opts.user_code, s->pid, s->tid,
					      sqlite3_column_int64(after, 0), sqlite3_column_int64(after, 1), &sum);
		if (rc != 0) {
			sqlite3_reset(after);
			return rc;
		}
		/* module loading, or a callback no sample saw (see detect_blocking) */
		int unseen = sum.samples == 0 && sampling_on &&
			     sqlite3_column_int64(after, 2) < (int64_t)(a->opts.block_ms * 1e6);
		if ((sum.samples && 2 * sum.module_samples > sum.samples) || unseen) {
			s->ms += (double)(sqlite3_column_int64(after, 1) - sqlite3_column_int64(after, 0)) / 1e6;
			s->samples += sum.samples;
			s->module_samples += sum.module_samples;
		}
	}
	sqlite3_reset(after);
	return step == SQLITE_DONE ? 0 : -EIO;
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
	sqlite3_stmt *ms = NULL, *after = NULL;
	int rc = -EIO;
	if (sqlite3_prepare_v2(a->db, main_sql, -1, &ms, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->db, after_main_sql, -1, &after, NULL) != SQLITE_OK)
		goto finalize;
	char state[128];
	lt_samples_state(a->db, state, sizeof(state));
	int sampling_on = !strcmp(state, "on");
	int step;
	while ((step = sqlite3_step(ms)) == SQLITE_ROW) {
		struct startup s;
		memset(&s, 0, sizeof(s));
		s.pid = sqlite3_column_int64(ms, 0);
		s.tid = sqlite3_column_int64(ms, 1);
		int64_t begin = sqlite3_column_int64(ms, 2), end = sqlite3_column_int64(ms, 3);
		s.ms = (double)(end - begin) / 1e6;
		snprintf(s.script, sizeof(s.script), "%s", text(ms, 4));
		rc = lt_samples_summarize(a->db, &a->opts.user_code, s.pid, s.tid, begin, end, &s.sum);
		if (rc != 0)
			goto finalize;
		s.samples = s.sum.samples;
		s.module_samples = s.sum.module_samples;
		rc = add_module_loading(a, after, &s, sampling_on);
		if (rc != 0)
			goto finalize;
		if (s.ms >= a->opts.block_ms)
			describe(a, &s);
	}
	rc = step == SQLITE_DONE ? 0 : -EIO;
finalize:
	sqlite3_finalize(ms);
	sqlite3_finalize(after);
	return rc;
}
