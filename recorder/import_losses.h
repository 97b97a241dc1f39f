/*
 * import_losses.h — what the writers dropped, into the trace: one
 * stream_losses row per thread that dropped events, its gaps in
 * stream_gaps, and meta dropped_events / incomplete.
 *
 * Ownership: borrows the database and the streams (their control pages
 * hold struct lt_loss, probes/wire.h).  Errors: returns 0 or -EIO.
 */
#ifndef LOOPTRACE_IMPORT_LOSSES_H
#define LOOPTRACE_IMPORT_LOSSES_H

#include <stddef.h>

#include <sqlite3.h>

struct lt_stream;

int lt_import_losses(sqlite3 *db, const struct lt_stream *streams, size_t n);

#endif
