/*
 * command.h — the runtime every subcommand shares: a declarative options
 * table, parsed in one place; the common options (trace operand, -o,
 * --format, --from/--to, --pid) defined once; --help and the manual page
 * written from the same table; opening the trace; safe output files; the
 * one-line error and exit status conventions of cli/cli.h.
 *
 * HOW TO ADD AN OPTION to a command (say `--min-severity LEVEL` to report):
 *   1. add the field to the command's settings struct in cmds/cmd_NAME.c
 *      (int for a flag, const char * for a string or enum, double for
 *      milliseconds or seconds, int64_t for a count or seq, struct lt_pids
 *      for --pid) and give its default in the initializer;
 *   2. add one row to the command's options table, e.g.
 *        {"min-severity", 0, "LEVEL", "Show only findings at least this severe.",
 *         LT_OPT_ENUM, severities, offsetof(struct report_settings, min_severity)},
 *      or use a common one: LT_OPTION_OUTPUT(struct report_settings, output),
 *      LT_OPTION_FORMAT(...), LT_OPTION_FROM/TO(...), LT_OPTION_PID(...),
 *      LT_OPTION_TID(...) (a thread id, as the trace's tid column says);
 *   3. use the field in the command.  Parsing, range checks, the error
 *      message, --help and the man page follow from the row.
 *
 * HOW TO ADD A SUBCOMMAND: copy cmds/cmd_replay.c (a trace reader) to
 * cmds/cmd_NAME.c, declare its lt_command and cmd_NAME in cmds/cmds.h, add
 * one row to lt_commands in cmds/cmds.c, and add the file to the
 * looptrace-cmds list and NAME to LOOPTRACE_COMMANDS (its man page) in
 * CMakeLists.txt.
 *
 * Ownership: the tables are static and constant.  Parsed strings point into
 * argv.  An lt_output owns its temporary file until lt_output_commit or
 * lt_output_abandon.
 *
 * Errors: usage problems print one line "looptrace: NAME: problem (usage:
 * ...)" on stderr and give LT_EXIT_USAGE (2); other functions return 0 or
 * -errno, or an exit status where they say so.
 */
#ifndef LOOPTRACE_COMMAND_H
#define LOOPTRACE_COMMAND_H

#include <limits.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../cli/cli.h"
#include "../recorder/notice.h"

/* What an option's value is, how it is checked and where it is stored. */
enum lt_option_kind {
	LT_OPT_FLAG,    /* no value; int set to 1 */
	LT_OPT_STRING,  /* const char * */
	LT_OPT_ENUM,    /* const char *, one of option.values */
	LT_OPT_MS,      /* double, milliseconds >= 0 */
	LT_OPT_SECONDS, /* double, seconds > 0 */
	LT_OPT_SEQ,     /* int64_t, a dispatch number >= 0 */
	LT_OPT_COUNT,   /* int64_t, a number > 0 */
	LT_OPT_PID,     /* struct lt_pids, repeatable, each 1..INT_MAX */
	LT_OPT_STRINGS, /* struct lt_strings, repeatable (globs, lists) */
};

#define LT_MAX_PIDS 16

struct lt_pids {
	pid_t pid[LT_MAX_PIDS];
	int n;
};

#define LT_MAX_STRINGS 16

struct lt_strings {
	const char *v[LT_MAX_STRINGS];
	int n;
};

struct lt_option {
	const char *name;           /* long name, without "--" */
	char letter;                /* short letter, or 0 */
	const char *arg;            /* the value's name in help ("FILE"); NULL for a flag */
	const char *help;           /* one sentence */
	enum lt_option_kind kind;
	const char *const *values;  /* LT_OPT_ENUM: the allowed values, NULL-terminated */
	size_t offset;              /* where the value goes in the command's settings */
};

/* The common options, defined once.  type is the command's settings
 * struct, field the member that receives the value. */
#define LT_OPTION_OUTPUT(type, field, help) \
	{"output", 'o', "FILE", help, LT_OPT_STRING, NULL, offsetof(type, field)}
#define LT_OPTION_FORMAT(type, field, values, help) \
	{"format", 'f', NULL, help, LT_OPT_ENUM, values, offsetof(type, field)}
#define LT_OPTION_FROM(type, field) \
	{"from", 0, "SEQ", "Start at this dispatch number (inclusive).", LT_OPT_SEQ, NULL, offsetof(type, field)}
#define LT_OPTION_TO(type, field) \
	{"to", 0, "SEQ", "Stop at this dispatch number (inclusive).", LT_OPT_SEQ, NULL, offsetof(type, field)}
#define LT_OPTION_PID(type, field, help) \
	{"pid", 'p', "PID", help, LT_OPT_PID, NULL, offsetof(type, field)}
