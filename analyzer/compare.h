/*
 * compare.h — two analyzed traces side by side (`looptrace diff`): the loop's
 * figures, the callback sites whose time changed most, and the findings that
 * are new, fixed or unchanged, plus the regression gates that turn a
 * comparison into an exit status.
 *
 * Sites and findings are matched by place in the program's own code, not by
 * ids: a file is compared relative to the directory of its trace's main
 * script (two checkouts of one program match), a site by (file, function)
 * when the function has a name, else (file, line); a finding by (kind, file,
 * function or line).  Lines move when code changes; names move less.
 *
 * Ownership: lt_compare fills a struct lt_comparison that owns its arrays;
 * lt_comparison_free releases them.  The analyses stay the caller's and must
 * outlive the comparison (matches point into their findings).
 * Errors: 0, -ENOMEM, -EIO; lt_gates_parse -EINVAL with a one-line reason.
 */
#ifndef LOOPTRACE_COMPARE_H
#define LOOPTRACE_COMPARE_H

#include <stddef.h>

#include "analysis.h"

/* The figures compared, in display order. */
enum lt_figure {
	LT_FIG_WALL_MS,
	LT_FIG_BUSY_MS,
	LT_FIG_ELU,          /* utilization, 0..1 */
	LT_FIG_DISPATCHES,
	LT_FIG_DISPATCH_RATE, /* dispatches per second of wall time */
	LT_FIG_ITERATIONS,
	LT_FIG_P50_LAG,
	LT_FIG_P90_LAG,
	LT_FIG_P99_LAG,
	LT_FIG_MAX_LAG,
	LT_FIG_P99_TIMER_LATENESS,
	LT_FIG_STARTUP_MS,
	LT_FIG_BUSY_NEXTTICK_MS,
	LT_FIG_BUSY_MICROTASK_MS,
	LT_FIG_BUSY_TIMER_MS,
	LT_FIG_BUSY_IMMEDIATE_MS,
	LT_FIG_BUSY_IO_MS,
	LT_FIG_BUSY_CLOSE_MS,
	LT_FIG_FINDINGS_ERROR,
	LT_FIG_FINDINGS_WARNING,
	LT_FIG_COUNT
};

/* The name used in text, JSON and gates ("p99_lag", "elu", ...). */
const char *lt_figure_name(enum lt_figure f);
/* The figure called `name`, or -1. */
int lt_figure_by_name(const char *name);

struct lt_site_change {
	char file[1024]; /* relative to the main script's directory when under it */
	char function[256];
	int64_t base_line, new_line;  /* 0 when absent on that side */
	int64_t base_count, new_count;
	double base_ms, new_ms;
};

enum lt_match { LT_FINDING_NEW, LT_FINDING_FIXED, LT_FINDING_UNCHANGED };

struct lt_finding_match {
	enum lt_match state;
	const struct lt_finding *base, *new; /* NULL on the side it is absent from */
};

#define LT_SERIES_BINS 120

struct lt_comparison {
	double base[LT_FIG_COUNT], new[LT_FIG_COUNT];
	/* Busy share (0..1) of the measured thread in LT_SERIES_BINS bins of
	 * series_bin_ms each from its start, one bin width for both traces (the
	 * longer run fills the axis). */
	double busy_series[2][LT_SERIES_BINS];
	double series_bin_ms;
	int batch[2];                   /* base, new: a batch run (lag means little) */
	struct lt_site_change *sites;   /* most changed total time first */
	size_t n_sites;
	struct lt_finding_match *findings; /* new, then fixed, then unchanged */
	size_t n_findings;
	int64_t lag_histogram[2][LT_LAG_BUCKETS];
};

int lt_compare(const struct lt_analysis *base, const struct lt_analysis *new, struct lt_comparison *out);
void lt_comparison_free(struct lt_comparison *c);

/* Regression gates: a comma-separated list of
 *   FIGURE>+N%   the figure grew by more than N percent (from a base of 0:
 *                any growth)
 *   FIGURE>+N    it grew by more than N (its own unit: ms, a count, ELU 0..1)
 *   FIGURE>N     the new value is above N
 *   new:SEVERITY a new finding at least that severe (info, warning, error);
 *   new          the same as new:warning
 * e.g. "p99_lag>+20%,new:error". */
#define LT_MAX_GATES 16

struct lt_gate {
	int figure;         /* enum lt_figure, or -1 for new findings */
	enum { LT_GATE_REL, LT_GATE_ABS_DELTA, LT_GATE_ABOVE } how;
	double amount;
	enum lt_severity min_severity; /* new findings */
	char text[128];     /* as written */
};

struct lt_gates {
	struct lt_gate v[LT_MAX_GATES];
	size_t n;
};

int lt_gates_parse(const char *spec, struct lt_gates *out, char *err, size_t errlen);
/* Whether gate g holds for c; `why` gets one line saying what moved. */
int lt_gate_holds(const struct lt_gate *g, const struct lt_comparison *c, char *why, size_t whylen);

#endif
