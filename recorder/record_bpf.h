/*
 * record_bpf.h — record a command with the eBPF probes instead of the
 * in-process ones (`record --bpf`): start it, attach recorder/attach.h to it
 * (before it starts when it is a node binary, else once it has exec'd) and
 * stop when it exits.
 *
 * Errors: like lt_record_run (record.h), one line on stderr per problem and
 * an exit status.
 */
#ifndef LOOPTRACE_RECORD_BPF_H
#define LOOPTRACE_RECORD_BPF_H

#include "record.h"

/* Returns the command's exit status (128+N when it died of signal N), or
 * LT_EXIT_USAGE when attaching was refused.  o->keep_raw is not supported
 * (the caller refuses it). */
int lt_record_bpf(const struct lt_record_opts *o);

#endif
