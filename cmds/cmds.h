/*
 * cmds.h — every subcommand of looptrace.  Each lives in its own file
 * cmds/cmd_NAME.c with the same shape: a settings struct with its defaults,
 * an options table, an lt_command describing both, and
 *
 *     int cmd_NAME(int argc, char **argv)
 *
 * which parses argv (argv[0] is NAME) through cmds/command.h, calls down into
 * recorder/, analyzer/ and reports/, and returns the process exit status
 * (0, LT_EXIT_USAGE for bad input, 1 when the output could not be written;
 * record returns the recorded command's status).
 *
 * Adding a subcommand: copy a trace reader, cmds/cmd_replay.c, to
 * cmds/cmd_NAME.c and make it yours; declare its two names below; add one
 * row to lt_commands in cmds/cmds.c; add the file to looptrace-cmds and NAME
 * to LOOPTRACE_COMMANDS in CMakeLists.txt (DEVELOPING.md has the recipe).  Its
 * --help and manual page follow from its table.
 */
#ifndef LOOPTRACE_CMDS_H
#define LOOPTRACE_CMDS_H

#include "command.h"

extern const struct lt_command lt_command_record;
extern const struct lt_command lt_command_attach;
extern const struct lt_command lt_command_replay;
extern const struct lt_command lt_command_report;
extern const struct lt_command lt_command_graph;
extern const struct lt_command lt_command_export;
extern const struct lt_command lt_command_import;
extern const struct lt_command lt_command_dump;
extern const struct lt_command lt_command_diff;
extern const struct lt_command lt_command_lesson;

int cmd_record(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_lesson(int argc, char **argv);

/* Every subcommand, in the order of `looptrace --help`. */
extern const struct lt_command *const lt_commands[];
extern const size_t lt_n_commands;

/* The subcommand called name, or NULL. */
const struct lt_command *lt_find_command(const char *name);

#endif
