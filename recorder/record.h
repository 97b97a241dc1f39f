/*
 * record.h — the `record` subcommand.
 */
#ifndef LOOPTRACE_RECORD_H
#define LOOPTRACE_RECORD_H

/* argv[0] is "record".  Returns the process exit status. */
int lt_cmd_record(int argc, char **argv);

#endif
