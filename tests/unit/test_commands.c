/*
 * test_commands.c — the command runtime (cmds/command.h): every command's
 * table is well formed and its --help lists every option with its sentence;
 * options are parsed, checked and stored by kind; output files are written
 * through a temporary file and never through a link or over the trace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmds/cmds.h"
#include "testutil.h"

/* --help of cmd with runs of white space folded into one space. */
static char *folded_help(const struct lt_command *cmd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	lt_command_help(cmd, f);
	fclose(f);
	char *w = buf;
	for (const char *r = buf; *r; r++) {
		int space = *r == ' ' || *r == '\n';
		if (space && w > buf && w[-1] == ' ')
			continue;
		*w++ = space ? ' ' : *r;
	}
	*w = '\0';
	return buf;
}

static void every_command_is_in_the_table_once(void **state)
{
	(void)state;
	assert_true(lt_n_commands >= 7);
	for (size_t i = 0; i < lt_n_commands; i++) {
		assert_ptr_equal(lt_find_command(lt_commands[i]->name), lt_commands[i]);
		assert_non_null(lt_commands[i]->run);
	}
	assert_null(lt_find_command("frobnicate"));
}

static void every_table_is_well_formed(void **state)
{
	(void)state;
	for (size_t c = 0; c < lt_n_commands; c++) {
		const struct lt_command *cmd = lt_commands[c];
		assert_non_null(cmd->summary);
		assert_non_null(cmd->description);
		for (size_t i = 0; i < cmd->n_options; i++) {
			const struct lt_option *opt = &cmd->options[i];
			size_t n = strlen(opt->help);
			assert_true(n > 10);
			assert_int_equal(opt->help[n - 1], '.'); /* one sentence */
			assert_true(opt->letter != 'h');
			assert_true(opt->kind == LT_OPT_FLAG ? opt->arg == NULL
							     : opt->arg != NULL || opt->kind == LT_OPT_ENUM);
			if (opt->kind == LT_OPT_ENUM) {
				assert_non_null(opt->values);
				assert_non_null(opt->values[0]);
			}
			for (size_t j = 0; j < i; j++) {
				assert_string_not_equal(opt->name, cmd->options[j].name);
				if (opt->letter)
					assert_int_not_equal(opt->letter, cmd->options[j].letter);
			}
		}
	}
}

static void help_lists_every_option_with_its_sentence(void **state)
{
	(void)state;
	for (size_t c = 0; c < lt_n_commands; c++) {
		const struct lt_command *cmd = lt_commands[c];
		char *help = folded_help(cmd);
		char want[512];
		snprintf(want, sizeof(want), "usage: looptrace %s ", cmd->name);
		assert_non_null(strstr(help, want));
		for (size_t i = 0; i < cmd->n_options; i++) {
			const struct lt_option *opt = &cmd->options[i];
			if (opt->letter)
				snprintf(want, sizeof(want), "-%c, --%s", opt->letter, opt->name);
			else
				snprintf(want, sizeof(want), " --%s", opt->name);
			if (!strstr(help, want))
				fail_msg("%s --help lacks %s", cmd->name, want);
			if (!strstr(help, opt->help))
				fail_msg("%s --help lacks the sentence of --%s", cmd->name, opt->name);
		}
		assert_non_null(strstr(help, "-h, --help"));
		free(help);
	}
}

/* --- parsing, with a table of every kind ------------------------------------ */

struct demo {
	const char *trace;
	int flag;
	const char *name;
	const char *format;
	double ms, seconds;
	int64_t from, count;
	struct lt_pids pids;
};

