/*
 * record.h — record a command: run it under the in-process probes
 * (LD_PRELOAD library + Node agent), drain its capture while it runs, and
 * import the capture into one trace database when it exits.
 *
 * Ownership: the caller owns the options and the strings they point to;
 * lt_record_run owns the capture directories it creates and removes them
 * (or keeps the capture where its message says).
 *
 * Errors and messages: lt_record_run prints nothing.  Its progress, warnings,
 * summary and problems go as text to o->notices (notice.h), whose printer
 * the caller chooses; a recording that could not start also returns -errno.
 */
#ifndef LOOPTRACE_RECORD_H
#define LOOPTRACE_RECORD_H

#include <stdint.h>

#include "notice.h"

struct lt_record_opts {
	const char *output; /* the trace file; its directory must exist (checked by the caller) */
	double duration;    /* seconds; 0 = until the command exits */
	int quiet;          /* no progress line and no summary on stderr */
	int keep_raw;       /* keep the raw capture as OUTPUT.raw (created; must not exist) */
	int lossless;       /* writers wait for the recorder instead of dropping records */
	char **cmd;         /* the command line, NULL-terminated */
	/* Flight recorder (record --ring, flight_session.h): keep only the most
	 * recent window in memory and write OUTPUT-n.db when triggered. */
	const char *ring;      /* the --ring text; NULL: a plain recording */
	uint64_t ring_bytes;   /* memory for the window */
	double ring_seconds;   /* 0: the window is what ring_bytes holds */
	double trigger_lag_ms; /* 0: no lag trigger */
	int64_t max_dumps;     /* automatic (lag, rejection) dumps at most; 0: no limit */
	struct lt_notices notices; /* where messages go (quiet: only problems) */
};

/* Record o->cmd into o->output.  Returns 0 once the command has run, with
 * *exit_status its status (128+N when it died of signal N) — also when its
 * trace could not be written (a notice says so and where the capture is) —
 * or -errno when the recording could not start (*exit_status 0; an
 * LT_NOTICE_ERROR says why). */
int lt_record_run(const struct lt_record_opts *o, int *exit_status);

#endif
