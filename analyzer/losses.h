/*
 * losses.h — where a trace is incomplete: what the recorder's writers
 * dropped (tables stream_losses and stream_gaps, meta incomplete), for the
 * reports and replay to say so.
 *
 * Ownership: struct lt_losses is caller-owned and holds no pointers.
 * Errors: lt_losses_load returns 0 or -EIO.
 */
#ifndef LOOPTRACE_LOSSES_H
#define LOOPTRACE_LOSSES_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define LT_LOSSES_GAPS 16

struct lt_losses {
	int64_t dropped_events; /* 0: the trace is complete */
	int threads;            /* threads that dropped events */
	int64_t origin_ns;      /* the trace's first thread start, for relative times */
	char reasons[96];       /* comma-separated, as in stream_losses.reasons */
	struct lt_loss_gap {
		int64_t pid, tid, begin_ns, end_ns, events;
	} gaps[LT_LOSSES_GAPS]; /* the longest gaps, in time order */
	size_t n_gaps;
	size_t more_gaps;       /* gaps beyond those */
};

int lt_losses_load(sqlite3 *db, struct lt_losses *out);

/* One line: "N events dropped in T thread(s) (reasons); gaps: pid/tid
 * 1.20-1.35 s, ..." (no newline). */
void lt_losses_describe(const struct lt_losses *l, char *buf, size_t n);

#endif
