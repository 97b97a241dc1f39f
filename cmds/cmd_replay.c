/*
 * cmd_replay.c — `looptrace replay`: a trace's execution order, tick by
 * tick, as text or JSON on standard output.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analyzer/losses.h"
#include "../analyzer/replay.h"
#include "../reports/lesson_text.h"
#include "../reports/replay_format.h"
#include "cmds.h"

struct replay_settings {
	const char *trace;
	const char *format;
	int show_all;
	double block_ms;
	struct lt_strings user_code;
	int64_t from_seq, to_seq;
	struct lt_pids pids;
	double min_ms;
	const char *grep;
	int step;
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
	LT_OPTION_FROM(struct replay_settings, from_seq),
	LT_OPTION_TO(struct replay_settings, to_seq),
	LT_OPTION_PID(struct replay_settings, pids, "Show only this process (repeatable)."),
	{"min-ms", 0, "MS",
	 "Show only dispatches that ran at least MS, each after the task that began its tick and with what "
	 "ran nested in it.",
	 LT_OPT_MS, NULL, offsetof(struct replay_settings, min_ms)},
	{"grep", 0, "PATTERN",
	 "Show only dispatches whose callback, type, location, sampled code or output matches PATTERN (an "
	 "extended regular expression, as grep -E).",
	 LT_OPT_STRING, NULL, offsetof(struct replay_settings, grep)},
	{"step", 0, NULL,
	 "Step through the program's callbacks one at a time: each with why it ran then, the source line that "
	 "scheduled it, what is still waiting and what it printed (Enter or n: next, p: previous, a number: go "
	 "there, q: quit). When standard input is not a terminal, every step is printed.",
	 LT_OPT_FLAG, NULL, offsetof(struct replay_settings, step)},
};

const struct lt_command lt_command_replay = {
	.name = "replay",
	.summary = "print a trace's execution order, tick by tick",
	.description = "Print what the event loop ran, in order: each loop iteration and phase, every "
		       "callback with what queued it and what it queued, and the output it wrote; under a "
		       "slow dispatch, the code its stack samples saw.  A process's command line is printed "
		       "once; when the order moves back to a process or thread already shown, a short tag "
		       "(\"[pid 1234 worker 1]\") says so.  On a long trace, narrow it with --from/--to, --pid, "
		       "--min-ms and --grep.",
	LT_OPTIONS(options),
	LT_TRACE_OPERAND(struct replay_settings, trace),
	.run = cmd_replay,
};

/* "--pid 12 --min-ms 200 --grep x" for the closing note; "" when none. */
static void describe_filters(const struct replay_settings *s, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	if (s->min_ms > 0)
		used += (size_t)snprintf(buf + used, len - used, "%s--min-ms %g", used ? " " : "", s->min_ms);
	if (s->grep && used < len)
		snprintf(buf + used, len - used, "%s--grep", used ? " " : "");
}

static int print_replay(sqlite3 *db, const struct replay_settings *s, const regex_t *grep, char *err,
			size_t errlen)
{
	int rc;
	struct lt_user_code uc = {0};
	for (int i = 0; i < s->user_code.n; i++)
		if (lt_user_code_add(&uc, s->user_code.v[i]) != 0) {
			snprintf(err, errlen, "--user-code: glob too long");
			return -EINVAL;
		}
	int64_t pids[LT_MAX_PIDS];
	for (int i = 0; i < s->pids.n; i++)
		pids[i] = s->pids.pid[i];
	uint64_t left_out = 0;
	const struct lt_replay_opts opts = {.slow_ms = s->block_ms, .user_code = &uc,
					    .from_seq = s->from_seq, .to_seq = s->to_seq,
					    .pids = pids, .n_pids = (size_t)s->pids.n,
					    .min_ms = s->min_ms, .grep = grep, .left_out = &left_out};
	if (!strcmp(s->format, "json")) {
		struct lt_replay_json r;
		lt_replay_json_begin(&r, stdout);
		rc = lt_replay_each_with(db, &opts, lt_replay_json_dispatch, &r, err, errlen);
		lt_replay_json_end(&r);
	} else {
		struct lt_replay_text *t = malloc(sizeof(*t)); /* remembers the threads it introduced */
		if (!t) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		char filters[128];
		describe_filters(s, filters, sizeof(filters));
		lt_replay_text_begin(t, stdout, lt_replay_origin_ns(db), s->show_all);
		t->filters = filters[0] ? filters : NULL;
		rc = lt_replay_each_with(db, &opts, lt_replay_text_dispatch, t, err, errlen);
		t->left_out = left_out;
		if (rc == 0)
			lt_replay_text_end(t);
		free(t);
	}
	return rc;
}

