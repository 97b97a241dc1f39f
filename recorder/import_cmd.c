/*
 * import_cmd.c — `looptrace import [-o TRACE.db] CAPTURE_DIR`: build a trace
 * from a capture kept by `record --keep-raw` (re-import after an upgrade of
 * the importer, or measure the import on its own).
 */
#include "import_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../cli/cli.h"
#include "trace_writer.h"

static int usage_error(const char *msg)
{
	lt_cli_error("import: %s (usage: looptrace import [-o TRACE.db] CAPTURE_DIR)", msg);
	return LT_EXIT_USAGE;
}

int lt_cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *output = "looptrace.db";
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			printf("usage: looptrace import [-o TRACE.db] CAPTURE_DIR\n");
			return 0;
		default:
			return usage_error(lt_cli_getopt_problem(c, argv));
		}
	}
	if (optind + 1 != argc)
		return usage_error(optind >= argc ? "no capture directory given" : "one directory at a time");
	const char *dir = argv[optind];
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		lt_cli_error("import: %s: not a capture directory", dir);
		return LT_EXIT_USAGE;
	}
	char err[1024], source[4096];
	snprintf(source, sizeof(source), "import %s", dir);
	const struct lt_meta_entry meta[] = {{"command", source}};
	struct lt_import_stats stats;
	double import_s;
	if (lt_write_trace(dir, output, meta, 1, &stats, &import_s, err, sizeof(err)) != 0) {
		lt_cli_error("import: %s", err);
		return LT_EXIT_USAGE;
	}
	fprintf(stderr,
		"looptrace: imported %llu events (%llu dispatches, %u threads) in %.2f s "
		"(%.2f M events/s) -> %s\n",
		(unsigned long long)stats.events, (unsigned long long)stats.dispatches, stats.streams,
		import_s, import_s > 0 ? (double)stats.events / import_s / 1e6 : 0.0, output);
	return 0;
}
