/*
 * cmd_replay.c — `looptrace replay`: a trace's execution order, tick by
 * tick, as text or JSON on standard output.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../analyzer/losses.h"
#include "../analyzer/replay.h"
#include "../reports/replay_format.h"
#include "cmds.h"

struct replay_settings {
	const char *trace;
	const char *format;
	int show_all;
	double block_ms;
	struct lt_strings user_code;
};

static const char *const formats[] = {"text", "json", NULL};

static const struct lt_option options[] = {
	LT_OPTION_FORMAT(struct replay_settings, format, formats,
			 "Print text (the default) or one JSON document."),
	{"all", 0, NULL, "Also show Node's own housekeeping dispatches.", LT_OPT_FLAG, NULL,
	 offsetof(struct replay_settings, show_all)},
	{"block-ms", 0, "MS",
	 "Never hide a dispatch that ran at least this long; name the user code sampled in it (default 50).",
	 LT_OPT_MS, NULL, offsetof(struct replay_settings, block_ms)},
	{"user-code", 0, "GLOB",
	 "Treat exactly the files matching GLOB as the program's own code (repeatable).", LT_OPT_STRINGS, NULL,
	 offsetof(struct replay_settings, user_code)},
};

const struct lt_command lt_command_replay = {
	.name = "replay",
	.summary = "print a trace's execution order, tick by tick",
	.description = "Print what the event loop ran, in order: each loop iteration and phase, every "
		       "callback with what queued it and what it queued, and the output it wrote.",
	LT_OPTIONS(options),
	LT_TRACE_OPERAND(struct replay_settings, trace),
	.run = cmd_replay,
};

static int print_replay(sqlite3 *db, const struct replay_settings *s, char *err, size_t errlen)
{
	int rc;
	struct lt_user_code uc = {0};
	for (int i = 0; i < s->user_code.n; i++)
		if (lt_user_code_add(&uc, s->user_code.v[i]) != 0) {
			snprintf(err, errlen, "--user-code: glob too long");
			return -EINVAL;
		}
	const struct lt_replay_opts opts = {.slow_ms = s->block_ms, .user_code = &uc};
	if (!strcmp(s->format, "json")) {
		struct lt_replay_json r;
		lt_replay_json_begin(&r, stdout);
		rc = lt_replay_each_with(db, &opts, lt_replay_json_dispatch, &r, err, errlen);
		lt_replay_json_end(&r);
	} else {
		struct lt_replay_text t;
		lt_replay_text_begin(&t, stdout, lt_replay_origin_ns(db), s->show_all);
		rc = lt_replay_each_with(db, &opts, lt_replay_text_dispatch, &t, err, errlen);
		if (rc == 0)
			lt_replay_text_end(&t);
	}
	return rc;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_settings s = {.format = "text", .block_ms = LT_REPLAY_SLOW_MS};
	int status;
	if (lt_command_parse(&lt_command_replay, argc, argv, &s, &status) != 0)
		return status;

	sqlite3 *db;
	if ((status = lt_command_open_trace(s.trace, &db)) != 0)
		return status;
	if (lt_trace_is_attached(db))
		s.show_all = 1;
	char err[1024];
	struct lt_losses losses;
	if (lt_losses_load(db, &losses) == 0 && losses.dropped_events > 0) {
		lt_losses_describe(&losses, err, sizeof(err));
		lt_cli_error("replay: warning: trace incomplete: %s", err);
	}
	int rc = print_replay(db, &s, err, sizeof(err));
	sqlite3_close(db);
	if (fflush(stdout) != 0 && rc == 0)
		return 1;
	if (rc != 0) {
		lt_cli_error("%s: %s", s.trace, err);
		return LT_EXIT_USAGE;
	}
	return 0;
}
