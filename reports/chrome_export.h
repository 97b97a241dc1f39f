/*
 * chrome_export.h — a trace as Chrome trace-event JSON, for Perfetto UI
 * (ui.perfetto.dev, "Open trace file") and chrome://tracing ("Load").
 *
 * Timestamps are microseconds since the trace began, printed in fixed
 * notation with the nanoseconds as three decimals ("ts":1721880.123):
 * Perfetto reads them as doubles, which hold such a value exactly enough
 * for any trace shorter than a century.
 *
 * Ownership: the window's pid and tid arrays are borrowed for the call.
 * Errors: 0 or -EIO with a one-line reason in err.
 */
#ifndef LOOPTRACE_CHROME_EXPORT_H
#define LOOPTRACE_CHROME_EXPORT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct lt_export_stats {
	uint64_t slices, flows, spans, counters;
};

/* What to export: dispatches numbered from_seq..to_seq (0: open end) on
 * the given processes and threads (none given: all).  Spans and counters
 * are kept to the time the chosen dispatches cover and clipped to it; a
 * flow is kept when both its ends are. */
struct lt_export_window {
	int64_t from_seq, to_seq;
	const int64_t *pids;
	size_t n_pids;
	const int64_t *tids;
	size_t n_tids;
};

/* The longest text lt_chrome_ts writes, with its NUL. */
#define LT_CHROME_TS_MAX 32

/* ns (a time relative to the trace's start, possibly negative) as
 * microseconds with exactly three decimals: 1721880123 -> "1721880.123",
 * -1500 -> "-1.500".  Returns buf. */
char *lt_chrome_ts(int64_t ns, char buf[LT_CHROME_TS_MAX]);

/* Write the window of the trace (NULL: the whole trace) to `out`. */
int lt_export_chrome(sqlite3 *db, const struct lt_export_window *w, FILE *out, struct lt_export_stats *st,
		     char *err, size_t errlen);

#endif
