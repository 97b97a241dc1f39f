/*
 * attach_events.h — turn the eBPF probes' events (probes/bpf/loop.h) into
 * raw capture files, one per traced thread, in the wire format the importer
 * reads (probes/wire.h), so an attached trace has the schema of a recorded
 * one.
 *
 *   LT_EV_POLL_*            -> LT_POLL_ENTER / LT_POLL_EXIT (loop iterations)
 *   LT_EV_CB_* (top level)  -> LT_R_BEFORE / LT_R_AFTER of a synthetic
 *                              resource per callback type (Timeout,
 *                              Immediate, TCPWRAP, ...; created unref'd, so
 *                              never a leak candidate)
 *   LT_EV_MICRO_*           -> a "Microtask" dispatch (nested in the
 *                              callback that drained it); drains shorter
 *                              than LT_ATTACH_MICRO_MIN_NS with nothing
 *                              inside are dropped
 *   LT_EV_HANDLE_*          -> LT_R_INIT / LT_R_DESTROY of a handle resource
 *   LT_EV_REJECT            -> LT_REJECT: a promise rejected without a
 *                              handler that got none before its top-level
 *                              callback ended is unhandled; one handled
 *                              after that is handled-late
 *   LT_EV_GC_*              -> LT_BLOCKING (call "gc") for pauses >= 1 ms
 *   LT_EV_WORK_*            -> no record: threadpool items (submit, start on a
 *                              pool thread, end, completion on the loop) are
 *                              summed up in ae->threadpool at close
 *   LT_EV_STACK             -> the JavaScript frames of a stack sampled in a
 *                              long callback, named from the process's
 *                              /tmp/perf-PID.map, as an LT_STACK
 *                              and an unref'd "JS sample" resource created
 *                              in that callback (which is how the analyzer
 *                              finds the function a dispatch was running)
 *
 *   LT_EV_MAIN              -> LT_JS_START (the `main` dispatch), when the
 *                              loop has not run yet on that thread
 *
 * Agent-relative times ("rel64") are plain CLOCK_MONOTONIC ns until an
 * LT_JS_START, and count from it after one.
 *
 * Ownership: struct lt_attach_events owns its streams and their files;
 * lt_attach_events_close finishes and closes every file.
 */
#ifndef LOOPTRACE_ATTACH_EVENTS_H
#define LOOPTRACE_ATTACH_EVENTS_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "../probes/bpf/loop.h"
#include "../probes/wire.h"
#include "attach_work.h"

#define LT_ATTACH_MICRO_MIN_NS 20000u

struct lt_attach_stream;
struct lt_attach_uv;
struct lt_flight;

struct lt_attach_events {
	char dir[4096];
	struct lt_attach_stream *streams;
	size_t n, cap;
	uint64_t start_ns;
	uint64_t stop_ns; /* events after it (while detaching) are dropped; 0 = none yet */
	uint64_t events;
	uint64_t stacks, stacks_named; /* LT_EV_STACK seen, and with JS frames */
	char perf_map_dir[4096];       /* "": the process's own /tmp (lt_perf_map_path) */
	struct lt_work_table *work;    /* threadpool items in flight */
	struct lt_attach_threadpool threadpool; /* filled by lt_attach_events_close */
	int error; /* first -errno met */
	/* attach --ring: streams write into this flight recorder (flight.h),
	 * not into files in dir; borrowed. */
	struct lt_flight *flight;
	/* attach_uv.h's events (kinds >= LT_EV_UV_CALL) go to it; borrowed,
	 * NULL when no target needs it */
	struct lt_attach_uv *uv;
	uint32_t close_flags; /* enum lt_file_flags for every stream at close
	                         (LT_FILE_CLOSED: the targets exited) */
};

/* Capture files go to `dir` (which must exist). */
void lt_attach_events_init(struct lt_attach_events *ae, const char *dir, uint64_t start_ns);

/* Handle one event (an LT_EV_STACK event is a whole struct lt_bpf_stack_event).  Returns 0 or -errno (remembered in ae->error).  Events
 * later than ae->stop_ns (when set) are ignored: the trace ends when the
 * session decided to stop, not when the last probe was gone. */
int lt_attach_events_add(struct lt_attach_events *ae, const struct lt_bpf_event *e);

/* attach --ring: stream i's state for a dump (flight_session.h's source;
 * `events` is the struct lt_attach_events). */
void lt_attach_events_flight_view(void *events, size_t i, struct lt_file_header *flat, const uint32_t **words,
				  size_t *n);

/* Finish every stream at `end_ns` and close its file.  Returns 0 or the
 * first -errno met. */
int lt_attach_events_close(struct lt_attach_events *ae, uint64_t end_ns);

/* The libuv handle type's resource name (TCPWRAP, PIPEWRAP, ...; "uv_<type>"
 * for handles Node has no wrap name for). */
const char *lt_attach_handle_name(int uv_type);

#endif