/* replay --step: one step at a time, driven by lines read from stdin. */
static int step_through(sqlite3 *db, const char *trace)
{
	struct lt_lesson l;
	char err[512];
	if (lt_lesson_load(db, NULL, LT_LESSON_MAX_STEPS, &l, err, sizeof(err)) != 0) {
		lt_cli_error("%s: %s", trace, err);
		lt_lesson_free(&l);
		return LT_EXIT_USAGE;
	}
	int interactive = isatty(0) && isatty(1);
	size_t i = 0;
	while (i < l.n) {
		lt_lesson_text_step(stdout, &l, i);
		if (!interactive) {
			fputc('\n', stdout);
			i++;
			continue;
		}
		printf("[Enter/n] next  [p] previous  [NUMBER] go to step  [q] quit > ");
		fflush(stdout);
		char line[64];
		if (!fgets(line, sizeof(line), stdin) || line[0] == 'q')
			break;
		char *end;
		long to = strtol(line, &end, 10);
		if (end != line && to >= 1 && (size_t)to <= l.n)
			i = (size_t)to - 1;
		else if (line[0] == 'p')
			i = i ? i - 1 : 0;
		else if (i + 1 < l.n)
			i++;
		else
			break;
		fputc('\n', stdout);
	}
	if (l.n == 0)
		printf("no steps: the trace has no callbacks of the program\n");
	if (l.truncated)
		printf("(the first %zu steps only)\n", l.n);
	lt_lesson_free(&l);
	return fflush(stdout) != 0 ? 1 : 0;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_settings s = {.format = "text", .block_ms = LT_REPLAY_SLOW_MS};
	int status;
	if (lt_command_parse(&lt_command_replay, argc, argv, &s, &status) != 0)
		return status;

	regex_t grep;
	if (s.grep) {
		int rerr = regcomp(&grep, s.grep, REG_EXTENDED | REG_NOSUB);
		if (rerr != 0) {
			char why[128];
			regerror(rerr, &grep, why, sizeof(why));
			return lt_command_usage_error(&lt_command_replay, "--grep: %s", why);
		}
	}
	if (s.step && (strcmp(s.format, "text") != 0 || s.grep || s.min_ms > 0))
		return lt_command_usage_error(&lt_command_replay, "--step goes with neither --format json, --grep nor --min-ms");
	sqlite3 *db;
	if ((status = lt_command_open_trace(s.trace, &db)) != 0)
		goto free_grep;
	if (s.step) {
		status = step_through(db, s.trace);
		sqlite3_close(db);
		return status;
	}
	if (lt_trace_is_attached(db))
		s.show_all = 1;
	char err[1024];
	struct lt_losses losses;
	if (lt_losses_load(db, &losses) == 0 && losses.dropped_events > 0) {
		lt_losses_describe(&losses, err, sizeof(err));
		lt_cli_error("replay: warning: trace incomplete: %s", err);
	}
	int rc = print_replay(db, &s, s.grep ? &grep : NULL, err, sizeof(err));
	sqlite3_close(db);
	if (fflush(stdout) != 0 && rc == 0) {
		status = 1;
	} else if (rc != 0) {
		lt_cli_error("%s: %s", s.trace, err);
		status = LT_EXIT_USAGE;
	}
free_grep:
	if (s.grep)
		regfree(&grep);
	return status;
}
