/*
 * cmd_attach.c — `looptrace attach`: trace running node processes with the
 * eBPF probes (recorder/attach.h), no restart.
 */
#include <stdio.h>

#include "../recorder/attach.h"
#include "../recorder/flight_session.h"
#include "cmds.h"

struct attach_settings {
	struct lt_pids pids;
	struct lt_attach_opts attach;
	const char *trigger_lag;
};

_Static_assert(LT_MAX_PIDS <= LT_ATTACH_MAX_PIDS, "every --pid fits the attach options");

static const struct lt_option options[] = {
	LT_OPTION_PID(struct attach_settings, pids, "Attach to this node process (repeat for up to 16)."),
	{"duration", 'd', "SECONDS", "Detach after this long (default: on Ctrl-C or when the processes exit).",
	 LT_OPT_SECONDS, NULL, offsetof(struct attach_settings, attach.duration)},
	LT_OPTION_OUTPUT(struct attach_settings, attach.output,
			 "Write the trace to FILE (default looptrace.db); it is replaced only once complete."),
	{"quiet", 'q', NULL, "Print neither the progress line nor the summary.", LT_OPT_FLAG, NULL,
	 offsetof(struct attach_settings, attach.quiet)},
	{"microtasks", 0, NULL,
	 "Also probe V8's microtask drains, which then show as Microtask dispatches inside the callbacks "
	 "that ran them (off by default: about two drains a request on a promise-heavy server, each two "
	 "more probe hits).",
	 LT_OPT_FLAG, NULL, offsetof(struct attach_settings, attach.microtasks)},
	{"ring", 0, "SIZE|DURATION",
	 "Flight recorder: keep only the most recent SIZE (64M; 4M to 1024G) or DURATION (2s, 500ms, 10min; in "
	 "at most 256 MiB) of events in memory and write a trace OUT-n.db (OUT is -o without .db; n = 1, 2, ... "
	 "in trigger order) when triggered: SIGUSR2 sent to looptrace or `looptrace dump -p PID`, "
	 "--trigger-lag, an unhandled rejection, and the end of the session. The session goes on after a dump.",
	 LT_OPT_STRING, NULL, offsetof(struct attach_settings, attach.ring)},
	{"trigger-lag", 0, "TIME",
	 "With --ring: also dump when an event loop stays busy (out of epoll) longer than TIME (200ms, 0.5s); "
	 "a trigger while the ring still holds the last such dump's window is dumped once it does not, so "
	 "dumps never overlap.",
	 LT_OPT_STRING, NULL, offsetof(struct attach_settings, trigger_lag)},
	{"max-dumps", 0, "N",
	 "With --ring: write at most N lag and rejection dumps (requests and the exit dump are always written).",
	 LT_OPT_COUNT, NULL, offsetof(struct attach_settings, attach.max_dumps)},
};

const struct lt_command lt_command_attach = {
	.name = "attach",
	.summary = "trace a running node process with eBPF (root), no restart",
	.description = "Attach eBPF uprobes to running node processes and trace their event loops until "
		       "detached; the processes keep running and see nothing.  Needs CAP_BPF and CAP_PERFMON "
		       "(root) and the kernel's BTF.",
	LT_OPTIONS(options),
	.operand = LT_OPERAND_NONE,
	.run = cmd_attach,
};

int cmd_attach(int argc, char **argv)
{
	struct attach_settings s = {
		.attach = {.output = "looptrace.db", .release_fd = -1, .notices = LT_COMMAND_NOTICES}};
	int status;
	if (lt_command_parse(&lt_command_attach, argc, argv, &s, &status) != 0)
		return status;
	if (s.pids.n == 0)
		return lt_command_usage_error(&lt_command_attach, "no process to attach to (-p PID)");
	if (!*s.attach.output)
		return lt_command_usage_error(&lt_command_attach, "-o needs a file name");
	if ((s.trigger_lag || s.attach.max_dumps) && !s.attach.ring)
		return lt_command_usage_error(&lt_command_attach, "--trigger-lag and --max-dumps need --ring");
	if (s.attach.ring) {
		char why[160];
		if (lt_flight_parse_ring(s.attach.ring, &s.attach.ring_bytes, &s.attach.ring_seconds, why,
					 sizeof(why)) != 0)
			return lt_command_usage_error(&lt_command_attach, "%s", why);
		if (s.trigger_lag && (lt_flight_parse_ms(s.trigger_lag, &s.attach.trigger_lag_ms) != 0 ||
				      s.attach.trigger_lag_ms <= 0))
			return lt_command_usage_error(&lt_command_attach, "--trigger-lag takes a time (200ms, 0.5s)");
	}
	if ((status = lt_command_check_trace_output(&lt_command_attach, s.attach.output)) != 0)
		return status;
	for (int i = 0; i < s.pids.n; i++)
		s.attach.pids[i] = s.pids.pid[i];
	s.attach.n_pids = s.pids.n;
	int child_status;
	return lt_attach_run(&s.attach, &child_status) != 0 ? LT_EXIT_USAGE : 0;
}
