/*
 * looptrace.c — the command line: main and the table of subcommands.
 * Each subcommand is one file in cmds/ (cmds/cmds.h); the options, help and
 * manual pages come from its table (cmds/command.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cmds/cmds.h"

/* The order of `looptrace --help` and of the manual page. */
static const struct lt_command *const commands[] = {
	&lt_command_record, &lt_command_attach, &lt_command_replay, &lt_command_report,
	&lt_command_graph,  &lt_command_export, &lt_command_import,
};

static void usage(FILE *out)
{
	fprintf(out, "usage: looptrace <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < LT_COUNT_OF(commands); i++)
		fprintf(out, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "\n'looptrace <command> --help' describes a command.\n");
}

static const struct lt_command *find_command(const char *name)
{
	for (size_t i = 0; i < LT_COUNT_OF(commands); i++)
		if (!strcmp(name, commands[i]->name))
			return commands[i];
	return NULL;
}

/* `looptrace --man [CMD]`: the manual page in roff (for the build). */
static int print_man(int argc, char **argv)
{
	if (argc == 2) {
		lt_program_man(commands, LT_COUNT_OF(commands), stdout);
		return 0;
	}
	const struct lt_command *cmd = argc == 3 ? find_command(argv[2]) : NULL;
	if (!cmd) {
		lt_cli_error("--man takes no command or one of the commands (try 'looptrace --help')");
		return LT_EXIT_USAGE;
	}
	lt_command_man(cmd, stdout);
	return 0;
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
	if (!strcmp(argv[1], "--man"))
		return print_man(argc, argv);
	const struct lt_command *cmd = find_command(argv[1]);
	if (cmd)
		return cmd->run(argc - 1, argv + 1);
	lt_cli_error("unknown command '%s' (try 'looptrace --help')", argv[1]);
	return LT_EXIT_USAGE;
}
