/*
 * idle_time.h — the loop's idle time between two instants on one thread:
 * every poll wait of the trace (iterations.poll_begin_ns/poll_end_ns), in
 * time order per thread, with running sums, so that one question costs two
 * binary searches.  Used by the sequential-await detector to tell how long
 * an await really waited.
 *
 * Ownership: lt_polls_load fills a struct lt_polls the caller owns and
 * releases with lt_polls_free.  Errors: 0 or -errno (-EIO for SQLite,
 * -ENOMEM); nothing is printed.
 */
#ifndef LOOPTRACE_IDLE_TIME_H
#define LOOPTRACE_IDLE_TIME_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Poll waits of every thread, in time order, with running sums: how long
 * the loop sat waiting between two instants. */
struct lt_polls {
	int64_t *pid, *tid, *begin, *end;
	double *before; /* idle ms of the thread's earlier polls */
	size_t n;
};

/* Load every poll wait of the trace; on error *p holds nothing. */
int lt_polls_load(sqlite3 *db, struct lt_polls *p);
void lt_polls_free(struct lt_polls *p);

/* Idle ms of the thread's loop between a and b; -1 when it has no polls. */
double lt_idle_between(const struct lt_polls *p, int64_t pid, int64_t tid, int64_t a, int64_t b);

#endif