#define LT_OPTION_TID(type, field, help) \
	{"tid", 0, "TID", help, LT_OPT_PID, NULL, offsetof(type, field)}

/* What follows the options. */
enum lt_operand_kind {
	LT_OPERAND_NONE,         /* nothing */
	LT_OPERAND_TRACE,        /* exactly one trace file (const char *) */
	LT_OPERAND_DIRECTORY,    /* exactly one capture directory (const char *) */
	LT_OPERAND_COMMAND_LINE, /* a command and its arguments (char **), options end at it */
	LT_OPERAND_TWO_TRACES,   /* exactly two trace files (const char *[2]) */
};

struct lt_command {
	const char *name;
	const char *summary;     /* one line for `looptrace --help` and NAME in the man page */
	const char *description; /* a paragraph for --help and the man page */
	const struct lt_option *options;
	size_t n_options;
	enum lt_operand_kind operand;
	const char *operand_name; /* in the usage line: "TRACE.db", "-- CMD [ARGS...]" */
	size_t operand_offset;    /* where the operand goes in the settings */
	int (*run)(int argc, char **argv);
};

#define LT_COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* In an lt_command initializer: its options table, and one trace file as
 * the operand, stored in field. */
#define LT_OPTIONS(table) .options = (table), .n_options = LT_COUNT_OF(table)
#define LT_TRACE_OPERAND(type, field) \
	.operand = LT_OPERAND_TRACE, .operand_name = "TRACE.db", .operand_offset = offsetof(type, field)

/* Parse argv (argv[0] is the command's name) into settings, which holds the
 * defaults.  Returns 0 when the command should run; otherwise the command
 * is done and *exit_status says how: 0 after --help, LT_EXIT_USAGE after a
 * one-line usage error. */
int lt_command_parse(const struct lt_command *cmd, int argc, char **argv, void *settings, int *exit_status);

/* Report a usage problem found after parsing: "looptrace: NAME: problem
 * (usage: ...)".  Returns LT_EXIT_USAGE. */
int lt_command_usage_error(const struct lt_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The usage line, the description and every option with its sentence. */
void lt_command_help(const struct lt_command *cmd, FILE *out);

/* The manual page of cmd in roff (man(7) macros). */
void lt_command_man(const struct lt_command *cmd, FILE *out);

/* The manual page looptrace(1): what the tool is, its commands with their
 * summaries, the exit statuses and environment. */
void lt_program_man(const struct lt_command *const *cmds, size_t n, FILE *out);

/* Open a trace read-only (analyzer/store.h).  Returns 0, or LT_EXIT_USAGE
 * after saying why in one line. */
int lt_command_open_trace(const char *path, sqlite3 **db);

/* Whether the trace was taken by attaching the eBPF probes (meta capture =
 * bpf): such a trace has no creation sites to tell Node's own housekeeping
 * from the program's callbacks, so views show everything. */
int lt_trace_is_attached(sqlite3 *db);

/* A trace the recorder is about to write, checked before the command
 * starts: its directory must exist and take a new file, and the path must
 * not be a directory, a symbolic link or anything but a regular file.
 * Returns 0, or LT_EXIT_USAGE after one line. */
int lt_command_check_trace_output(const struct lt_command *cmd, const char *path);

/* The printer record and attach give the recorder (recorder/notice.h,
 * .say of struct lt_notices; arg unused): a problem as lt_cli_error, a
 * message as "looptrace: TEXT" on stderr, the progress line only when
 * stderr is a terminal. */
void lt_command_notice(void *arg, enum lt_notice_kind kind, const char *text);
#define LT_COMMAND_NOTICES ((struct lt_notices){.say = lt_command_notice})

/* An output file written safely: into a temporary file (mode 0600) in the
 * destination's directory, renamed over the destination only when complete.
 * With no path it is stdout. */
struct lt_output_file {
	FILE *f;
	const char *command; /* for messages */
	const char *path;   /* NULL: stdout */
	char tmp[PATH_MAX]; /* the temporary file, "" once committed or removed */
	mode_t mode;        /* the mode the finished file gets */
};

/* Open path (or stdout when path is NULL) for writing.  Refuses a symbolic
 * link, a directory, and the trace being read (`input`, same st_dev and
 * st_ino; NULL: no input).  Returns 0, or LT_EXIT_USAGE after one line
 * "looptrace: NAME: ...". */
int lt_output_open(struct lt_output_file *o, const struct lt_command *cmd, const char *path, const char *input);

/* Flush and, for a file, move it into place.  Returns 0 or -errno (for a
 * file after one line on stderr; the temporary file is removed then). */
int lt_output_commit(struct lt_output_file *o);

/* Discard what was written (a file's temporary file is removed). */
void lt_output_abandon(struct lt_output_file *o);

/* The base name of a path (the part after the last '/'). */
const char *lt_base_name(const char *path);

#endif
