/*
 * detectors.h — the detectors `report` runs, one file each.  Every detector
 * reads the dispatches from a->dispatches (read once per analysis:
 * dispatch_table.h) and the rest of the trace through a->db, appends to
 * a->findings, and returns 0 or -errno.
 */
#ifndef LOOPTRACE_DETECTORS_H
#define LOOPTRACE_DETECTORS_H

#include "analysis.h"

/* blocking-task: dispatches that held the loop longer than opts.block_ms. */
int lt_detect_blocking(struct lt_analysis *a);
/* startup: the main module (and module loading) before the first iteration. */
int lt_detect_startup(struct lt_analysis *a);
/* unhandled-rejection and uncaught-exception. */
int lt_detect_rejections(struct lt_analysis *a);
/* leaked-handle, and never-settled-promise for growing pending promises. */
int lt_detect_leaks(struct lt_analysis *a);
/* sequential-await: independent async work awaited one after another. */
int lt_detect_sequential_await(struct lt_analysis *a);
/* microtask-starvation and unbounded-fan-out. */
int lt_detect_floods(struct lt_analysis *a);
/* flight-window: on a flight recorder's dump, which window it holds (info). */
int lt_detect_window(struct lt_analysis *a);

#endif
