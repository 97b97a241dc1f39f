/*
 * report_cmd.h — the `report` subcommand.
 */
#ifndef LOOPTRACE_REPORT_CMD_H
#define LOOPTRACE_REPORT_CMD_H

/* argv[0] is "report".  Returns the process exit status. */
int lt_cmd_report(int argc, char **argv);

#endif
