/*
 * export_cmd.c — `looptrace export [--format chrome] [-o FILE] TRACE.db`.
 */
#include "export_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../cli/cli.h"
#include "../reports/chrome_export.h"
#include "store.h"

#define USAGE "looptrace export [--format chrome] [-o FILE] TRACE.db"

static int usage_error(const char *msg)
{
	lt_cli_error("export: %s (usage: " USAGE ")", msg);
	return LT_EXIT_USAGE;
}

int lt_cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "chrome", *output = NULL;
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
		case 'h':
			printf("usage: " USAGE "\n");
			return 0;
		default:
			return usage_error(lt_cli_getopt_problem(c, argv));
		}
	}
	if (strcmp(format, "chrome") != 0)
		return usage_error("--format is chrome");
	if (optind + 1 != argc)
		return usage_error(optind >= argc ? "no trace given" : "one trace at a time");
	char err[1024];
	sqlite3 *db;
	if (lt_store_open(argv[optind], &db, err, sizeof(err)) != 0) {
		lt_cli_error("%s", err);
		return LT_EXIT_USAGE;
	}
	FILE *out = stdout;
	if (output && !(out = fopen(output, "w"))) {
		lt_cli_error("export: cannot write %s: %s", output, strerror(errno));
		sqlite3_close(db);
		return LT_EXIT_USAGE;
	}
	struct lt_export_stats st;
	int rc = lt_export_chrome(db, out, &st, err, sizeof(err));
	int status = 0;
	if (fflush(out) != 0 || (out != stdout && fclose(out) != 0))
		status = 1;
	sqlite3_close(db);
	if (rc != 0) {
		lt_cli_error("%s: %s", argv[optind], err);
		return LT_EXIT_USAGE;
	}
	if (output)
		fprintf(stderr, "looptrace: %llu slices, %llu flows, %llu spans, %llu counter samples -> %s\n",
			(unsigned long long)st.slices, (unsigned long long)st.flows,
			(unsigned long long)st.spans, (unsigned long long)st.counters, output);
	return status;
}
