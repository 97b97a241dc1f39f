/*
 * samples.h — what the stacks sampled while a dispatch ran say about it.
 *
 * The agent samples the JS stack of a dispatch that runs long (trace table
 * samples(id, pid, tid, ts_ns, dispatch_seq, stack_id, busy_ns, on_cpu_ns,
 * runq_ns), meta
 * in_dispatch_samples "on" / "off" / "unavailable ...").  A summary of the
 * samples in a time range on one thread names the user frame most sampled,
 * what that code was calling (readFileSync, JSON.parse, pbkdf2Sync...), the
 * library frame that ran, and how much of it was module loading.  Traces
 * without the table give an empty summary (available = 0).
 *
 * Ownership: plain structs, no allocation kept.  Errors: 0, -EIO.
 */
#ifndef LOOPTRACE_SAMPLES_H
#define LOOPTRACE_SAMPLES_H

#include <sqlite3.h>
#include <stdint.h>

#include "locations.h"
#include "user_code.h"

#define LT_TOP_MODULES 3

struct lt_sample_summary {
	int available;          /* the trace has in-dispatch samples */
	int64_t samples;        /* in the range */
	int64_t with_frames;    /* samples whose stack had any frame with a file */
	int64_t user_samples;   /* with a user frame */
	int64_t user_innermost; /* ...where the user code itself was running (CPU in user code) */
	int64_t module_samples; /* loading modules (require / import) */
	struct lt_user_frame user; /* the line sampled most in the user function sampled most */
	int64_t user_votes;        /* samples at that line */
	int64_t function_votes;    /* samples in that function */
	struct lt_user_frame caller; /* the user line that called that function most */
	int64_t caller_votes;        /* samples with that caller (0: called from outside user code) */
	struct lt_user_frame library; /* the library frame sampled most */
	int has_library;
	char called[256];       /* what that line was calling, "" when it ran its own code
	                           (with no user frame: the innermost function) */
	char modules[LT_TOP_MODULES][256]; /* modules being loaded, most sampled first */
	int n_modules;
};

/* Builds a TEMP index over the samples on first use (once per connection:
 * a trace is read-only, samples added later on the same connection are not
 * seen). */
int lt_samples_summarize(sqlite3 *db, const struct lt_user_code *uc, int64_t pid, int64_t tid,
			 int64_t begin_ns, int64_t end_ns, struct lt_sample_summary *out);

/* How the thread's time went in the busy period around [begin_ns, end_ns],
 * as the latest sample in it saw: on a CPU, and runnable but waiting for
 * one (the machine was busy with other work), over a window of *busy_ms
 * that ends at the latest sample in the range and begins at the sample
 * before the range in the same busy period (else near its start); with no
 * sample in the range, the latest sample of the second before it.  0,
 * -ENOENT (no sample that
 * knew), -EIO. */
int lt_samples_cpu(sqlite3 *db, int64_t pid, int64_t tid, int64_t begin_ns, int64_t end_ns,
		   double *on_cpu_ms, double *runq_ms, double *busy_ms);

/* meta in_dispatch_samples ("on", "off", "unavailable ..."), or "absent" for
 * a trace from before in-dispatch sampling. */
void lt_samples_state(sqlite3 *db, char *buf, size_t len);

#endif
