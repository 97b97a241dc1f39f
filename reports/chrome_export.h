/*
 * chrome_export.h — a trace as Chrome trace-event JSON, for Perfetto UI
 * (ui.perfetto.dev, "Open trace file") and chrome://tracing ("Load").
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

/* Write the whole trace to `out`.  Returns 0 or -EIO with a one-line
 * reason in err. */
int lt_export_chrome(sqlite3 *db, FILE *out, struct lt_export_stats *st, char *err, size_t errlen);

#endif
