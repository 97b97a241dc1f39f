/*
 * graph_cmd.h — the `graph` subcommand.
 */
#ifndef LOOPTRACE_GRAPH_CMD_H
#define LOOPTRACE_GRAPH_CMD_H

/* argv[0] is "graph".  Returns the process exit status. */
int lt_cmd_graph(int argc, char **argv);

#endif
