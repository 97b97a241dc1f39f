/*
 * cmd_diff.c — `looptrace diff BASE.db NEW.db`: two traces side by side
 * (before and after a change, this release against the last), with
 * regression gates for CI.
 */
#include <stdio.h>
#include <string.h>

#include "../analyzer/analysis.h"
#include "../analyzer/compare.h"
#include "../reports/diff_format.h"
#include "cmds.h"

struct diff_settings {
	const char *traces[2];
	const char *format;
	const char *output;
	const char *gates;
	struct lt_analysis_opts analysis;
	int64_t max_sites;
};

static const char *const formats[] = {"text", "json", "html", NULL};

static const struct lt_option options[] = {
	LT_OPTION_FORMAT(struct diff_settings, format, formats, "Write text (the default), JSON, or a self-contained HTML page with the lag histograms and busy timelines overlaid."),
	LT_OPTION_OUTPUT(struct diff_settings, output, "Write the comparison to FILE instead of standard output."),
	{"fail-on-regress", 0, "GATES",
	 "Exit with status 1 when one of these comma-separated conditions holds: FIGURE>+N% (grew by more than N "
	 "percent), FIGURE>+N (by more than N), FIGURE>N (is above N), new[:SEVERITY] (a new finding at least "
	 "that severe), e.g. 'p99_lag>+20%,new:error'.",
	 LT_OPT_STRING, NULL, offsetof(struct diff_settings, gates)},
	{"block-ms", 0, "MS", "Analyze both traces with this blocking threshold (default 50).", LT_OPT_MS, NULL,
	 offsetof(struct diff_settings, analysis.block_ms)},
	{"sites", 0, "N", "List the N callback sites whose total time changed most (default 10).", LT_OPT_COUNT,
	 NULL, offsetof(struct diff_settings, max_sites)},
};

const struct lt_command lt_command_diff = {
	.name = "diff",
	.summary = "compare two traces: figures, changed callbacks, new and fixed findings",
	.description = "Compare two traces of one program (before and after a change; across Node versions; "
		       "recorded or attached): lag percentiles, event-loop utilization, busy time per queue, "
		       "dispatch throughput, the callback sites whose total time changed most (matched by their "
		       "place in the program's code) and the findings that are new, fixed or unchanged (matched "
		       "by kind and place).  With --fail-on-regress it is a CI gate.",
	LT_OPTIONS(options),
	.operand = LT_OPERAND_TWO_TRACES,
	.operand_name = "BASE.db NEW.db",
	.operand_offset = offsetof(struct diff_settings, traces),
	.run = cmd_diff,
};

/* Analyze trace `path` into *a (its connection stays open in a->db). */
static int analyze(const char *path, const struct lt_analysis_opts *opts, struct lt_analysis *a)
{
	sqlite3 *db;
	int status = lt_command_open_trace(path, &db);
	if (status != 0)
		return status;
	char err[1024];
	if (lt_analyze(db, opts, a, err, sizeof(err)) != 0) {
		lt_cli_error("%s: %s", path, err);
		lt_analysis_free(a);
		sqlite3_close(db);
		return LT_EXIT_USAGE;
	}
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_settings s = {.format = "text", .max_sites = 10};
	lt_analysis_defaults(&s.analysis);
	int status;
	if (lt_command_parse(&lt_command_diff, argc, argv, &s, &status) != 0)
		return status;
	struct lt_gates gates = {0};
	char err[256];
	if (s.gates && lt_gates_parse(s.gates, &gates, err, sizeof(err)) != 0)
		return lt_command_usage_error(&lt_command_diff, "--fail-on-regress: %s", err);

	struct lt_analysis base, new;
	if ((status = analyze(s.traces[0], &s.analysis, &base)) != 0)
		return status;
	if ((status = analyze(s.traces[1], &s.analysis, &new)) != 0)
		goto free_base;
	struct lt_comparison cmp;
	if (lt_compare(&base, &new, &cmp) != 0) {
		lt_cli_error("%s, %s: cannot compare (out of memory or an unreadable trace)", s.traces[0], s.traces[1]);
		status = 1;
		goto free_new;
	}
	struct lt_output_file out;
	if ((status = lt_output_open(&out, &lt_command_diff, s.output, s.traces[1])) != 0)
		goto free_comparison;
	struct lt_diff_view view = {
		.base_name = s.traces[0],
		.new_name = s.traces[1],
		.cmp = &cmp,
		.gates = s.gates ? &gates : NULL,
		.max_sites = (size_t)s.max_sites,
	};
	if (!strcmp(s.format, "json"))
		lt_diff_json(out.f, &view);
	else if (!strcmp(s.format, "html"))
		lt_diff_html(out.f, &view);
	else
		lt_diff_text(out.f, &view);
	if (lt_output_commit(&out) != 0) {
		status = 1;
		goto free_comparison;
	}
	for (size_t i = 0; i < gates.n; i++) {
		char why[512];
		if (lt_gate_holds(&gates.v[i], &cmp, why, sizeof(why))) {
			lt_cli_error("regression: %s", why);
			status = 1;
		}
	}
free_comparison:
	lt_comparison_free(&cmp);
free_new:
	sqlite3_close(new.db);
	lt_analysis_free(&new);
free_base:
	sqlite3_close(base.db);
	lt_analysis_free(&base);
	return status;
}
