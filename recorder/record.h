/*
 * record.h — record a command: run it under the in-process probes
 * (LD_PRELOAD library + Node agent), drain its capture while it runs, and
 * import the capture into one trace database when it exits.
 *
 * Ownership: the caller owns the options and the strings they point to;
 * lt_record_run owns the capture directories it creates and removes them
 * (or keeps the capture where its message says).
 *
 * Errors: lt_record_run prints each problem as one line through cli/cli.h
 * (a recording is long and also reports its progress on stderr) and
 * returns an exit status, documented below.
 */
#ifndef LOOPTRACE_RECORD_H
#define LOOPTRACE_RECORD_H

struct lt_record_opts {
	const char *output; /* the trace file; its directory must exist (checked by the caller) */
	double duration;    /* seconds; 0 = until the command exits */
	int quiet;          /* no progress line and no summary on stderr */
	int keep_raw;       /* keep the raw capture as OUTPUT.raw (created; must not exist) */
	int lossless;       /* writers wait for the recorder instead of dropping records */
	char **cmd;         /* the command line, NULL-terminated */
};

/* Record o->cmd into o->output.  Returns the command's exit status (128+N
 * when it died of signal N) — also when its trace could not be written (one
 * line says so) — or LT_EXIT_USAGE when the recording could not start. */
int lt_record_run(const struct lt_record_opts *o);

#endif
