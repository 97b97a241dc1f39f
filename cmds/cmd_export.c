/*
 * cmd_export.c — `looptrace export`: the trace as Chrome trace-event JSON
 * for Perfetto and chrome://tracing, whole or a window of it, plain or
 * gzip-compressed (-o FILE.gz).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../reports/chrome_export.h"
#include "../reports/gzip_stream.h"
#include "cmds.h"

struct export_settings {
	const char *trace;
	const char *format;
	const char *output;
	int64_t from_seq, to_seq;
	struct lt_pids pids, tids;
};

static const char *const formats[] = {"chrome", NULL};

static const struct lt_option options[] = {
	LT_OPTION_FORMAT(struct export_settings, format, formats,
			 "Write Chrome trace-event JSON (the only format so far)."),
	LT_OPTION_OUTPUT(struct export_settings, output,
			 "Write to FILE instead of standard output; a name ending in .gz is written gzip-compressed."),
	LT_OPTION_FROM(struct export_settings, from_seq),
	LT_OPTION_TO(struct export_settings, to_seq),
	LT_OPTION_PID(struct export_settings, pids, "Export only this process (repeatable)."),
	LT_OPTION_TID(struct export_settings, tids, "Export only this thread (repeatable)."),
};

const struct lt_command lt_command_export = {
	.name = "export",
	.summary = "write the trace for Perfetto / chrome://tracing",
	.description = "Convert a trace for Perfetto (ui.perfetto.dev) or chrome://tracing: a slice per "
		       "dispatch on its thread, flows from where a callback was queued to where it ran, spans "
		       "for handles and long-pending promises, counters for loop busy time and open handles.  "
		       "Times are microseconds since the trace began, with nanoseconds as decimals.  "
		       "--from/--to, --pid and --tid export a window: its dispatches, and the spans and "
		       "counters of the time they cover.  With -o, a summary goes to standard error.",
	LT_OPTIONS(options),
	LT_TRACE_OPERAND(struct export_settings, trace),
	.run = cmd_export,
};

/* Export into out.f, through a gzip stream when the name asks for one.
 * Returns 0, -EIO (trace unreadable: err says why) or -EPIPE (writing). */
static int write_export(sqlite3 *db, const struct export_settings *s, struct lt_output_file *out,
			struct lt_export_stats *st, char *err, size_t errlen)
{
	int64_t pids[LT_MAX_PIDS], tids[LT_MAX_PIDS];
	for (int i = 0; i < s->pids.n; i++)
		pids[i] = s->pids.pid[i];
	for (int i = 0; i < s->tids.n; i++)
		tids[i] = s->tids.pid[i];
	const struct lt_export_window w = {.from_seq = s->from_seq, .to_seq = s->to_seq,
					   .pids = pids, .n_pids = (size_t)s->pids.n,
					   .tids = tids, .n_tids = (size_t)s->tids.n};
	if (!lt_gzip_wanted(s->output))
		return lt_export_chrome(db, &w, out->f, st, err, errlen);
	FILE *gz = lt_gzip_open(out->f, 6);
	if (!gz) {
		snprintf(err, errlen, "cannot start gzip compression: %s", strerror(errno));
		return -EPIPE;
	}
	int rc = lt_export_chrome(db, &w, gz, st, err, errlen);
	int bad = ferror(gz);
	if (fclose(gz) != 0 || bad) {
		if (rc == 0)
			snprintf(err, errlen, "cannot write %s", s->output);
		return rc ? rc : -EPIPE;
	}
	return rc;
}

int cmd_export(int argc, char **argv)
{
	struct export_settings s = {.format = "chrome"};
	int status;
	if (lt_command_parse(&lt_command_export, argc, argv, &s, &status) != 0)
		return status;

	sqlite3 *db;
	if ((status = lt_command_open_trace(s.trace, &db)) != 0)
		return status;
	struct lt_output_file out;
	if ((status = lt_output_open(&out, &lt_command_export, s.output, s.trace)) != 0)
		goto close_db;
	char err[1024];
	struct lt_export_stats st;
	int rc = write_export(db, &s, &out, &st, err, sizeof(err));
	if (rc != 0) {
		lt_output_abandon(&out);
		if (rc == -EPIPE) {
			lt_cli_error("export: %s", err);
			status = 1;
		} else {
			lt_cli_error("%s: %s", s.trace, err);
			status = LT_EXIT_USAGE;
		}
		goto close_db;
	}
	if (lt_output_commit(&out) != 0) {
		status = 1;
		goto close_db;
	}
	if (s.output)
		fprintf(stderr, "looptrace: %llu slices, %llu flows, %llu spans, %llu counter samples -> %s\n",
			(unsigned long long)st.slices, (unsigned long long)st.flows,
			(unsigned long long)st.spans, (unsigned long long)st.counters, s.output);
close_db:
	sqlite3_close(db);
	return status;
}