static const char *const demo_formats[] = {"text", "json", NULL};
static const struct lt_option demo_options[] = {
	{"flag", 'q', NULL, "A flag.", LT_OPT_FLAG, NULL, offsetof(struct demo, flag)},
	{"name", 0, "NAME", "A string.", LT_OPT_STRING, NULL, offsetof(struct demo, name)},
	LT_OPTION_FORMAT(struct demo, format, demo_formats, "A format."),
	{"block-ms", 0, "MS", "Milliseconds.", LT_OPT_MS, NULL, offsetof(struct demo, ms)},
	{"duration", 'd', "SECONDS", "Seconds.", LT_OPT_SECONDS, NULL, offsetof(struct demo, seconds)},
	LT_OPTION_FROM(struct demo, from),
	{"max-nodes", 0, "N", "A count.", LT_OPT_COUNT, NULL, offsetof(struct demo, count)},
	LT_OPTION_PID(struct demo, pids, "A process."),
};
static int demo_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
static const struct lt_command demo = {
	.name = "demo",
	.summary = "a command for the tests",
	.description = "A command for the tests.",
	LT_OPTIONS(demo_options),
	LT_TRACE_OPERAND(struct demo, trace),
	.run = demo_run,
};

/* Parse a NULL-terminated argument list; returns lt_command_parse's result. */
static int parse(struct demo *d, int *status, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, status);
	argv[argc++] = (char *)"demo";
	for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	memset(d, 0, sizeof(*d));
	d->format = "text";
	return lt_command_parse(&demo, argc, argv, d, status);
}

static void stores_every_kind(void **state)
{
	(void)state;
	struct demo d;
	int status = -1;
	assert_int_equal(parse(&d, &status, "-q", "--name", "x", "-f", "json", "--block-ms", "2.5", "-d", "3",
			       "--from", "7", "--max-nodes", "9", "-p", "12", "--pid", "13", "t.db", NULL),
			 0);
	assert_int_equal(d.flag, 1);
	assert_string_equal(d.name, "x");
	assert_string_equal(d.format, "json");
	assert_true(d.ms == 2.5);
	assert_true(d.seconds == 3);
	assert_int_equal(d.from, 7);
	assert_int_equal(d.count, 9);
	assert_int_equal(d.pids.n, 2);
	assert_int_equal(d.pids.pid[1], 13);
	assert_string_equal(d.trace, "t.db");
}

