/*
 * command.c — the shared command runtime: options tables parsed with
 * getopt_long, usage lines, --help, manual pages, opening the trace and
 * safe output files (command.h).
 */
#include "command.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../analyzer/store.h"

/* Long options without a short letter get getopt values from here on. */
#define LONG_ONLY_BASE 256
#define MAX_OPTIONS 64

/* --- the usage line ---------------------------------------------------------- */

/* "text|json|html" for an enum, the argument name otherwise. */
static void put_value_name(const struct lt_option *opt, FILE *out)
{
	if (opt->kind == LT_OPT_ENUM && !opt->arg) {
		for (size_t i = 0; opt->values[i]; i++)
			fprintf(out, "%s%s", i ? "|" : "", opt->values[i]);
	} else if (opt->arg) {
		fputs(opt->arg, out);
	}
}

static void put_usage_option(const struct lt_option *opt, FILE *out)
{
	if (opt->letter)
		fprintf(out, " [-%c", opt->letter);
	else
		fprintf(out, " [--%s", opt->name);
	if (opt->kind != LT_OPT_FLAG) {
		fputc(' ', out);
		put_value_name(opt, out);
	}
	fputs(opt->kind == LT_OPT_PID || opt->kind == LT_OPT_STRINGS ? "...]" : "]", out);
}

static void put_usage(const struct lt_command *cmd, FILE *out)
{
	fprintf(out, "looptrace %s", cmd->name);
	for (size_t i = 0; i < cmd->n_options; i++)
		put_usage_option(&cmd->options[i], out);
	if (cmd->operand != LT_OPERAND_NONE)
		fprintf(out, " %s", cmd->operand_name);
}

/* What put_usage or put_value_name writes, as a string in buf. */
static const char *usage_string(const struct lt_command *cmd, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	if (!f) {
		snprintf(buf, len, "looptrace %s --help", cmd->name);
		return buf;
	}
	put_usage(cmd, f);
	fclose(f);
	buf[len - 1] = '\0';
	return buf;
}

static const char *value_string(const struct lt_option *opt, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	buf[0] = '\0';
	if (!f)
		return buf;
	put_value_name(opt, f);
	fclose(f);
	buf[len - 1] = '\0';
	return buf;
}

