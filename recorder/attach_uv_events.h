/*
 * attach_uv_events.h — the events of probes/bpf/uvapi.bpf.c (uvapi.h) turned
 * into the records `record` writes for the same program (the preload's
 * uv_* interposers and probe API, probes/preload/uv_trace.h), so reports,
 * replay and graphs treat an attached libuv or USDT program as a recorded
 * one:
 *
 *   LT_EV_UV_CALL  uv_timer_start, uv_*_start, uv_*_init, requests with a
 *                  callback (write, connect, fs, work, ...) -> LT_R_INIT of
 *                  the handle or request (type as `record` names it: Timeout,
 *                  uv_idle, TCPWRAP, FSREQCALLBACK, ...), its creation site
 *                  (the call's return address: an LT_STACK native frame) and
 *                  callback (LT_NATIVE_CALLBACK); uv_close -> LT_R_DESTROY;
 *                  uv_timer_stop of an active timer -> LT_R_DESTROY;
 *                  uv_ref/unref -> LT_R_REF.  Calls libuv makes itself only
 *                  teach callbacks and timers (uv__run_timers calls
 *                  uv_timer_stop on each timer it runs): a handle created
 *                  before the session is learnt when first seen, without a
 *                  site.  Every callback address seen for the first time is
 *                  handed to `learn` (which attaches its probes).
 *   LT_EV_UV_CB_*  -> LT_R_BEFORE/AFTER of the handle or request (closing:
 *                  the close callback); a request is destroyed after it
 *   LT_EV_UV_WAIT_* -> LT_POLL_ENTER/EXIT
 *   LT_EV_UV_RUN_END 0 of UV_RUN_DEFAULT -> 'beforeExit' (LT_EXIT_EMIT/DONE)
 *   LT_EV_USDT     task_enqueue/handle_open -> LT_R_INIT "usdt:<type>" at the
 *                  probe's address; begin/end -> LT_R_BEFORE/AFTER (a task
 *                  ends with its end); handle_close -> LT_R_DESTROY; mark ->
 *                  an unref'd "usdt:mark <name>" created and destroyed
 *
 * Used by attach_events.c on the thread that drains the ring.
 * Ownership: struct lt_attach_uv owns its tables (lt_attach_uv_free).
 * Errors: 0 or -errno (write errors stay in the stream's writer).
 */
#ifndef LOOPTRACE_ATTACH_UV_EVENTS_H
#define LOOPTRACE_ATTACH_UV_EVENTS_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../probes/bpf/loop.h"
#include "../probes/bpf/uvapi.h"
#include "proc_modules.h"

struct lt_attach_stream;

/* Asked to probe a callback address of process pid as callback `index`;
 * returns 0 or -errno (the callback then goes unseen). */
typedef int (*lt_uv_learn_fn)(void *ctx, pid_t pid, uint64_t addr, uint32_t index);

struct lt_uv_object; /* a handle, request, or probe API id */
struct lt_uv_thread; /* what one stream's records need */

struct lt_uv_proc {
	pid_t pid;
	struct lt_proc_modules mods;
	uint64_t *cb_addr;  /* callback index - 1 -> address */
	unsigned char *cb_api; /* ... -> the enum lt_uv_api that registered it */
	size_t n_cb, cap_cb;
	uint64_t loops[8];  /* loops whose handles were read (lt_attach_uv_walk_loop) */
	unsigned n_loops;
};

struct lt_attach_uv {
	lt_uv_learn_fn learn;
	void *learn_ctx;
	struct lt_uv_proc *procs;
	size_t n_procs, cap_procs;
	struct lt_uv_object *objs; /* open addressing on (pid, kind, key) */
	size_t cap_objs, n_objs;
	struct lt_uv_thread *threads;
	size_t n_threads, cap_threads;
	uint64_t callbacks_learnt, callbacks_failed, dispatches;
	uint64_t learn_ns_max, learn_ns_sum; /* from a registration's event to its
	                                        callback's probes in place */
};

void lt_attach_uv_init(struct lt_attach_uv *u, lt_uv_learn_fn learn, void *ctx);

/* One event of kind >= LT_EV_UV_CALL, for stream s (its thread). */
int lt_attach_uv_event(struct lt_attach_uv *u, struct lt_attach_stream *s, const struct lt_bpf_event *e,
		       uint64_t ts);

/* Learn the handles loop `loop` of process pid has open now (made before
 * the session: uv_loop_walk.h), and probe their callbacks; each loop once.
 * Returns how many handles, or -errno. */
int lt_attach_uv_walk_loop(struct lt_attach_uv *u, pid_t pid, uint64_t loop);

/* "N callbacks probed (M not), registration to probe: mean A ms, max B ms"
 * for the trace's meta. */
void lt_attach_uv_summary(const struct lt_attach_uv *u, char *buf, size_t len);

void lt_attach_uv_free(struct lt_attach_uv *u);

#endif
