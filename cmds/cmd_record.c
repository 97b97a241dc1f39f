/*
 * cmd_record.c — `looptrace record`: run a command under the recorder and
 * write a trace (recorder/record.h; with --bpf, recorder/record_bpf.h).
 */
#include <stdio.h>

#include "../recorder/flight_session.h"
#include "../recorder/record.h"
#include "../recorder/record_bpf.h"
#include "cmds.h"

struct record_settings {
	struct lt_record_opts record;
	int bpf;
	const char *trigger_lag;
};

static const struct lt_option options[] = {
	LT_OPTION_OUTPUT(struct record_settings, record.output,
			 "Write the trace to FILE (default looptrace.db); it is replaced only once complete."),
	{"duration", 'd', "SECONDS",
	 "Stop the command after this long (SIGINT, then SIGTERM and SIGKILL two seconds apart).",
	 LT_OPT_SECONDS, NULL, offsetof(struct record_settings, record.duration)},
	{"quiet", 'q', NULL, "Print neither the progress line nor the summary.", LT_OPT_FLAG, NULL,
	 offsetof(struct record_settings, record.quiet)},
	{"keep-raw", 0, NULL, "Keep the raw capture in FILE.raw (created; it must not exist), for `looptrace import`.",
	 LT_OPT_FLAG, NULL, offsetof(struct record_settings, record.keep_raw)},
	{"lossless", 0, NULL,
	 "When the recorder falls behind, make the program wait for it (as long as it lives) instead of "
	 "dropping events (counted, said, and stored in the trace).",
	 LT_OPT_FLAG, NULL, offsetof(struct record_settings, record.lossless)},
	{"ring", 0, "SIZE|DURATION",
	 "Flight recorder: keep only the most recent SIZE (64M; 4M to 1024G) or DURATION (2s, 500ms, 10min; in "
	 "at most 256 MiB) of events in memory and write a trace OUT-n.db (OUT is -o without .db; n = 1, 2, ... "
	 "in trigger order) when triggered: SIGUSR2 sent to the recorder (not to the traced program, whose "
	 "signal handling stays its own) or `looptrace dump -p PID`, --trigger-lag, an unhandled rejection, "
	 "and the command's exit. The recorder keeps running after a dump.",
	 LT_OPT_STRING, NULL, offsetof(struct record_settings, record.ring)},
	{"trigger-lag", 0, "TIME",
	 "With --ring: also dump when an event loop stays busy (out of epoll) longer than TIME (200ms, 0.5s); "
	 "a trigger while the ring still holds the last such dump's window is dumped once it does not, so "
	 "dumps never overlap.",
	 LT_OPT_STRING, NULL, offsetof(struct record_settings, trigger_lag)},
	{"max-dumps", 0, "N",
	 "With --ring: write at most N lag and rejection dumps (requests and the exit dump are always written).",
	 LT_OPT_COUNT, NULL, offsetof(struct record_settings, record.max_dumps)},
	{"bpf", 0, NULL, "Use the eBPF probes instead of the in-process ones (root; as `attach`).", LT_OPT_FLAG,
	 NULL, offsetof(struct record_settings, bpf)},
};

const struct lt_command lt_command_record = {
	.name = "record",
	.summary = "run a command under the recorder and write a trace",
	.description = "Run a command with the in-process probes (children and workers included) and, when "
		       "it exits, turn its capture into one trace database.  The exit status is the "
		       "command's (128+N when it died of signal N), even when the trace could not be written.  "
		       "The program is never stalled more than 40 ms by the recorder (LOOPTRACE_WAIT_MS): "
		       "events it cannot take are dropped, counted and reported, unless --lossless.",
	LT_OPTIONS(options),
	.operand = LT_OPERAND_COMMAND_LINE,
	.operand_name = "-- CMD [ARGS...]",
	.operand_offset = offsetof(struct record_settings, record.cmd),
	.run = cmd_record,
};

int cmd_record(int argc, char **argv)
{
	struct record_settings s = {.record = {.output = "looptrace.db", .notices = LT_COMMAND_NOTICES}};
	int status;
	if (lt_command_parse(&lt_command_record, argc, argv, &s, &status) != 0)
		return status;
	if (!*s.record.output)
		return lt_command_usage_error(&lt_command_record, "-o needs a file name");
	if (s.bpf && s.record.keep_raw) {
		lt_cli_error("record: --keep-raw is not available with --bpf");
		return LT_EXIT_USAGE;
	}
	if ((s.trigger_lag || s.record.max_dumps) && !s.record.ring)
		return lt_command_usage_error(&lt_command_record, "--trigger-lag and --max-dumps need --ring");
	if (s.record.ring) {
		char why[160];
		if (s.bpf || s.record.keep_raw)
			return lt_command_usage_error(&lt_command_record, "--ring goes with neither --bpf nor --keep-raw");
		if (lt_flight_parse_ring(s.record.ring, &s.record.ring_bytes, &s.record.ring_seconds, why,
					 sizeof(why)) != 0)
			return lt_command_usage_error(&lt_command_record, "%s", why);
		if (s.trigger_lag && (lt_flight_parse_ms(s.trigger_lag, &s.record.trigger_lag_ms) != 0 ||
				      s.record.trigger_lag_ms <= 0))
			return lt_command_usage_error(&lt_command_record, "--trigger-lag takes a time (200ms, 0.5s)");
	}
	if ((status = lt_command_check_trace_output(&lt_command_record, s.record.output)) != 0)
		return status;
	int rc = s.bpf ? lt_record_bpf(&s.record, &status) : lt_record_run(&s.record, &status);
	return rc != 0 ? LT_EXIT_USAGE : status;
}
