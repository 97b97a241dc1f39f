/*
 * attach_uv.h — `attach` on programs that recorder/attach_probes.c cannot
 * probe from the inside: a shared libuv.so.1 that exports only its API
 * (Debian's libuv1 without its -dbgsym), and the probe API's USDT probes
 * (probes/looptrace.h) in the executable or any mapped library.
 *
 * Loads probes/bpf/uvapi.bpf.c beside loop.bpf.c, on the same ring (its
 * `targets`, `events` and `lost` maps are loop.bpf.c's), and attaches:
 *   - in "libuv API" mode (lt_attach_uv_mode): an entry probe on each
 *     exported uv_* function that registers a callback, opens or closes a
 *     handle or submits a request; uv_run's entry and return; libc's
 *     epoll_wait/epoll_pwait entry and return (the loop's wait, on threads
 *     that run uv_run or a libuv callback);
 *   - on every callback address the events reveal, as it is first seen
 *     (lt_attach_uv_learn, called from the ring's consumer): an entry
 *     probe and a return probe (the dispatch's begin and end);
 *   - USDT probes of provider "looptrace" in every mapped file that has
 *     them (libbpf's bpf_program__attach_usdt).
 * The links go into the attach_links.h session (lt_attach_links_adopt), which
 * removes them with its own.
 *
 * Ownership: struct lt_attach_uv_links owns its skeleton and module tables
 * (lt_attach_uv_links_free, after the session's links are detached).
 * Errors: 0 or -errno; what it has to say goes into `warnings` lines.
 */
#ifndef LOOPTRACE_ATTACH_UV_H
#define LOOPTRACE_ATTACH_UV_H

#include <stdint.h>
#include <sys/types.h>

#include "attach_links.h"
#include "proc_modules.h"

struct uvapi_bpf;

struct lt_attach_uv_target {
	pid_t pid;
	int api_mode;       /* probe libuv's exported API (lt_attach_uv_mode) */
	char libuv[PATH_MAX]; /* the mapped libuv.so ("" none) */
	uint64_t lo, hi;    /* its executable mapping */
	int usdt_modules;   /* files with looptrace USDT notes */
	uint64_t default_loop_fn; /* uv_default_loop's address in it (after load) */
	struct lt_proc_modules mods;
};

struct lt_attach_uv_links {
	struct uvapi_bpf *skel;
	struct lt_attach_links *session; /* borrowed */
	struct lt_attach_uv_target targets[16]; /* (default_loop_fn filled) */
	int n_targets;
	unsigned api_probes, usdt_probes, wait_probes, callback_probes, callback_failures;
	char notes[1024];   /* one-line summary for the session's notices */
};

/* What process pid needs: API mode when it maps a libuv.so whose
 * internals (uv__io_poll) the catalog could not find, and it is not Node (`have_internals`
 * 0), and whether any mapped file has looptrace USDT notes.  Returns 1
 * when attach_uv has something to attach in it, 0 if not. */
int lt_attach_uv_mode(pid_t pid, int have_internals, struct lt_attach_uv_target *t);

/* Load uvapi.bpf.c on the session's maps and attach the targets' probes.
 * 0 or -errno (ul->notes says why). */
int lt_attach_uv_load(struct lt_attach_uv_links *ul, struct lt_attach_links *session,
		      const struct lt_attach_uv_target *targets, int n, int quiet);

/* lt_uv_learn_fn (attach_uv_events.h): probe the callback at addr of pid,
 * its cookie `index`.  ctx is the struct lt_attach_uv_links. */
int lt_attach_uv_learn(void *ctx, pid_t pid, uint64_t addr, uint32_t index);

void lt_attach_uv_links_free(struct lt_attach_uv_links *ul);

#endif
