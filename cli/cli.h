/*
 * cli.h — conventions shared by every subcommand: exit statuses, the
 * one-line error format, the version string.
 *
 * Who may use it: cmds/ (every command's messages) and recorder/ (the
 * long-running lt_record_run and lt_attach_run print their diagnostics and
 * progress as they go); trace_writer.c reads LT_VERSION.  analyzer/,
 * reports/ and probes/ return errors instead of printing them.  It includes
 * nothing of ours (scripts/check-layers.sh).
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
