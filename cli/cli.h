/*
 * cli.h — conventions shared by every subcommand: exit statuses, the
 * one-line error format, the version string.
 *
 * Who may use it: cmds/ (every command's messages; the recorder's go up
 * as text through recorder/notice.h and cmds/ prints them); recorder/ reads
 * LT_VERSION (trace_writer.c) and LT_EXIT_USAGE (a child that could not be
 * set up exits with it).  Nothing below cmds/ prints.  It includes nothing
 * of ours (scripts/check-layers.sh).
 *
 * Ownership: lt_cli_getopt_problem returns a static buffer, overwritten by
 * the next call.
 */
#ifndef LOOPTRACE_CLI_H
#define LOOPTRACE_CLI_H

#define LT_VERSION "0.1.0"

/* Bad input (unknown option, missing/corrupt/foreign trace): one line on
 * stderr and this status. */
#define LT_EXIT_USAGE 2

/* Print "looptrace: <message>\n" on stderr. */
void lt_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The usage problem getopt_long reported with `c` (':' missing value, '?'
 * unknown option), naming the option, in a static buffer.  Call it right
 * after getopt_long returned c (it reads optind). */
const char *lt_cli_getopt_problem(int c, char **argv);

#endif
