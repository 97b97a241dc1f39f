/*
 * analysis.h — everything `report` says about a trace: findings from the
 * detectors (detectors.h) and the loop's metrics (metrics.h).
 *
 * Ownership: struct lt_analysis owns its findings; lt_analysis_free
 * releases them.  The database stays the caller's.
 */
#ifndef LOOPTRACE_ANALYSIS_H
#define LOOPTRACE_ANALYSIS_H

#include <sqlite3.h>
#include <stddef.h>

#include "dispatch_table.h"
#include "filter.h"
#include "findings.h"
#include "losses.h"
#include "metrics.h"
#include "processes.h"
#include "user_code.h"

struct lt_analysis_opts {
	double block_ms;       /* blocking-task threshold (default 50) */
	double min_savings_ms; /* sequential-await: smallest saving worth a finding (default 10) */
	struct lt_user_code user_code; /* what counts as the program's own code */
	struct lt_filter filter;       /* which findings (and processes) the report shows */
};

/* What one step of lt_analyze took (for measuring big traces). */
struct lt_step_time {
	const char *name; /* static */
	double wall_s, cpu_s; /* cpu: every thread of the process */
};
#define LT_ANALYSIS_STEPS 16

struct lt_analysis {
	sqlite3 *db;
	struct lt_analysis_opts opts;
	struct lt_findings findings;
	struct lt_metrics metrics;
	struct lt_processes processes; /* every traced process, by start time */
	struct lt_losses losses;       /* where the recording dropped events */
	struct lt_dispatch_table dispatches; /* every dispatch, read once for the detectors */
	struct lt_step_time step_times[LT_ANALYSIS_STEPS];
	size_t n_step_times;
};

void lt_analysis_defaults(struct lt_analysis_opts *o);

/* Run every detector and compute the metrics.  Returns 0 or -errno with a
 * one-line reason in err. */
int lt_analyze(sqlite3 *db, const struct lt_analysis_opts *opts, struct lt_analysis *out, char *err,
	       size_t errlen);

void lt_analysis_free(struct lt_analysis *a);

#endif