int lt_command_usage_error(const struct lt_command *cmd, const char *fmt, ...)
{
	char problem[512], usage[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	lt_cli_error("%s: %s (usage: %s)", cmd->name, problem, usage_string(cmd, usage, sizeof(usage)));
	return LT_EXIT_USAGE;
}

/* --- parsing -------------------------------------------------------------------- */

static int parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_int64(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "--format is text, json or html" */
static int bad_enum(const struct lt_command *cmd, const struct lt_option *opt)
{
	char list[256];
	size_t used = 0, n = 0;
	while (opt->values[n])
		n++;
	list[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 i == 0 ? "" : i + 1 == n ? " or " : ", ", opt->values[i]);
	return lt_command_usage_error(cmd, "--%s is %s", opt->name, list);
}

/* Check value against the option's kind and store it.  Returns 0 or the
 * exit status of the usage error it reported. */
static int store_value(const struct lt_command *cmd, const struct lt_option *opt, const char *value,
		       void *settings)
{
	char *field = (char *)settings + opt->offset;
	double d;
	int64_t n;
	switch (opt->kind) {
	case LT_OPT_FLAG:
		*(int *)field = 1;
		return 0;
	case LT_OPT_STRING:
		*(const char **)field = value;
		return 0;
	case LT_OPT_ENUM:
		for (size_t i = 0; opt->values[i]; i++)
			if (!strcmp(value, opt->values[i])) {
				*(const char **)field = opt->values[i];
				return 0;
			}
		return bad_enum(cmd, opt);
	case LT_OPT_MS:
		if (parse_double(value, &d) != 0 || !(d >= 0))
			return lt_command_usage_error(cmd, "--%s takes a number of milliseconds", opt->name);
		*(double *)field = d;
		return 0;
	case LT_OPT_SECONDS:
		if (parse_double(value, &d) != 0 || !(d > 0))
			return lt_command_usage_error(cmd, "--%s takes a positive number of seconds", opt->name);
		*(double *)field = d;
		return 0;
	case LT_OPT_SEQ:
		if (parse_int64(value, &n) != 0 || n < 0)
			return lt_command_usage_error(cmd, "--%s takes a dispatch number (seq)", opt->name);
		*(int64_t *)field = n;
		return 0;
	case LT_OPT_COUNT:
		if (parse_int64(value, &n) != 0 || n <= 0)
			return lt_command_usage_error(cmd, "--%s takes a positive number", opt->name);
		*(int64_t *)field = n;
		return 0;
	case LT_OPT_PID: {
		struct lt_pids *pids = (struct lt_pids *)field;
		if (parse_int64(value, &n) != 0 || n <= 0 || n > INT_MAX)
			return lt_command_usage_error(cmd, "--%s takes a %s id", opt->name,
						      strcmp(opt->name, "tid") ? "process" : "thread");
		if (pids->n == LT_MAX_PIDS)
			return lt_command_usage_error(cmd, "too many %s (at most %d)",
						      strcmp(opt->name, "tid") ? "processes" : "threads", LT_MAX_PIDS);
		pids->pid[pids->n++] = (pid_t)n;
		return 0;
	}
	case LT_OPT_STRINGS: {
		struct lt_strings *list = (struct lt_strings *)field;
		if (list->n == LT_MAX_STRINGS)
			return lt_command_usage_error(cmd, "--%s given too often (at most %d)", opt->name,
						      LT_MAX_STRINGS);
		list->v[list->n++] = value;
		return 0;
	}
	}
	return lt_command_usage_error(cmd, "--%s: unknown option kind", opt->name);
}

/* The getopt_long tables for cmd, plus -h/--help. */
static int build_getopt(const struct lt_command *cmd, char *shorts, size_t shorts_len, struct option *longs)
{
	size_t s = 0;
	if (cmd->n_options + 2 > MAX_OPTIONS)
		return -E2BIG;
	if (cmd->operand == LT_OPERAND_COMMAND_LINE)
		shorts[s++] = '+'; /* the command line starts at the first operand */
	shorts[s++] = ':';
	for (size_t i = 0; i < cmd->n_options; i++) {
		const struct lt_option *opt = &cmd->options[i];
		int has_arg = opt->kind == LT_OPT_FLAG ? no_argument : required_argument;
		longs[i] = (struct option){opt->name, has_arg, NULL,
					   opt->letter ? opt->letter : LONG_ONLY_BASE + (int)i};
		if (opt->letter && s + 3 < shorts_len) {
			shorts[s++] = opt->letter;
			if (has_arg == required_argument)
				shorts[s++] = ':';
		}
	}
	longs[cmd->n_options] = (struct option){"help", no_argument, NULL, 'h'};
	longs[cmd->n_options + 1] = (struct option){NULL, 0, NULL, 0};
	shorts[s++] = 'h';
	shorts[s] = '\0';
	return 0;
}

static const struct lt_option *option_for(const struct lt_command *cmd, int c)
{
	for (size_t i = 0; i < cmd->n_options; i++) {
		const struct lt_option *opt = &cmd->options[i];
		if ((opt->letter && opt->letter == c) || (!opt->letter && c == LONG_ONLY_BASE + (int)i))
			return opt;
	}
	return NULL;
}

static int take_operands(const struct lt_command *cmd, int argc, char **argv, void *settings)
{
	char *field = (char *)settings + cmd->operand_offset;
	int left = argc - optind;
	switch (cmd->operand) {
	case LT_OPERAND_NONE:
		return left ? lt_command_usage_error(cmd, "unexpected argument") : 0;
	case LT_OPERAND_TRACE:
		if (left != 1)
			return lt_command_usage_error(cmd, left == 0 ? "no trace given" : "one trace at a time");
		*(const char **)field = argv[optind];
		return 0;
	case LT_OPERAND_DIRECTORY:
		if (left != 1)
			return lt_command_usage_error(cmd, left == 0 ? "no capture directory given"
								    : "one directory at a time");
		*(const char **)field = argv[optind];
		return 0;
	case LT_OPERAND_COMMAND_LINE:
		if (left == 0)
			return lt_command_usage_error(cmd, "no command to record");
		*(char ***)field = argv + optind;
		return 0;
	case LT_OPERAND_TWO_TRACES:
		if (left != 2)
			return lt_command_usage_error(cmd, left < 2 ? "two traces are needed (BASE.db NEW.db)"
								  : "two traces at a time");
		((const char **)field)[0] = argv[optind];
		((const char **)field)[1] = argv[optind + 1];
		return 0;
	}
	return 0;
}

/* --from after --to selects nothing: a mistake, said before any work. */
static int check_window(const struct lt_command *cmd, const void *settings)
{
	int64_t from = 0, to = 0;
	for (size_t i = 0; i < cmd->n_options; i++) {
		const struct lt_option *opt = &cmd->options[i];
		if (opt->kind != LT_OPT_SEQ)
			continue;
		const int64_t *v = (const int64_t *)((const char *)settings + opt->offset);
		if (!strcmp(opt->name, "from"))
			from = *v;
		else if (!strcmp(opt->name, "to"))
			to = *v;
	}
	if (from > 0 && to > 0 && from > to)
		return lt_command_usage_error(cmd, "--from %lld is after --to %lld", (long long)from, (long long)to);
	return 0;
}

int lt_command_parse(const struct lt_command *cmd, int argc, char **argv, void *settings, int *exit_status)
{
	char shorts[2 * MAX_OPTIONS + 4];
	struct option longs[MAX_OPTIONS];
	*exit_status = 0;
	if (build_getopt(cmd, shorts, sizeof(shorts), longs) != 0) {
		*exit_status = lt_command_usage_error(cmd, "too many options in the table");
		return 1;
	}
	int c;
	opterr = 0;
	optind = 0; /* glibc: start over, forgetting any half-read option cluster */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == 'h') {
			lt_command_help(cmd, stdout);
			return 1;
		}
		const struct lt_option *opt = c == ':' || c == '?' ? NULL : option_for(cmd, c);
		if (!opt) {
			*exit_status = lt_command_usage_error(cmd, "%s", lt_cli_getopt_problem(c, argv));
			return 1;
		}
		if ((*exit_status = store_value(cmd, opt, optarg, settings)) != 0)
			return 1;
	}
	if ((*exit_status = take_operands(cmd, argc, argv, settings)) != 0)
		return 1;
	if ((*exit_status = check_window(cmd, settings)) != 0)
		return 1;
	return 0;
}

