/*
 * export_cmd.h — the `export` subcommand.
 */
#ifndef LOOPTRACE_EXPORT_CMD_H
#define LOOPTRACE_EXPORT_CMD_H

/* argv[0] is "export".  Returns the process exit status. */
int lt_cmd_export(int argc, char **argv);

#endif
