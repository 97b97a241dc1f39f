/*
 * cmd_report.c — `looptrace report`: findings ranked by impact, then the
 * loop's metrics, as text, JSON or the self-contained HTML page.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analyzer/analysis.h"
#include "../reports/html_report.h"
#include "../reports/report_format.h"
#include "../reports/sarif.h"
#include "cmds.h"

struct report_settings {
	const char *trace;
	const char *format;
	const char *output;
	struct lt_analysis_opts analysis;
	struct lt_pids pids;
	struct lt_strings only, include, exclude, user_code;
	const char *min_severity;
	const char *fail_on;
	const char *source_root;
	char root[PATH_MAX]; /* source_root (default ".") resolved */
};

static const char *const formats[] = {"text", "json", "html", "sarif", NULL};
static const char *const severities[] = {"info", "warning", "error", NULL};
static const char *const gate_levels[] = {"warning", "error", NULL};

static const struct lt_option options[] = {
	LT_OPTION_FORMAT(struct report_settings, format, formats,
			 "Write text (the default), JSON, a self-contained HTML page, or a SARIF 2.1.0 log (for code "
			 "scanning)."),
	{"fail-on", 0, NULL,
	 "Exit with status 1 when a finding (after the filters) is at least this severe: a gate for CI.",
	 LT_OPT_ENUM, gate_levels, offsetof(struct report_settings, fail_on)},
	{"source-root", 0, "DIR",
	 "SARIF locations are relative to DIR (default: the current directory); files outside it stay absolute.",
	 LT_OPT_STRING, NULL, offsetof(struct report_settings, source_root)},
	{"block-ms", 0, "MS", "Report callbacks that ran at least this long as blocking tasks (default 50).",
	 LT_OPT_MS, NULL, offsetof(struct report_settings, analysis.block_ms)},
	{"min-savings-ms", 0, "MS",
	 "Report serial awaits only when running them together would save at least this much (default 10).",
	 LT_OPT_MS, NULL, offsetof(struct report_settings, analysis.min_savings_ms)},
	LT_OPTION_OUTPUT(struct report_settings, output, "Write the report to FILE instead of standard output."),
	LT_OPTION_PID(struct report_settings, pids, "Report only on this process (repeatable)."),
	{"only", 0, "KIND[,KIND]", "Report only findings of these kinds (blocking-task, startup, ...; repeatable).",
	 LT_OPT_STRINGS, NULL, offsetof(struct report_settings, only)},
	{"min-severity", 0, NULL, "Report only findings at least this severe.", LT_OPT_ENUM, severities,
	 offsetof(struct report_settings, min_severity)},
	{"include", 0, "GLOB",
	 "Report only findings located in files matching GLOB ('*' crosses '/'; repeatable).", LT_OPT_STRINGS,
	 NULL, offsetof(struct report_settings, include)},
	{"exclude", 0, "GLOB", "Leave out findings located in files matching GLOB (repeatable).", LT_OPT_STRINGS,
	 NULL, offsetof(struct report_settings, exclude)},
	{"user-code", 0, "GLOB",
	 "Treat exactly the files matching GLOB as the program's own code (default: outside node_modules and "
	 "Node's internals; repeatable).",
	 LT_OPT_STRINGS, NULL, offsetof(struct report_settings, user_code)},
};

const struct lt_command lt_command_report = {
	.name = "report",
	.summary = "find blocking tasks, unhandled rejections, leaked handles, serial awaits",
	.description = "Analyze a trace: blocking tasks, unhandled rejections, leaked handles, serial awaits and "
		       "floods, ranked by their impact on the event loop, then the loop's metrics (lag, busy "
		       "time, queues).",
	LT_OPTIONS(options),
	LT_TRACE_OPERAND(struct report_settings, trace),
	.run = cmd_report,
};

/* The filter and user-code options into the analysis options.  Returns 0,
 * or LT_EXIT_USAGE after one line. */
static int apply_filters(struct report_settings *s)
{
	struct lt_analysis_opts *o = &s->analysis;
	for (int i = 0; i < s->pids.n; i++)
		lt_filter_add_pid(&o->filter, s->pids.pid[i]);
	for (int i = 0; i < s->only.n; i++)
		if (lt_filter_add_kinds(&o->filter, s->only.v[i]) != 0)
			return lt_command_usage_error(&lt_command_report, "--only: unknown kind in '%s'", s->only.v[i]);
	if (s->min_severity)
		lt_filter_set_min_severity(&o->filter, s->min_severity);
	for (int i = 0; i < s->include.n; i++)
		if (lt_filter_add_include(&o->filter, s->include.v[i]) != 0)
			return lt_command_usage_error(&lt_command_report, "--include: glob too long");
	for (int i = 0; i < s->exclude.n; i++)
		if (lt_filter_add_exclude(&o->filter, s->exclude.v[i]) != 0)
			return lt_command_usage_error(&lt_command_report, "--exclude: glob too long");
	for (int i = 0; i < s->user_code.n; i++)
		if (lt_user_code_add(&o->user_code, s->user_code.v[i]) != 0)
			return lt_command_usage_error(&lt_command_report, "--user-code: glob too long");
	return 0;
}

/* --fail-on: whether a reported finding is at least that severe. */
static int gate_fails(const struct lt_analysis *a, const char *level)
{
	enum lt_severity min = !strcmp(level, "error") ? LT_SEV_ERROR : LT_SEV_WARNING;
	for (size_t i = 0; i < a->findings.n; i++)
		if (a->findings.items[i].severity >= min)
			return 1;
	return 0;
}

/* Render the analysis in the chosen format.  Returns 0, or 1 after one line. */
static int render(const struct report_settings *s, const struct lt_analysis *a, FILE *out)
{
	char err[1024];
	if (!strcmp(s->format, "json")) {
		lt_report_json(out, a);
	} else if (!strcmp(s->format, "sarif")) {
		lt_report_sarif(out, a, s->root, LT_VERSION);
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
	if ((status = apply_filters(&s)) != 0)
		return status;
	if (!strcmp(s.format, "sarif")) {
		const char *dir = s.source_root ? s.source_root : ".";
		if (!realpath(dir, s.root)) {
			lt_cli_error("--source-root %s: %s", dir, strerror(errno));
			return LT_EXIT_USAGE;
		}
	}

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
	/* LOOPTRACE_STEP_CLOCKS=1: what each analysis step took, on stderr
	 * (bench/README.md, big traces). */
	const char *clocks = getenv("LOOPTRACE_STEP_CLOCKS");
	for (size_t i = 0; clocks && !strcmp(clocks, "1") && i < a.n_step_times; i++)
		fprintf(stderr, "looptrace: step %-18s %7.3f s wall %7.3f s cpu\n", a.step_times[i].name,
			a.step_times[i].wall_s, a.step_times[i].cpu_s);
	struct lt_output_file out;
	if ((status = lt_output_open(&out, &lt_command_report, s.output, s.trace)) != 0)
		goto free_analysis;
	status = render(&s, &a, out.f);
	if (status != 0)
		lt_output_abandon(&out);
	else if (lt_output_commit(&out) != 0)
		status = 1;
	else if (s.fail_on && gate_fails(&a, s.fail_on))
		status = 1;
free_analysis:
	lt_analysis_free(&a);
	sqlite3_close(db);
	return status;
}
