/*
 * looptrace.c — the command line: main and the subcommand table.
 * Each subcommand lives with the module that owns it.
 */
#include <stdio.h>
#include <string.h>

#include "analyzer/export_cmd.h"
#include "analyzer/graph_cmd.h"
#include "analyzer/replay_cmd.h"
#include "analyzer/report_cmd.h"
#include "cli/cli.h"
#include "recorder/attach_cmd.h"
#include "recorder/import_cmd.h"
#include "recorder/record.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"record", lt_cmd_record, "run a command under the recorder and write a trace"},
	{"attach", lt_cmd_attach, "trace a running node process with eBPF (root), no restart"},
	{"replay", lt_cmd_replay, "print a trace's execution order, tick by tick"},
	{"report", lt_cmd_report, "find blocking tasks, unhandled rejections, leaked handles, serial awaits"},
	{"graph", lt_cmd_graph, "draw the execution order with Graphviz (svg, png, pdf, dot)"},
	{"export", lt_cmd_export, "write the trace for Perfetto / chrome://tracing"},
	{"import", lt_cmd_import, "build a trace from a capture kept with record --keep-raw"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: looptrace <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n'looptrace <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return LT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("looptrace %s\n", LT_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	lt_cli_error("unknown command '%s' (try 'looptrace --help')", argv[1]);
	return LT_EXIT_USAGE;
}
