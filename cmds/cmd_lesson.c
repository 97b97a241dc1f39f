/*
 * cmd_lesson.c — `looptrace lesson`: record a JavaScript program under Node
 * (recorder/record.h) and write one self-contained teaching page from its
 * trace (reports/lesson_page.h): predict the output, then step through the
 * real order with the source, the queues and why each step ran then.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../analyzer/store.h"
#include "../recorder/record.h"
#include "../recorder/trace_sources.h"
#include "../reports/lesson_page.h"
#include "cmds.h"

extern char **environ;

struct lesson_settings {
	const char *output;
	const char *trace;
	const char *node;
	const char *title;
	double duration;
	int show_output;
	char **program; /* FILE.js [ARGS...] */
};

static const struct lt_option options[] = {
	LT_OPTION_OUTPUT(struct lesson_settings, output,
			 "Write the page to FILE (default: the program's name with .html, in the current directory)."),
	{"trace", 0, "FILE", "Keep the recorded trace in FILE (by default it is removed once the page is written).",
	 LT_OPT_STRING, NULL, offsetof(struct lesson_settings, trace)},
	{"node", 0, "PATH", "Run the program with this node binary (default: node from PATH).", LT_OPT_STRING, NULL,
	 offsetof(struct lesson_settings, node)},
	{"title", 0, "TEXT", "The page's heading (default: the program's first comment line, or its file name).",
	 LT_OPT_STRING, NULL, offsetof(struct lesson_settings, title)},
	{"duration", 'd', "SECONDS", "Stop the program after this long (as `record --duration`).", LT_OPT_SECONDS,
	 NULL, offsetof(struct lesson_settings, duration)},
	{"show-output", 0, NULL,
	 "Let the program's standard output through to the terminal (hidden by default: it is the answer).",
	 LT_OPT_FLAG, NULL, offsetof(struct lesson_settings, show_output)},
};

const struct lt_command lt_command_lesson = {
	.name = "lesson",
	.summary = "record a JavaScript program and write a predict-then-step teaching page",
	.description = "Run FILE.js under node with the recorder and write one self-contained HTML page "
		       "(works offline): the learner first orders the program's output lines as they expect, "
		       "then reveals the real order step by step, with the source line that printed and the "
		       "line that scheduled each step highlighted, the queues still waiting, wrong guesses "
		       "marked, and one sentence per step on why it ran at that moment, linked to a glossary.  "
		       "Drag and drop or keys only.  The exit status is 0 once the page is written, whatever "
		       "the program's own (the page shows it).",
	LT_OPTIONS(options),
	.operand = LT_OPERAND_COMMAND_LINE,
	.operand_name = "FILE.js [ARGS...]",
	.operand_offset = offsetof(struct lesson_settings, program),
	.run = cmd_lesson,
};

/* "Node v22.12.0" from `NODE --version` (no shell), or "" when it fails. */
static void node_version(const char *node, char *buf, size_t len)
{
	buf[0] = '\0';
	int fds[2];
	if (pipe(fds) != 0)
		return;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {(char *)node, "--version", NULL};
	pid_t pid;
	int spawned = posix_spawnp(&pid, node, &fa, NULL, argv, environ) == 0;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	char version[64] = "";
	ssize_t got = spawned ? read(fds[0], version, sizeof(version) - 1) : -1;
	close(fds[0]);
	if (spawned)
		waitpid(pid, NULL, 0);
	if (got <= 1 || version[0] != 'v')
		return;
	version[got] = '\0';
	version[strcspn(version, "\r\n")] = '\0';
	snprintf(buf, len, "Node %s", version);
}

/* The page's default name: the program's base name with .html. */
static int default_page(const char *program, char *buf, size_t len)
{
	const char *base = lt_base_name(program);
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	return snprintf(buf, len, "%.*s.html", (int)n, base) < (int)len ? 0 : -ENAMETOOLONG;
}

/* The program's first line when it is a // comment, without the slashes. */
static void title_from_source(const struct lt_lesson *l, char *buf, size_t len)
{
	buf[0] = '\0';
	if (l->n_sources == 0 || l->sources[0].n == 0)
		return;
	const char *first = l->sources[0].lines[0];
	if (strncmp(first, "//", 2) != 0)
		return;
	first += 2;
	while (*first == ' ' || *first == '/')
		first++;
	snprintf(buf, len, "%s", first);
}

/* Record the program into trace, its stdout hidden unless asked.
 * Returns 0 with the program's status, or LT_EXIT_USAGE. */
