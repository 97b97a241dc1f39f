/*
 * attach_links.h — load the eBPF loop probes (probes/bpf/loop.bpf.c, through
 * its libbpf skeleton) and attach them to target processes: the half of an
 * attach session that talks to the kernel, in the libbpf-tools shape
 * (loop.bpf.c in the kernel, loop.h shared, this file loading and
 * attaching, recorder/attach.c running the session).
 *
 *   - uprobes at the sites lt_probes_resolve found (recorder/attach_probes.h):
 *     one uprobe_multi link per (program, file, process) on Linux 6.6+, one
 *     perf-event uprobe per function otherwise;
 *   - raw syscall tracepoints in fallback mode (no uv__io_poll to probe);
 *   - a CPU-clock perf event per process that writes a JIT map;
 *   - the ring buffer, whose events go to a struct lt_attach_events
 *     (recorder/attach_events.h).
 *
 * Only recorder/attach.c uses it; it is built with the skeleton only
 * (LT_HAVE_BPF).
 *
 * Errors: functions return 0 or -errno.  lt_attach_links_load says why it
 * failed in l->err (one line, "attach: ..."); the caller prints it.  A single
 * probe that cannot be placed is not an error: the probe stays off and a
 * warning line ("looptrace: attach: ...\n", none when quiet) waits in the
 * struct for the caller to print (lt_attach_links_take_warnings).  Nothing
 * here prints, except libbpf's own messages when LOOPTRACE_BPF_DEBUG is set.
 *
 * Ownership: struct lt_attach_links owns the skeleton, every link and link
 * fd and the ring buffer; lt_attach_links_release gives back all of them
 * (the struct may be loaded again), lt_attach_links_free also its arrays.
 * The events struct passed to load stays the caller's and must outlive the
 * ring buffer.
 */
#ifndef LOOPTRACE_ATTACH_LINKS_H
#define LOOPTRACE_ATTACH_LINKS_H

#include <stddef.h>
#include <sys/types.h>

#include "attach_probes.h"

struct loop_bpf;
struct bpf_link;
struct ring_buffer;
struct lt_attach_events;

struct lt_attach_links {
	struct loop_bpf *skel;
	struct bpf_link **links; /* perf-event uprobes, tracepoints, samplers */
	size_t n_links, cap_links;
	int *fds;                /* uprobe_multi links */
	size_t n_fds, cap_fds;
	struct ring_buffer *rb;
	char missing[2048];      /* symbols not found, comma-separated (meta) */
	unsigned attached;       /* probes in place */
	char err[256];           /* why lt_attach_links_load failed */
	char *warnings;          /* lines not yet taken */
	size_t warn_len, warn_cap;
	int microtasks;          /* set before load: probe microtask drains too */
};

/* The warning lines gathered since the last call ("" when none), each
 * ending in a newline; valid until the next call that may warn. */
const char *lt_attach_links_take_warnings(struct lt_attach_links *l);

/* One warning line per probe process pid lacks the function for (unless
 * quiet), and the symbol added to l->missing. */
void lt_attach_links_note_missing(struct lt_attach_links *l, pid_t pid, const struct lt_probe_sites *sites,
				  int quiet);

/* Open and load the skeleton, mark the n pids as targets, map the ring
 * buffer (its events go to ev), and attach every probe at sites[i] to
 * pids[i] (uprobe_multi links when multi, else perf-event uprobes), the
 * tracepoints when fallback, and a stack sampler where a JIT map exists.
 * Returns 0, -EAGAIN when uprobe_multi links turned out unsupported
 * (release, then load again without multi), or another -errno with l->err
 * set. */
int lt_attach_links_load(struct lt_attach_links *l, const pid_t *pids, int n,
			 const struct lt_probe_sites *sites, int fallback, int multi, int quiet,
			 struct lt_attach_events *ev);

/* Hand what the ring holds to the events struct.  Returns the number of
 * events or -errno. */
int lt_attach_links_drain(struct lt_attach_links *l);

/* Wait up to ms for a probe that wakes user space (uvapi.bpf.c's
 * registrations), then hand over what the ring holds, as
 * lt_attach_links_drain. */
int lt_attach_links_wait(struct lt_attach_links *l, int ms);

/* Make a link made elsewhere (attach_uv.c) part of the session: detached
 * and destroyed with its own.  0 or -ENOMEM (the caller keeps it). */
int lt_attach_links_adopt(struct lt_attach_links *l, struct bpf_link *link);

/* Remove every probe (all at once: each waits for a grace period). */
void lt_attach_links_detach(struct lt_attach_links *l);

/* Events the probes could not hand over because the ring was full. */
unsigned long long lt_attach_links_lost(const struct lt_attach_links *l);

/* Detach, free the ring buffer and the skeleton; l->attached = 0. */
void lt_attach_links_release(struct lt_attach_links *l);

/* Release, then free the link arrays. */
void lt_attach_links_free(struct lt_attach_links *l);

#endif
