/*
 * metrics.h — event-loop metrics of the busiest JavaScript thread in a trace:
 * busy and idle time, utilization, timer lateness, and event-loop lag
 * percentiles computed the way perf_hooks.monitorEventLoopDelay samples them
 * (a 10 ms repeating timer whose extra delay is recorded), replayed over the
 * recorded loop iterations.
 */
#ifndef LOOPTRACE_METRICS_H
#define LOOPTRACE_METRICS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatch_table.h"
#include "filter.h"

#define LT_LAG_RESOLUTION_MS 10.0

/* Lag histogram: bucket k counts samples <= lt_lag_bucket_ms[k] ms and above
 * the previous bound; the last bucket is open-ended. */
#define LT_LAG_BUCKETS 12
extern const double lt_lag_bucket_ms[LT_LAG_BUCKETS - 1];

struct lt_percentiles {
	int64_t count;
	double p50_ms, p90_ms, p99_ms, max_ms, mean_ms;
};

/* A service waits for I/O between bursts of work; a batch run (a CLI, a
 * build step, a test file) never does, so lag percentiles mean nothing
 * for it and its busy time is broken down instead.  See lt_loop_mode. */
enum lt_loop_mode { LT_MODE_SERVICE, LT_MODE_BATCH };

#define LT_HOTTEST 5

/* A place in the program's code with the time its callbacks took. */
struct lt_hot_site {
	char file[1024], function[256];
	int64_t line, column, count;
	double total_ms;
};

struct lt_metrics {
	int64_t pid, tid;      /* the thread measured (0 when the trace has no JS thread) */
	int64_t start_ns;
	double wall_ms;        /* from thread start to its last event */
	double busy_ms;        /* in top-level dispatches */
	double idle_ms;        /* waiting in poll */
	double utilization;    /* 1 - idle / wall */
	int64_t iterations;
	int64_t dispatches;
	int64_t by_queue[8];   /* dispatch counts, enum lt_queue order */
	struct lt_percentiles lag;            /* monitorEventLoopDelay emulation */
	int64_t lag_histogram[LT_LAG_BUCKETS]; /* the same samples, bucketed */
	struct lt_percentiles timer_lateness; /* actual start - due time, every timer */
	struct lt_percentiles iteration_busy; /* busy time per iteration */
	enum lt_loop_mode mode;
	double startup_ms;                    /* in the main module, before the first iteration */
	double busy_by_queue_ms[8];           /* top-level dispatch time, enum lt_queue order */
	struct lt_hot_site hottest[LT_HOTTEST]; /* batch: user-code sites by total time */
	size_t n_hottest;
	/* An attached (eBPF) trace: how it was captured, and the threadpool
	 * summary `attach` keeps in the trace's meta (items, queue wait from
	 * submission to a pool thread starting it, run time). */
	int attached;
	int64_t threadpool_items;
	struct lt_percentiles threadpool_wait, threadpool_run; /* p50, p99, max only */
	/* A recorded libuv program's threadpool (the preload's LT_WORK
	 * records): the same items, wait and run of the threadpool_timed
	 * items (uv_queue_work), and submission to done callback of all. */
	int threadpool_recorded;
	int64_t threadpool_timed;
	struct lt_percentiles threadpool_done;
	char threadpool_kinds[96]; /* "fs N, work N, dns N, random N" */
};

/* Returns 0 or -EIO.  Needs the locations prepared (locations.h). */
int lt_metrics_compute(sqlite3 *db, struct lt_metrics *m);
/* The same on the busiest thread of the processes the filter keeps (NULL: all). */
int lt_metrics_compute_for(sqlite3 *db, const struct lt_filter *filter, struct lt_metrics *m);
/* The same with the trace's dispatches already read (the analysis's table,
 * which stays the caller's). */
int lt_metrics_compute_with(sqlite3 *db, const struct lt_dispatch_table *d, const struct lt_filter *filter,
			    struct lt_metrics *m);

/* The mode of one JS thread: batch when it never listened for connections
 * and spent under LT_BATCH_IDLE_SHARE of its life after startup waiting in
 * poll — a program that mostly computes (a formatter, a linter, a build
 * step waiting only for its own file reads) and that nobody waits on.
 * Returns 0 or -EIO. */
#define LT_BATCH_IDLE_SHARE 0.25
int lt_loop_mode(sqlite3 *db, int64_t pid, int64_t tid, enum lt_loop_mode *mode);
/* The same, its main-queue time summed from the dispatch table d. */
int lt_loop_mode_with(sqlite3 *db, const struct lt_dispatch_table *d, int64_t pid, int64_t tid,
		      enum lt_loop_mode *mode);

/* Percentiles of v[0..n) (sorted in place), values in ms. */
void lt_percentiles_of(double *v, int64_t n, struct lt_percentiles *out);

#endif