/* --- help and manual pages ------------------------------------------------------ */

/* -h/--help, which every command has. */
static const struct lt_option help_option = {"help", 'h', NULL, "Print the usage and every option, then exit.",
					     LT_OPT_FLAG, NULL, 0};

/* The options column of --help is this wide; lines wrap before this column. */
#define HELP_INDENT 31
#define HELP_WIDTH 79

/* The length of the word at p: up to a space outside [...] (an option of a
 * usage line stays on one line). */
static size_t word_length(const char *p)
{
	size_t n = 0;
	int depth = 0;
	for (; p[n] && (p[n] != ' ' || depth > 0); n++)
		depth += p[n] == '[' ? 1 : p[n] == ']' ? -1 : 0;
	return n;
}

/* Write text from column `col` on, wrapped at HELP_WIDTH, continuation lines
 * indented to `indent`. */
static void put_wrapped(const char *text, size_t col, size_t indent, FILE *out)
{
	const char *p = text;
	while (*p) {
		size_t word = word_length(p);
		if (col > indent && col + 1 + word > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, word, out);
		col += word;
		p += word;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

void lt_command_help(const struct lt_command *cmd, FILE *out)
{
	char usage[1024], value[256];
	fputs("usage: ", out);
	put_wrapped(usage_string(cmd, usage, sizeof(usage)), 7, 8, out);
	fputc('\n', out);
	put_wrapped(cmd->description, 0, 0, out);
	fputs("\noptions:\n", out);
	for (size_t i = 0; i <= cmd->n_options; i++) {
		const struct lt_option *opt = i < cmd->n_options ? &cmd->options[i] : &help_option;
		int col;
		if (opt->letter)
			col = fprintf(out, "  -%c, --%s", opt->letter, opt->name);
		else
			col = fprintf(out, "      --%s", opt->name);
		if (opt->kind != LT_OPT_FLAG)
			col += fprintf(out, " %s", value_string(opt, value, sizeof(value)));
		if (col + 1 >= HELP_INDENT) {
			fputc('\n', out);
			col = 0;
		}
		fprintf(out, "%*s", HELP_INDENT - col, "");
		put_wrapped(opt->help, HELP_INDENT, HELP_INDENT, out);
	}
}

/* Text for a roff line: backslashes and dashes escaped, no control line;
 * spaces inside [...] do not break (a usage line's options stay whole). */
static void roff_text(const char *s, FILE *out)
{
	int depth = 0;
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		depth += *s == '[' ? 1 : *s == ']' && depth > 0 ? -1 : 0;
		if (*s == ' ' && depth > 0)
			fputs("\\ ", out);
		else if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\n')
			fputs("\n.br\n", out);
		else
			fputc(*s, out);
	}
}

static void man_header(const char *title, FILE *out)
{
	fprintf(out, ".TH %s 1 \"\" \"looptrace %s\" \"looptrace manual\"\n", title, LT_VERSION);
	/* left-aligned and unhyphenated: option and command names stay whole */
	fputs(".nh\n.ad l\n", out);
}

void lt_command_man(const struct lt_command *cmd, FILE *out)
{
	char title[64], usage[1024];
	snprintf(title, sizeof(title), "LOOPTRACE-%s", cmd->name);
	for (char *p = title; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	man_header(title, out);
	fprintf(out, ".SH NAME\nlooptrace\\-%s \\- ", cmd->name);
	roff_text(cmd->summary, out);
	fputs("\n.SH SYNOPSIS\n", out);
	roff_text(usage_string(cmd, usage, sizeof(usage)), out);
	fputs("\n.SH DESCRIPTION\n", out);
	roff_text(cmd->description, out);
	fputs("\n.SH OPTIONS\n", out);
	for (size_t i = 0; i <= cmd->n_options; i++) {
		const struct lt_option *opt = i < cmd->n_options ? &cmd->options[i] : &help_option;
		fputs(".TP\n", out);
		if (opt->letter)
			fprintf(out, "\\fB\\-%c\\fR, ", opt->letter);
		fputs("\\fB\\-\\-", out);
		roff_text(opt->name, out);
		fputs("\\fR", out);
		if (opt->kind != LT_OPT_FLAG) {
			char value[256];
			fputs(" \\fI", out);
			roff_text(value_string(opt, value, sizeof(value)), out);
			fputs("\\fR", out);
		}
		fputc('\n', out);
		roff_text(opt->help, out);
		fputc('\n', out);
	}
	fputs(".SH EXIT STATUS\n0 on success; 2 for a usage error or a trace that cannot be read "
	      "(one line on standard error); 1 when writing the output failed.\n", out);
	fputs(".SH SEE ALSO\n.BR looptrace (1)\n", out);
}

void lt_program_man(const struct lt_command *const *cmds, size_t n, FILE *out)
{
	man_header("LOOPTRACE", out);
	fputs(".SH NAME\nlooptrace \\- record and explain the execution order of Node.js event loops\n"
	      ".SH SYNOPSIS\n.B looptrace\n.I command\n[options] [operands]\n.br\n"
	      ".B looptrace\n\\-\\-help | \\-\\-version\n"
	      ".SH DESCRIPTION\n"
	      "looptrace records what a Node.js program's event loop runs (callbacks, promises, timers, I/O, "
	      "the threadpool) into one SQLite trace, then replays it in order, finds what blocked or leaked, "
	      "and draws it.\n.SH COMMANDS\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, ".TP\n.BR looptrace\\-%s (1)\n", cmds[i]->name);
		roff_text(cmds[i]->summary, out);
		fputc('\n', out);
	}
	fputs(".SH EXIT STATUS\n0 on success; 2 for a usage error or a trace that cannot be read (one line on "
	      "standard error); record returns the recorded command's status.\n"
	      ".SH ENVIRONMENT\n.TP\n.B LOOPTRACE_LIBDIR\nWhere record finds its probes "
	      "(liblooptrace\\-preload.so, agent.js, looptrace.node).\n"
	      ".TP\n.B LOOPTRACE_RAM_MB\nHow much of a capture record keeps in memory before it moves to "
	      "disk.\n.SH SEE ALSO\n",
	      out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, ".BR looptrace\\-%s (1)%s\n", cmds[i]->name, i + 1 < n ? "," : "");
}

/* --- the trace and the output ----------------------------------------------------- */

int lt_command_open_trace(const char *path, sqlite3 **db)
{
	char err[1024];
	if (lt_store_open(path, db, err, sizeof(err)) != 0) {
		lt_cli_error("%s", err);
		return LT_EXIT_USAGE;
	}
	return 0;
}

int lt_trace_is_attached(sqlite3 *db)
{
	char capture[16];
	lt_store_get_meta(db, "capture", capture, sizeof(capture));
	return !strcmp(capture, "bpf");
}

int lt_command_check_trace_output(const struct lt_command *cmd, const char *path)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		lt_cli_error("%s: cannot write %s: %s", cmd->name, path, strerror(ENAMETOOLONG));
		return LT_EXIT_USAGE;
	}
	const char *dir = dirname(buf);
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		lt_cli_error("%s: no such directory for the output: %s", cmd->name, dir);
		return LT_EXIT_USAGE;
	}
	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			lt_cli_error("%s: %s is a directory", cmd->name, path);
			return LT_EXIT_USAGE;
		}
		if (S_ISLNK(st.st_mode)) {
			lt_cli_error("%s: refusing to write %s: it is a symbolic link", cmd->name, path);
			return LT_EXIT_USAGE;
		}
		if (!S_ISREG(st.st_mode)) {
			lt_cli_error("%s: cannot write %s: not a regular file", cmd->name, path);
			return LT_EXIT_USAGE;
		}
	}
	/* The trace is written beside its name and renamed over it: the
	 * directory must take a new file (permissions, a read-only mount). */
	char probe[PATH_MAX + 32];
	snprintf(probe, sizeof(probe), "%s/.looptrace-probe.XXXXXX", dir);
	int fd = mkstemp(probe);
	if (fd < 0) {
		lt_cli_error("%s: cannot write in %s: %s", cmd->name, dir, strerror(errno));
		return LT_EXIT_USAGE;
	}
	close(fd);
	unlink(probe);
	return 0;
}

