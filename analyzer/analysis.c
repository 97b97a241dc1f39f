/*
 * analysis.c — run the detectors and the metrics over one trace.
 */
#include "analysis.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detectors.h"
#include "locations.h"
#include "processes.h"

void lt_analysis_defaults(struct lt_analysis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->block_ms = 50;
	o->min_savings_ms = 10;
}

/* Every finding names its thread: the process's main thread when a detector
 * gave only the pid, then the thread's name and the process's script. */
static void name_threads(sqlite3 *db, struct lt_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct lt_finding *x = &f->items[i];
		if (!x->tid)
			x->tid = lt_main_tid(db, x->pid);
		char name[256], script[4096];
		lt_thread_label(db, x->pid, x->tid, name, sizeof(name), script, sizeof(script));
		lt_finding_thread_names(x, name[0] ? name : NULL, script[0] ? script : NULL);
	}
}

static void keep_filtered_processes(const struct lt_filter *f, struct lt_processes *p)
{
	size_t kept = 0;
	for (size_t i = 0; i < p->n; i++)
		if (lt_filter_pid(f, p->items[i].pid))
			p->items[kept++] = p->items[i];
	p->n = kept;
}

/* Each step's wall and CPU seconds (every thread of the process), kept in
 * the analysis for whoever measures (report prints them on request). */
struct step_clock {
	struct timespec wall, cpu;
};

static void step_clock_start(struct step_clock *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c->cpu);
}

static double seconds_since(clockid_t id, const struct timespec *from)
{
	struct timespec now;
	clock_gettime(id, &now);
	return (double)(now.tv_sec - from->tv_sec) + (double)(now.tv_nsec - from->tv_nsec) / 1e9;
}

static void step_clock_report(const struct step_clock *c, struct lt_analysis *a, const char *step)
{
	if (a->n_step_times == LT_ANALYSIS_STEPS)
		return;
	struct lt_step_time *t = &a->step_times[a->n_step_times++];
	t->name = step;
	t->wall_s = seconds_since(CLOCK_MONOTONIC, &c->wall);
	t->cpu_s = seconds_since(CLOCK_PROCESS_CPUTIME_ID, &c->cpu);
}

int lt_analyze(sqlite3 *db, const struct lt_analysis_opts *opts, struct lt_analysis *out, char *err,
	       size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->db = db;
	out->opts = *opts;
	static const struct {
		const char *name;
		int (*run)(struct lt_analysis *);
	} steps[] = {
		{"blocking tasks", lt_detect_blocking},
		{"startup", lt_detect_startup},
		{"rejections", lt_detect_rejections},
		{"leaked handles", lt_detect_leaks},
		{"sequential awaits", lt_detect_sequential_await},
		{"floods", lt_detect_floods},
		{"flight window", lt_detect_window},
	};
	struct step_clock clock;
	step_clock_start(&clock);
	if (lt_locations_prepare_for(db, &opts->user_code) != 0) {
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	step_clock_report(&clock, out, "locations");
	step_clock_start(&clock);
	int loaded = lt_dispatch_table_load(db, &out->dispatches);
	if (loaded != 0) {
		snprintf(err, errlen, "dispatches: %s", loaded == -ENOMEM ? "out of memory" : sqlite3_errmsg(db));
		return loaded;
	}
	step_clock_report(&clock, out, "dispatch table");
	/* The metrics add no finding: they go first, while every column of
	 * the table is there. */
	step_clock_start(&clock);
	int rc = lt_metrics_compute_with(db, &out->dispatches, &opts->filter, &out->metrics);
	step_clock_report(&clock, out, "metrics");
	if (rc != 0) {
		snprintf(err, errlen, "metrics: %s", sqlite3_errmsg(db));
		return rc;
	}
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step_clock_start(&clock);
		rc = steps[i].run(out);
		step_clock_report(&clock, out, steps[i].name);
		if (rc != 0) {
			snprintf(err, errlen, "%s: %s", steps[i].name,
				 rc == -ENOMEM ? "out of memory" : sqlite3_errmsg(db));
			return rc;
		}
		if (steps[i].run == lt_detect_leaks) /* their last reader */
			lt_dispatch_table_forget(&out->dispatches, LT_DISPATCH_RESOURCE_IDS | LT_DISPATCH_FLAGS);
	}
	lt_dispatch_table_free(&out->dispatches); /* its last reader is done */
	step_clock_start(&clock);
	rc = lt_processes_load(db, &out->processes);
	if (rc != 0) {
		snprintf(err, errlen, "processes: %s", rc == -ENOMEM ? "out of memory" : sqlite3_errmsg(db));
		return rc;
	}
	keep_filtered_processes(&opts->filter, &out->processes);
	if (lt_losses_load(db, &out->losses) != 0) {
		snprintf(err, errlen, "losses: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	name_threads(db, &out->findings);
	lt_filter_findings(&opts->filter, &out->findings);
	lt_findings_rank(&out->findings);
	step_clock_report(&clock, out, "processes, names");
	return 0;
}

void lt_analysis_free(struct lt_analysis *a)
{
	lt_findings_free(&a->findings);
	lt_processes_free(&a->processes);
	lt_dispatch_table_free(&a->dispatches);
}
