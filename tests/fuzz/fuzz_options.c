/*
 * fuzz_options.c — libFuzzer harness: command lines for every subcommand's
 * option parsing (cmds/command.c with each command's options table), without
 * running the command's work.
 *
 * The input's first byte picks the command; the rest is its arguments,
 * separated by NUL bytes (at most MAX_ARGS).  --help and usage errors write
 * to standard output and the stderr stream, which the harness sends to
 * /dev/null.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds/cmds.h"

#define MAX_ARGS 48

static const struct lt_command *const commands[] = {
	&lt_command_record, &lt_command_attach, &lt_command_replay, &lt_command_report,
	&lt_command_graph,  &lt_command_export, &lt_command_import,
};

/* Once per process (not in LLVMFuzzerInitialize: replay_main.c runs the
 * harness without libFuzzer).  --help goes to stdout, usage errors to the
 * stderr stream: both to /dev/null.  The descriptor 2 stays: libFuzzer and
 * the sanitizers report there. */
static int setup(void)
{
	static int done;
	if (done)
		return 0;
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		return -1;
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	FILE *null = fopen("/dev/null", "w");
	if (!null)
		return -1;
	stderr = null;
	done = 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || setup() != 0)
		return 0;
	const struct lt_command *cmd = commands[data[0] % (sizeof(commands) / sizeof(commands[0]))];
	/* the arguments, each NUL-terminated, in a copy of the input */
	char *copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = (char *)cmd->name;
	for (size_t i = 0; i < size - 1 && argc <= MAX_ARGS; i += strlen(copy + i) + 1)
		argv[argc++] = copy + i;
	argv[argc] = NULL;
	/* every command's settings struct is far smaller than this; options
	 * store only at their table's offsets */
	static _Alignas(max_align_t) unsigned char settings[8192];
	memset(settings, 0, sizeof(settings));
	int status = 0;
	lt_command_parse(cmd, argc, argv, settings, &status);
	free(copy);
	return 0;
}