const char *lt_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int lt_output_open(struct lt_output_file *o, const struct lt_command *cmd, const char *path, const char *input)
{
	memset(o, 0, sizeof(*o));
	o->command = cmd->name;
	o->path = path;
	if (!path) {
		o->f = stdout;
		return 0;
	}
	o->mode = 0600; /* a report quotes the program's output and paths */
	struct stat st;
	if (lstat(path, &st) == 0) {
		struct stat in;
		if (S_ISLNK(st.st_mode)) {
			lt_cli_error("%s: refusing to write %s: it is a symbolic link", cmd->name, path);
			return LT_EXIT_USAGE;
		}
		if (S_ISDIR(st.st_mode)) {
			lt_cli_error("%s: cannot write %s: %s", cmd->name, path, strerror(EISDIR));
			return LT_EXIT_USAGE;
		}
		if (input && stat(input, &in) == 0 && in.st_dev == st.st_dev && in.st_ino == st.st_ino) {
			lt_cli_error("%s: refusing to write %s: it is the trace being read", cmd->name, path);
			return LT_EXIT_USAGE;
		}
		if (!S_ISREG(st.st_mode)) {
			/* A device or a pipe (-o /dev/null): written in place. */
			/* non-blocking: a FIFO nobody reads fails (ENXIO) instead of
			 * hanging; then blocking writes as usual */
			int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			if (fd >= 0)
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
				lt_cli_error("%s: cannot write %s: %s", cmd->name, path, strerror(errno));
				if (fd >= 0)
					close(fd);
				return LT_EXIT_USAGE;
			}
			return 0;
		}
		o->mode = st.st_mode & 07777;
	} else if (errno != ENOENT) {
		lt_cli_error("%s: cannot write %s: %s", cmd->name, path, strerror(errno));
		return LT_EXIT_USAGE;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	if (snprintf(o->tmp, sizeof(o->tmp), "%s/.%s.XXXXXX", dirname(dir), lt_base_name(path)) >=
	    (int)sizeof(o->tmp)) {
		lt_cli_error("%s: cannot write %s: %s", cmd->name, path, strerror(ENAMETOOLONG));
		o->tmp[0] = '\0';
		return LT_EXIT_USAGE;
	}
	int fd = mkstemp(o->tmp); /* 0600 until it is complete */
	if (fd < 0) {
		lt_cli_error("%s: cannot write %s: %s", cmd->name, path, strerror(errno));
		o->tmp[0] = '\0';
		return LT_EXIT_USAGE;
	}
	if (!(o->f = fdopen(fd, "w"))) {
		lt_cli_error("%s: cannot write %s: %s", cmd->name, path, strerror(errno));
		close(fd);
		goto remove_tmp;
	}
	return 0;
remove_tmp:
	unlink(o->tmp);
	o->tmp[0] = '\0';
	return LT_EXIT_USAGE;
}