static int record_program(const struct lesson_settings *s, char **argv, const char *trace, int *program_status)
{
	struct lt_record_opts ro = {.output = trace, .duration = s->duration, .quiet = 1,
				    .notices = LT_COMMAND_NOTICES, .cmd = argv};
	int saved_stdout = -1;
	if (!s->show_output) {
		fflush(stdout);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		saved_stdout = null >= 0 ? fcntl(1, F_DUPFD_CLOEXEC, 3) : -1;
		if (saved_stdout >= 0)
			dup2(null, 1);
		if (null >= 0)
			close(null);
	}
	/* every promise and callback located (probes/agent/agent.js) */
	setenv("LOOPTRACE_STACKS", "all", 1);
	int rc = lt_record_run(&ro, program_status);
	if (saved_stdout >= 0) {
		dup2(saved_stdout, 1);
		close(saved_stdout);
	}
	return rc != 0 ? LT_EXIT_USAGE : 0;
}

static int write_page(const struct lesson_settings *s, const char *program, const char *trace, const char *page,
		      int program_status)
{
	sqlite3 *db;
	int status = lt_command_open_trace(trace, &db);
	if (status != 0)
		return status;
	struct lt_lesson l;
	char err[512], title[512], command[4096] = "", runtime[80];
	if (lt_lesson_load(db, program, LT_LESSON_MAX_STEPS, &l, err, sizeof(err)) != 0) {
		lt_cli_error("lesson: %s: %s", trace, err);
		status = LT_EXIT_USAGE;
		goto free_lesson;
	}
	lt_store_get_meta(db, "command", command, sizeof(command));
	node_version(s->node, runtime, sizeof(runtime));
	if (s->title)
		snprintf(title, sizeof(title), "%s", s->title);
	else
		title_from_source(&l, title, sizeof(title));
	if (!title[0])
		snprintf(title, sizeof(title), "%s", lt_base_name(program));
	struct lt_lesson_info info = {.title = title, .command = command, .main_file = program,
				      .runtime = runtime, .exit_status = program_status};
	struct lt_output_file out;
	if ((status = lt_output_open(&out, &lt_command_lesson, page, trace)) != 0)
		goto free_lesson;
	if (lt_lesson_page(out.f, &l, &info) != 0) {
		lt_output_abandon(&out);
		lt_cli_error("lesson: cannot write %s", page);
		status = 1;
	} else if (lt_output_commit(&out) != 0) {
		status = 1;
	} else {
		fprintf(stderr, "looptrace: lesson: %s: %zu steps%s\n", page, l.n,
			l.truncated ? " (cut: the program ran longer than a page holds)" : "");
	}
free_lesson:
	lt_lesson_free(&l);
	sqlite3_close(db);
	return status;
}

int cmd_lesson(int argc, char **argv)
{
	struct lesson_settings s = {.node = "node"};
	int status;
	if (lt_command_parse(&lt_command_lesson, argc, argv, &s, &status) != 0)
		return status;
	char program[PATH_MAX], page[PATH_MAX], trace[PATH_MAX], tmpdir[] = "/tmp/looptrace-lesson-XXXXXX";
	struct stat st;
	if (!realpath(s.program[0], program) || stat(program, &st) != 0 || !S_ISREG(st.st_mode))
		return lt_command_usage_error(&lt_command_lesson, "%s: not a readable program file", s.program[0]);
	if (s.output)
		snprintf(page, sizeof(page), "%s", s.output);
	else if (default_page(program, page, sizeof(page)) != 0)
		return lt_command_usage_error(&lt_command_lesson, "%s: name too long", program);
	if (!*page || (s.trace && !*s.trace))
		return lt_command_usage_error(&lt_command_lesson, "-o and --trace need a file name");
	if (s.trace) {
		if ((status = lt_command_check_trace_output(&lt_command_lesson, s.trace)) != 0)
			return status;
		snprintf(trace, sizeof(trace), "%s", s.trace);
	} else {
		if (!mkdtemp(tmpdir)) {
			lt_cli_error("lesson: cannot make a temporary directory: %s", strerror(errno));
			return 1;
		}
		snprintf(trace, sizeof(trace), "%s/lesson.db", tmpdir);
	}
	int n_args = 0;
	while (s.program[n_args])
		n_args++;
	char **cmd = calloc((size_t)n_args + 2, sizeof(*cmd));
	if (!cmd) {
		lt_cli_error("lesson: out of memory");
		status = 1;
		goto remove_trace;
	}
	cmd[0] = (char *)s.node;
	cmd[1] = program;
	for (int i = 1; i < n_args; i++)
		cmd[i + 1] = s.program[i];
	int program_status = 0;
	status = record_program(&s, cmd, trace, &program_status);
	free(cmd);
	char err[512];
	if (status == 0 && lt_trace_add_sources(trace, program, err, sizeof(err)) != 0) {
		lt_cli_error("lesson: %s", err);
		status = LT_EXIT_USAGE;
	}
	if (status == 0)
		status = write_page(&s, program, trace, page, program_status);
remove_trace:
	if (!s.trace) {
		unlink(trace);
		rmdir(tmpdir);
	}
	return status;
}
