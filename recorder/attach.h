/*
 * attach.h — trace running node processes with the eBPF loop probes
 * (probes/bpf/loop.bpf.c) and write one trace of what their event loops did.
 *
 * The attach path has the libbpf-tools shape, one concern per file:
 *   probes/bpf/loop.bpf.c, loop.h  the probes, and the event both sides share
 *   attach.c (this)       the session: checks, targets, stop, import
 *   attach_probes.c       symbol resolution: what to probe and where
 *                         (with elf_symbols.c; perf_map.c names JIT frames)
 *   attach_links.c        loading the skeleton and attaching the links
 *   attach_events.c       event decoding into raw capture files (with
 *                         attach_stream.c, a thread's file and its record
 *                         writers, attach_handles.c and attach_work.c)
 *   attach_uv.c           programs on a shared libuv that exports only its
 *                         API, and the probe API's USDT probes (uvapi.bpf.c;
 *                         attach_uv_events.c decodes their events)
 *
 * lt_attach_run checks the privileges and kernel support, resolves the probed
 * functions in each target's binary and libraries, loads and attaches the
 * probes, drains the ring buffer into capture files until it is told to
 * stop, detaches, and imports the capture into the trace (the same schema
 * as `record`; meta `capture` = `bpf`).  The targets keep running.
 *
 * Ownership: the caller owns the options; lt_attach_run owns everything it
 * creates and releases it before returning.
 *
 * Errors and messages: it prints nothing; what it has to say goes as text
 * to o->notices (notice.h), and a session refused or failed returns -errno.
 */
#ifndef LOOPTRACE_ATTACH_H
#define LOOPTRACE_ATTACH_H

#include <stdint.h>
#include <sys/types.h>

#include "notice.h"

#define LT_ATTACH_MAX_PIDS 16

struct lt_attach_opts {
	pid_t pids[LT_ATTACH_MAX_PIDS];
	int n_pids;
	double duration;     /* seconds; 0 = until SIGINT/SIGTERM or the targets exit */
	const char *output;  /* trace file */
	int quiet;
	int microtasks;      /* also probe microtask drains (2 hits each) */
	/* record --bpf: the command's pid (also pids[0]); stop when it exits,
	 * end it at `duration` (SIGINT, SIGTERM, SIGKILL), forward signals. */
	pid_t child;
	const char *command; /* meta `command`; NULL = the first target's command line */
	/* record --bpf before the command runs: the binary it is about to exec
	 * (symbols come from it rather than from /proc/PID/exe), and a pipe end
	 * that gets one byte once the probes are in place (the child waits for
	 * it; the caller owns and closes the fd). */
	const char *exe;
	int release_fd;      /* -1: none */
	struct lt_notices notices; /* where messages go (quiet: only problems) */
	/* attach --ring (flight_session.h): keep only the most recent window
	 * in memory and write OUTPUT-n.db when triggered (SIGUSR2, `looptrace
	 * dump`, the lag trigger, an unhandled rejection, the end). */
	const char *ring;      /* the --ring text; NULL: a plain session */
	uint64_t ring_bytes;
	double ring_seconds;
	double trigger_lag_ms;
	int64_t max_dumps;     /* automatic dumps at most; 0: no limit */
};

/* Why BPF cannot run here (missing privileges, kernel BTF, or a build
 * without the probes), as a one-line message in buf; 0 when it can. */
int lt_attach_unsupported(char *buf, size_t len);

/* Run an attach session.  Returns 0 once the trace is written, or -errno
 * when the session was refused or failed (an LT_NOTICE_ERROR says why,
 * except for a refused probe the kernel gave no reason for).
 * *child_status receives the wait status of opts->child. */
int lt_attach_run(const struct lt_attach_opts *o, int *child_status);

#endif