int lt_output_commit(struct lt_output_file *o)
{
	if (o->f == stdout)
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -EIO;
	int rc = 0;
	if (fflush(o->f) != 0 || ferror(o->f))
		rc = -(errno ? errno : EIO);
	if (rc == 0 && o->tmp[0] && fchmod(fileno(o->f), o->mode) != 0)
		rc = -errno;
	if (fclose(o->f) != 0 && rc == 0)
		rc = -(errno ? errno : EIO);
	o->f = NULL;
	if (!o->tmp[0]) {
		if (rc != 0)
			lt_cli_error("%s: cannot write %s: %s", o->command, o->path, strerror(-rc));
		return rc;
	}
	if (rc == 0 && rename(o->tmp, o->path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(o->tmp);
	o->tmp[0] = '\0';
	if (rc != 0)
		lt_cli_error("%s: cannot write %s: %s", o->command, o->path, strerror(-rc));
	return rc;
}

void lt_output_abandon(struct lt_output_file *o)
{
	if (!o->f)
		return;
	if (o->f == stdout) {
		fflush(stdout);
		return;
	}
	fclose(o->f);
	o->f = NULL;
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = '\0';
}

/* --- what the recorder says ------------------------------------------------- */

void lt_command_notice(void *arg, enum lt_notice_kind kind, const char *text)
{
	(void)arg;
	switch (kind) {
	case LT_NOTICE_ERROR:
		lt_cli_error("%s", text);
		break;
	case LT_NOTICE_INFO:
		fprintf(stderr, "looptrace: %s\n", text);
		break;
	case LT_NOTICE_PROGRESS:
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "\rlooptrace: %s\033[K", text);
		break;
	case LT_NOTICE_PROGRESS_END:
		if (isatty(STDERR_FILENO))
			fputs("\r\033[K", stderr);
		break;
	}
}
