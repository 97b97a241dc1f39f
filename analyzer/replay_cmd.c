/*
 * replay_cmd.c — `looptrace replay [--format text|json] [--all] TRACE.db`.
 */
#include "replay_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../cli/cli.h"
#include "../reports/replay_format.h"
#include "replay.h"
#include "store.h"

static int usage_error(const char *msg)
{
	lt_cli_error("replay: %s (usage: looptrace replay [--format text|json] [--all] TRACE.db)", msg);
	return LT_EXIT_USAGE;
}

int lt_cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"all", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "text";
	int show_all = 0;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'a':
			show_all = 1;
			break;
		case 'h':
			printf("usage: looptrace replay [--format text|json] [--all] TRACE.db\n");
			return 0;
		default:
			return usage_error(lt_cli_getopt_problem(c, argv));
		}
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
		return usage_error("--format is text or json");
	if (optind + 1 != argc)
		return usage_error(optind >= argc ? "no trace given" : "one trace at a time");

	char err[1024];
	sqlite3 *db;
	if (lt_store_open(argv[optind], &db, err, sizeof(err)) != 0) {
		lt_cli_error("%s", err);
		return LT_EXIT_USAGE;
	}
	/* An attached (eBPF) trace has no creation sites to tell Node's own
	 * housekeeping from the program's callbacks: show everything. */
	char capture[16];
	lt_store_get_meta(db, "capture", capture, sizeof(capture));
	if (!strcmp(capture, "bpf"))
		show_all = 1;
	int rc;
	if (!strcmp(format, "json")) {
		struct lt_replay_json r;
		lt_replay_json_begin(&r, stdout);
		rc = lt_replay_each(db, lt_replay_json_dispatch, &r, err, sizeof(err));
		lt_replay_json_end(&r);
	} else {
		struct lt_replay_text t;
		lt_replay_text_begin(&t, stdout, lt_replay_origin_ns(db), show_all);
		rc = lt_replay_each(db, lt_replay_text_dispatch, &t, err, sizeof(err));
		if (rc == 0)
			lt_replay_text_end(&t);
	}
	sqlite3_close(db);
	if (fflush(stdout) != 0 && rc == 0)
		return 1;
	if (rc != 0) {
		lt_cli_error("%s: %s", argv[optind], err);
		return LT_EXIT_USAGE;
	}
	return 0;
}
