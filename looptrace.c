/*
 * looptrace.c — main: pick the subcommand (cmds/cmds.h) and run it.  The
 * subcommands, their options, help and manual pages live in cmds/.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cmds/cmds.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: looptrace <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < lt_n_commands; i++)
		fprintf(out, "  %-8s %s\n", lt_commands[i]->name, lt_commands[i]->summary);
	fprintf(out, "\n'looptrace <command> --help' describes a command.\n");
}

/* `looptrace --man [CMD]`: a manual page in roff, for the build. */
static int print_man(int argc, char **argv)
{
	if (argc == 2) {
		lt_program_man(lt_commands, lt_n_commands, stdout);
		return 0;
	}
	const struct lt_command *cmd = argc == 3 ? lt_find_command(argv[2]) : NULL;
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
	const struct lt_command *cmd = lt_find_command(argv[1]);
	if (cmd)
		return cmd->run(argc - 1, argv + 1);
	lt_cli_error("unknown command '%s' (try 'looptrace --help')", argv[1]);
	return LT_EXIT_USAGE;
}
