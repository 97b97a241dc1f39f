/*
 * replay_cmd.h — the `replay` subcommand.
 */
#ifndef LOOPTRACE_REPLAY_CMD_H
#define LOOPTRACE_REPLAY_CMD_H

/* argv[0] is "replay".  Returns the process exit status. */
int lt_cmd_replay(int argc, char **argv);

#endif
