/*
 * record_bpf.h — record a command with the eBPF probes instead of the
 * in-process ones (`record --bpf`): start it, attach recorder/attach.h to it
 * (before it starts when it is a node binary, else once it has exec'd) and
 * stop when it exits.
 *
 * Errors and messages: like lt_record_run (record.h): nothing printed,
 * messages to o->notices, -errno when the recording failed.
 */
#ifndef LOOPTRACE_RECORD_BPF_H
#define LOOPTRACE_RECORD_BPF_H

#include "record.h"

/* Returns 0 with *exit_status the command's status (128+N when it died of
 * signal N), or -errno when attaching was refused or failed (the command
 * then runs to its end untraced).  o->keep_raw is not supported (the
 * caller refuses it). */
int lt_record_bpf(const struct lt_record_opts *o, int *exit_status);

#endif
