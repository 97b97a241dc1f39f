/*
 * cmds.c — the table of subcommands: the order of `looptrace --help` and of
 * the manual page looptrace(1).
 */
#include "cmds.h"

#include <string.h>

const struct lt_command *const lt_commands[] = {
	&lt_command_record, &lt_command_attach, &lt_command_replay, &lt_command_report,
	&lt_command_graph,  &lt_command_export, &lt_command_import, &lt_command_dump,
	&lt_command_diff,   &lt_command_lesson,
};

const size_t lt_n_commands = LT_COUNT_OF(lt_commands);

const struct lt_command *lt_find_command(const char *name)
{
	for (size_t i = 0; i < lt_n_commands; i++)
		if (!strcmp(name, lt_commands[i]->name))
			return lt_commands[i];
	return NULL;
}
