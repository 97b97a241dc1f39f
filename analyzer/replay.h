/*
 * replay.h — walk a trace's dispatches in execution order, each with the
 * output it produced and the source location it was scheduled from.
 *
 * Streams over two SQLite cursors (dispatches by seq, output by
 * dispatch_seq), so memory stays flat whatever the trace size.
 *
 * Ownership: every pointer in the structs passed to the callback belongs to
 * SQLite and is valid only during that call.
 */
#ifndef LOOPTRACE_REPLAY_H
#define LOOPTRACE_REPLAY_H

#include <regex.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "samples.h"
#include "user_code.h"

/* A dispatch at least this long is never hidden as Node's own. */
#define LT_REPLAY_SLOW_MS 50.0

struct lt_location {
	const char *function; /* "" when anonymous */
	const char *file;     /* NULL when unknown */
	int64_t line, column; /* 1-based */
	int inherited;        /* placed through its trigger or parent: its own
	                         creation stack does not reach the program's code */
};

struct lt_dispatch {
	int64_t seq, pid, tid, depth, iteration;
	int64_t parent_seq, trigger_seq; /* 0 when none */
	const char *queue, *type, *phase;
	const char *callback; /* callback function name, "" when unknown */
	int64_t begin_ns, end_ns;
	struct lt_location loc;
	const char *argv; /* command line of the process, "" when unknown */
	int64_t js_thread; /* 0: the process's main thread, N: worker N, -1: another thread */
	int ran_user_code; /* a user-code frame was sampled in it, or it created
	                      something from the program's code */
	int slow;          /* ran at least the slow threshold */
	/* A slow dispatch: what its in-dispatch samples say (NULL when it has
	 * none): the user frame sampled most and what it was calling. */
	const struct lt_sample_summary *sampled;
};

struct lt_replay_opts {
	double slow_ms;                    /* default LT_REPLAY_SLOW_MS */
	const struct lt_user_code *user_code; /* NULL: the default rule */
	/* Filters (all zero: every dispatch). */
	int64_t from_seq, to_seq;          /* dispatch numbers, inclusive; 0 = open */
	const int64_t *pids;               /* only these processes (n_pids 0: all) */
	size_t n_pids;
	double min_ms;                     /* > 0: only dispatches that ran at least this
	                                      long, with their context: the task that
	                                      began their tick and what nested in them */
	const regex_t *grep;               /* only dispatches whose callback, type,
	                                      location, sampled code or output matches
	                                      (compiled REG_NOSUB) */
	uint64_t *left_out;                /* out (may be NULL): dispatches of the
	                                      window that min_ms or grep left out */
};

struct lt_output {
	const char *text;
	size_t len;
	int fd;
};

/* Called once per dispatch in order; return nonzero to stop. */
typedef int (*lt_replay_fn)(void *ctx, const struct lt_dispatch *d, const struct lt_output *out,
			    size_t n_out);

/* Node's own housekeeping (stream write ticks, fs steps of readFile...),
 * which says nothing to a reader: no output, not created by the program's
 * code, no user code sampled in it, not slow, not the main script or an
 * exit event.  Views for people hide it unless asked. */
int lt_replay_is_housekeeping(const struct lt_dispatch *d, size_t n_out);

/* Returns 0, or -EIO with a one-line reason in err. */
int lt_replay_each(sqlite3 *db, lt_replay_fn fn, void *ctx, char *err, size_t errlen);
/* The same with options (opts NULL: the defaults). */
int lt_replay_each_with(sqlite3 *db, const struct lt_replay_opts *opts, lt_replay_fn fn, void *ctx, char *err,
			size_t errlen);

/* The trace's time origin (earliest thread start), for relative times. */
int64_t lt_replay_origin_ns(sqlite3 *db);

#endif
