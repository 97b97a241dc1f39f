/*
 * html_charts.h — the HTML report's pictures, as inline SVG written
 * straight into the page (no script needed to see them):
 *
 *   - the event-loop lag histogram (metrics.h's monitorEventLoopDelay
 *     emulation, bucketed);
 *   - busy time per loop iteration of the measured thread, at most
 *     LT_HTML_ITERATION_COLUMNS bars (each bar the busiest iteration of its
 *     group when there are more);
 *   - the timeline: a lane per process, thread and queue, top-level
 *     dispatches placed by time, runs of short dispatches closer than a
 *     pixel merged into one box with a count, long dispatches red, late
 *     timers and rejections outlined (marks.h).  Single boxes carry
 *     data-seq, so the page's script can jump to them in the step-through.
 *
 * Every string from the trace goes through html.h.  Each function returns
 * 0 or -errno (-EIO: the trace cannot be read).
 */
#ifndef LOOPTRACE_HTML_CHARTS_H
#define LOOPTRACE_HTML_CHARTS_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "../analyzer/metrics.h"

#define LT_HTML_ITERATION_COLUMNS 400
#define LT_HTML_TIMELINE_LANES 64

struct lt_timeline_stats {
	int64_t dispatches; /* top-level dispatches in the trace */
	int64_t boxes;      /* boxes drawn */
	int64_t merged;     /* dispatches drawn inside a merged box */
	int64_t lanes, lanes_omitted;
	int64_t long_tasks, late_timers, rejections;
};

int lt_html_lag_histogram(FILE *out, const struct lt_metrics *m);
int lt_html_iteration_chart(FILE *out, sqlite3 *db, const struct lt_metrics *m, double block_ms);
int lt_html_timeline(FILE *out, sqlite3 *db, double block_ms, struct lt_timeline_stats *st);

#endif
