/*
 * cmd_dump.c — `looptrace dump -p PID`: ask a flight recorder
 * (`record --ring`) for a dump now, and say where it was written.  PID is
 * the recorder's or that of a process it traces; the recorder is found by
 * recorder/rendezvous.h (never through a file another user could plant).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../recorder/rendezvous.h"
#include "cmds.h"

struct dump_settings {
	struct lt_pids pids;
	double timeout;
	int no_wait;
};

static const struct lt_option options[] = {
	LT_OPTION_PID(struct dump_settings, pids, "The flight recorder's pid, or the pid of a process it traces."),
	{"timeout", 't', "SECONDS", "Wait this long for the dump to be written (default 60).", LT_OPT_SECONDS, NULL,
	 offsetof(struct dump_settings, timeout)},
	{"no-wait", 0, NULL, "Ask for the dump and return at once, without waiting for its file.", LT_OPT_FLAG, NULL,
	 offsetof(struct dump_settings, no_wait)},
};

const struct lt_command lt_command_dump = {
	.name = "dump",
	.summary = "make a flight recorder (record --ring) write its window now",
	.description = "Find the flight recorder of PID (the recorder itself, or a process it traces, found through "
		       "its private file in /tmp/looptrace-UID), send it SIGUSR2, wait until the dump is written and "
		       "print its path on standard output.  Exit status 2 when there is no such recorder, 1 when "
		       "the dump did not come in time or the recorder ended first.",
	LT_OPTIONS(options),
	.operand = LT_OPERAND_NONE,
	.run = cmd_dump,
};

int cmd_dump(int argc, char **argv)
{
	struct dump_settings s = {.timeout = 60};
	int status;
	if (lt_command_parse(&lt_command_dump, argc, argv, &s, &status) != 0)
		return status;
	if (s.pids.n != 1)
		return lt_command_usage_error(&lt_command_dump, "give one process (-p PID)");
	struct lt_rendezvous r;
	char err[512];
	if (lt_rendezvous_find(s.pids.pid[0], &r, err, sizeof(err)) != 0) {
		lt_cli_error("dump: %s", err);
		return LT_EXIT_USAGE;
	}
	unsigned before = r.requested;
	if (kill(r.recorder, SIGUSR2) != 0) {
		lt_cli_error("dump: cannot signal the recorder (pid %d): %s", (int)r.recorder, strerror(errno));
		return LT_EXIT_USAGE;
	}
	if (s.no_wait)
		return 0;
	struct timespec nap = {0, 50 * 1000 * 1000};
	for (double waited = 0; waited < s.timeout; waited += 0.05) {
		nanosleep(&nap, NULL);
		int rc = lt_rendezvous_reread(&r);
		if (rc == -ESRCH) {
			lt_cli_error("dump: the recorder (pid %d) ended before writing the dump", (int)r.recorder);
			return 1;
		}
		if (rc == 0 && r.requested > before) {
			printf("%s\n", r.last);
			return fflush(stdout) == 0 ? 0 : 1;
		}
	}
	lt_cli_error("dump: no dump from the recorder (pid %d) after %.0f s", (int)r.recorder, s.timeout);
	return 1;
}
