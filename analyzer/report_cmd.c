/*
 * report_cmd.c — `looptrace report [--format text|json|html] [--block-ms N]
 * [--min-savings-ms N] [-o FILE] TRACE.db`: findings ranked by impact, then
 * the metrics (html: the self-contained page of reports/html_report.h).
 */
#include "report_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "../reports/html_report.h"
#include "../reports/report_format.h"
#include "analysis.h"
#include "store.h"

#define USAGE "looptrace report [--format text|json|html] [--block-ms N] [--min-savings-ms N] [-o FILE] TRACE.db"

static int usage_error(const char *msg)
{
	lt_cli_error("report: %s (usage: " USAGE ")", msg);
	return LT_EXIT_USAGE;
}

static int parse_ms(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !(v >= 0) || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

int lt_cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"block-ms", required_argument, NULL, 'b'},
		{"min-savings-ms", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "text", *output = NULL;
	struct lt_analysis_opts opts;
	lt_analysis_defaults(&opts);
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'b':
			if (parse_ms(optarg, &opts.block_ms) != 0)
				return usage_error("--block-ms takes a number of milliseconds");
			break;
		case 's':
			if (parse_ms(optarg, &opts.min_savings_ms) != 0)
				return usage_error("--min-savings-ms takes a number of milliseconds");
			break;
		case 'h':
			printf("usage: " USAGE "\n");
			return 0;
		default:
			return usage_error(lt_cli_getopt_problem(c, argv));
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 && strcmp(format, "html") != 0)
		return usage_error("--format is text, json or html");
	if (optind + 1 != argc)
		return usage_error(optind >= argc ? "no trace given" : "one trace at a time");

	char err[1024];
	sqlite3 *db;
	if (lt_store_open(argv[optind], &db, err, sizeof(err)) != 0) {
		lt_cli_error("%s", err);
		return LT_EXIT_USAGE;
	}
	struct lt_analysis a;
	int rc = lt_analyze(db, &opts, &a, err, sizeof(err));
	if (rc != 0) {
		lt_cli_error("%s: %s", argv[optind], err);
		lt_analysis_free(&a);
		sqlite3_close(db);
		return LT_EXIT_USAGE;
	}
	FILE *out = stdout;
	if (output && !(out = fopen(output, "w"))) {
		lt_cli_error("report: cannot write %s: %s", output, strerror(errno));
		lt_analysis_free(&a);
		sqlite3_close(db);
		return LT_EXIT_USAGE;
	}
	int status = 0;
	if (!strcmp(format, "json")) {
		lt_report_json(out, &a);
	} else if (!strcmp(format, "html")) {
		const char *slash = strrchr(argv[optind], '/');
		if (lt_report_html(out, &a, slash ? slash + 1 : argv[optind], err, sizeof(err)) != 0) {
			lt_cli_error("%s: %s", argv[optind], err);
			status = 1;
		}
	} else {
		lt_report_text(out, &a, out == stdout && isatty(STDOUT_FILENO));
	}
	if (fflush(out) != 0 || (out != stdout && fclose(out) != 0))
		status = 1;
	lt_analysis_free(&a);
	sqlite3_close(db);
	return status;
}
