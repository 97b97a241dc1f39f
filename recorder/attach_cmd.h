/*
 * attach_cmd.h — the command lines that use the eBPF probes:
 *
 *   looptrace attach -p PID [-p PID...] [--duration SECONDS] [-o TRACE.db] [-q]
 *   looptrace record --bpf [-o TRACE.db] [--duration SECONDS] [-q] -- CMD [ARGS...]
 *
 * (the second is reached from recorder/record.c once it has parsed its
 * options).
 */
#ifndef LOOPTRACE_ATTACH_CMD_H
#define LOOPTRACE_ATTACH_CMD_H

int lt_cmd_attach(int argc, char **argv);

/* Start cmd without the in-process probes, attach to it once it runs its
 * node binary, stop when it exits.  Returns its exit status (128+N when it
 * died of signal N), or LT_EXIT_USAGE when attaching was refused. */
int lt_record_bpf(const char *output, double duration, int quiet, char **cmd);

#endif
