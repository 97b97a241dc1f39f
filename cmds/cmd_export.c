/*
 * cmd_export.c — `looptrace export`: the trace as Chrome trace-event JSON
 * for Perfetto and chrome://tracing.
 */
#include <stdio.h>

#include "../reports/chrome_export.h"
#include "cmds.h"

struct export_settings {
	const char *trace;
	const char *format;
	const char *output;
};

static const char *const formats[] = {"chrome", NULL};

static const struct lt_option options[] = {
	LT_OPTION_FORMAT(struct export_settings, format, formats,
			 "Write Chrome trace-event JSON (the only format so far)."),
	LT_OPTION_OUTPUT(struct export_settings, output, "Write to FILE instead of standard output."),
};

const struct lt_command lt_command_export = {
	.name = "export",
	.summary = "write the trace for Perfetto / chrome://tracing",
	.description = "Convert a trace for Perfetto (ui.perfetto.dev) or chrome://tracing: a slice per "
		       "dispatch on its thread, flows from where a callback was queued to where it ran, spans "
		       "for loop phases, counters for the queues.  With -o, a summary goes to standard error.",
	LT_OPTIONS(options),
	LT_TRACE_OPERAND(struct export_settings, trace),
	.run = cmd_export,
};

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
	if (lt_export_chrome(db, out.f, &st, err, sizeof(err)) != 0) {
		lt_output_abandon(&out);
		lt_cli_error("%s: %s", s.trace, err);
		status = LT_EXIT_USAGE;
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
