/*
 * attach_work.h — threadpool items followed from submission to completion
 * (LT_EV_WORK_SUBMIT on the loop, _START and _END on a pool thread, _DONE
 * back on the loop) and summed up: items by kind, queue wait and run time
 * percentiles.  Items in flight sit in a direct-mapped table: an item whose
 * slot another takes before it completes is not counted.
 *
 * Used by recorder/attach_events.c alone, on the thread that drains the
 * ring.  Ownership: the table is allocated at the first event and freed by
 * lt_work_summary.  Errors: 0 or -ENOMEM.
 */
#ifndef LOOPTRACE_ATTACH_WORK_H
#define LOOPTRACE_ATTACH_WORK_H

#include <linux/types.h>
#include <stdint.h>

#include "../probes/bpf/loop.h"

/* Threadpool items seen from submission to completion, in ms. */
struct lt_attach_threadpool {
	uint64_t items;
	uint64_t by_kind[5]; /* enum lt_bpf_work */
	double wait_p50, wait_p99, wait_max; /* submitted -> a pool thread starts it */
	double run_p50, run_p99, run_max;    /* run time on the pool thread */
};

struct lt_work_table;

/* Follow one LT_EV_WORK_* event; a completed item is counted in *tp.
 * *t is created at the first call.  0 or -ENOMEM (nothing counted). */
int lt_work_add(struct lt_work_table **t, struct lt_attach_threadpool *tp, const struct lt_bpf_event *e);

/* Fill the percentiles of *tp and free *t (NULL after). */
void lt_work_summary(struct lt_work_table **t, struct lt_attach_threadpool *tp);

#endif