static void refuses_bad_values_with_status_2(void **state)
{
	(void)state;
	struct demo d;
	int status;
	const char *bad[][2] = {
		{"--format", "xml"}, {"--block-ms", "-1"}, {"--block-ms", "soon"}, {"-d", "0"},
		{"--from", "-3"},    {"--max-nodes", "0"}, {"-p", "0"},            {"-p", "abc"},
		{"--bogus", "1"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		status = -1;
		assert_int_equal(parse(&d, &status, bad[i][0], bad[i][1], "t.db", NULL), 1);
		assert_int_equal(status, LT_EXIT_USAGE);
	}
	status = -1;
	assert_int_equal(parse(&d, &status, NULL), 1); /* no trace */
	assert_int_equal(status, LT_EXIT_USAGE);
	assert_int_equal(parse(&d, &status, "a.db", "b.db", NULL), 1);
	assert_int_equal(status, LT_EXIT_USAGE);
	assert_int_equal(parse(&d, &status, "--name", NULL), 1); /* missing value */
	assert_int_equal(status, LT_EXIT_USAGE);
}

static void window_must_not_run_backwards(void **state)
{
	(void)state;
	char graph_settings[4096];
	int status = -1;
	char *backwards[] = {"graph", "--from", "5", "--to", "2", "t.db", NULL};
	FILE *saved = stderr;
	stderr = fopen("/dev/null", "w");
	int rc = lt_command_parse(&lt_command_graph, 6, backwards, memset(graph_settings, 0, sizeof(graph_settings)),
				  &status);
	fclose(stderr);
	stderr = saved;
	assert_int_equal(rc, 1);
	assert_int_equal(status, LT_EXIT_USAGE);
	char *forwards[] = {"graph", "--from", "2", "--to", "5", "t.db", NULL};
	assert_int_equal(lt_command_parse(&lt_command_graph, 6, forwards, graph_settings, &status), 0);
	char *open_end[] = {"graph", "--from", "5", "t.db", NULL};
	assert_int_equal(lt_command_parse(&lt_command_graph, 4, open_end,
					  memset(graph_settings, 0, sizeof(graph_settings)), &status),
			 0);
}

static void help_stops_with_status_0(void **state)
{
	(void)state;
	struct demo d;
	int status = -1;
	FILE *saved = stdout;
	stdout = fopen("/dev/null", "w");
	int rc = parse(&d, &status, "--help", NULL);
	fclose(stdout);
	stdout = saved;
	assert_int_equal(rc, 1);
	assert_int_equal(status, 0);
}

/* --- safe output -------------------------------------------------------------------- */

static char dir[4096];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rmdir(dir);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Entries of dir other than . and the names given. */
static int stray_files(void)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c '^\\.'", dir);
	FILE *p = popen(cmd, "r");
	int n = 0;
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static void output_appears_only_when_committed(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	mode_t old = umask(022);
	struct lt_output_file o;
	assert_int_equal(lt_output_open(&o, &demo, path, NULL), 0);
	fputs("hello", o.f);
	assert_null(read_file(path)); /* not there yet */
	assert_int_equal(stray_files(), 1);     /* the temporary file */
	assert_int_equal(lt_output_commit(&o), 0);
	umask(old);
	assert_string_equal(read_file(path), "hello");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* new outputs are private, whatever the umask */
	assert_int_equal(stray_files(), 0);
}

static void abandoned_output_leaves_the_old_file(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	write_file(path, "old");
	chmod(path, 0600);
	struct lt_output_file o;
	assert_int_equal(lt_output_open(&o, &demo, path, NULL), 0);
	fputs("half", o.f);
	lt_output_abandon(&o);
	assert_string_equal(read_file(path), "old");
	assert_int_equal(stray_files(), 0);
	/* a replaced file keeps its mode */
	assert_int_equal(lt_output_open(&o, &demo, path, NULL), 0);
	fputs("new", o.f);
	assert_int_equal(lt_output_commit(&o), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_string_equal(read_file(path), "new");
}

static void refuses_links_directories_and_the_trace(void **state)
{
	(void)state;
	char trace[4200], sym[4200], hard[4200], victim[4200];
	snprintf(trace, sizeof(trace), "%s/t.db", dir);
	snprintf(sym, sizeof(sym), "%s/link.svg", dir);
	snprintf(hard, sizeof(hard), "%s/hard.db", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	write_file(trace, "trace");
	write_file(victim, "keep");
	assert_int_equal(symlink(victim, sym), 0);
	assert_int_equal(link(trace, hard), 0);
	struct lt_output_file o;
	assert_int_equal(lt_output_open(&o, &demo, sym, trace), LT_EXIT_USAGE);
	assert_int_equal(lt_output_open(&o, &demo, trace, trace), LT_EXIT_USAGE);
	assert_int_equal(lt_output_open(&o, &demo, hard, trace), LT_EXIT_USAGE);
	assert_int_equal(lt_output_open(&o, &demo, dir, trace), LT_EXIT_USAGE);
	char missing[4200];
	snprintf(missing, sizeof(missing), "%s/no/such/dir/x", dir);
	assert_int_equal(lt_output_open(&o, &demo, missing, trace), LT_EXIT_USAGE);
	assert_string_equal(read_file(victim), "keep");
	assert_string_equal(read_file(trace), "trace");
	assert_int_equal(stray_files(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_command_is_in_the_table_once),
		cmocka_unit_test(every_table_is_well_formed),
		cmocka_unit_test(help_lists_every_option_with_its_sentence),
		cmocka_unit_test(stores_every_kind),
		cmocka_unit_test(refuses_bad_values_with_status_2),
		cmocka_unit_test(help_stops_with_status_0),
		cmocka_unit_test(window_must_not_run_backwards),
		cmocka_unit_test_setup_teardown(output_appears_only_when_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(abandoned_output_leaves_the_old_file, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_links_directories_and_the_trace, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
