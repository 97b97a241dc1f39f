/*
 * import_cmd.h — the `import` subcommand: a kept raw capture into a trace.
 */
#ifndef LOOPTRACE_IMPORT_CMD_H
#define LOOPTRACE_IMPORT_CMD_H

/* argv[0] is "import".  Returns the process exit status. */
int lt_cmd_import(int argc, char **argv);

#endif
