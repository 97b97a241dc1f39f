/*
 * cmd_report.c — `looptrace report`: findings ranked by impact, then the
 * loop's metrics, as text, JSON or the self-contained HTML page.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../analyzer/analysis.h"
#include "../reports/html_report.h"
#include "../reports/report_format.h"
#include "cmds.h"

struct report_settings {
	const char *trace;
	const char *format;
	const char *output;
	struct lt_analysis_opts analysis;
};

static const char *const formats[] = {"text", "json", "html", NULL};

static const struct lt_option options[] = {
	LT_OPTION_FORMAT(struct report_settings, format, formats,
			 "Write text (the default), JSON, or a self-contained HTML page."),
	{"block-ms", 0, "MS", "Report callbacks that ran at least this long as blocking tasks (default 50).",
	 LT_OPT_MS, NULL, offsetof(struct report_settings, analysis.block_ms)},
	{"min-savings-ms", 0, "MS",
	 "Report serial awaits only when running them together would save at least this much (default 10).",
	 LT_OPT_MS, NULL, offsetof(struct report_settings, analysis.min_savings_ms)},
	LT_OPTION_OUTPUT(struct report_settings, output, "Write the report to FILE instead of standard output."),
};

const struct lt_command lt_command_report = {
	.name = "report",
	.summary = "find blocking tasks, unhandled rejections, leaked handles, serial awaits",
	.description = "Analyze a trace: blocking tasks, unhandled rejections, leaked handles, serial awaits and "
		       "floods, ranked by their impact on the event loop, then the loop's metrics (lag, busy "
		       "time, queues).",
	.options = options,
	.n_options = LT_COUNT_OF(options),
	.operand = LT_OPERAND_TRACE,
	.operand_name = "TRACE.db",
	.operand_offset = offsetof(struct report_settings, trace),
	.run = cmd_report,
};

/* Render the analysis in the chosen format.  Returns 0, or 1 after one line. */
static int render(const struct report_settings *s, const struct lt_analysis *a, FILE *out)
{
	char err[1024];
	if (!strcmp(s->format, "json")) {
		lt_report_json(out, a);
	} else if (!strcmp(s->format, "html")) {
		if (lt_report_html(out, a, lt_base_name(s->trace), err, sizeof(err)) != 0) {
			lt_cli_error("%s: %s", s->trace, err);
			return 1;
		}
	} else {
		lt_report_text(out, a, out == stdout && isatty(STDOUT_FILENO));
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct report_settings s = {.format = "text"};
	lt_analysis_defaults(&s.analysis);
	int status;
	if (lt_command_parse(&lt_command_report, argc, argv, &s, &status) != 0)
		return status;

	sqlite3 *db;
	if ((status = lt_command_open_trace(s.trace, &db)) != 0)
		return status;
	char err[1024];
	struct lt_analysis a;
	if (lt_analyze(db, &s.analysis, &a, err, sizeof(err)) != 0) {
		lt_cli_error("%s: %s", s.trace, err);
		status = LT_EXIT_USAGE;
		goto free_analysis;
	}
	struct lt_output_file out;
	if ((status = lt_output_open(&out, &lt_command_report, s.output, s.trace)) != 0)
		goto free_analysis;
	status = render(&s, &a, out.f);
	if (status != 0)
		lt_output_abandon(&out);
	else if (lt_output_commit(&out) != 0)
		status = 1;
free_analysis:
	lt_analysis_free(&a);
	sqlite3_close(db);
	return status;
}
