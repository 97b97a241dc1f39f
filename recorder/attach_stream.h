/*
 * attach_stream.h — one attached thread's capture file (a raw capture in the
 * wire format, probes/wire.h) and the state recorder/attach_events.c keeps
 * for it while decoding: the record writers that every event handler
 * shares (resources, dispatch types, strings, the main script's start).
 *
 * Used by attach_events.c alone, on the thread that drains the ring.
 *
 * Errors: lt_astream_open returns 0 or -errno; the writers return nothing and
 * leave a write error in s->w.error (the caller checks it once per event).
 * Ownership: a stream owns its writer, handle table and perf map;
 * attach_events.c closes them (lt_attach_events_close).
 */
#ifndef LOOPTRACE_ATTACH_STREAM_H
#define LOOPTRACE_ATTACH_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "attach_handles.h"
#include "perf_map.h"
#include "raw_writer.h"

struct lt_flight;

#define C_STRING 0x80000000u /* string ids of ours (the agent's have the top bit clear) */
#define MAX_PENDING_REJECTS 256
#define MAX_REPORTED 256
#define MAX_TYPES 32

struct pending_reject {
	uint64_t promise;
	uint64_t ts;
};

struct named {
	const char *name; /* static string */
	uint32_t string_id;
	uint32_t resource_id; /* synthetic dispatch resource, 0 = none yet */
};

struct lt_attach_stream {
	int pid, tid;
	struct lt_raw_writer w;
	uint32_t next_string, next_id;
	struct named types[MAX_TYPES];
	size_t n_types;
	uint64_t last_ts;
	uint64_t js_base;  /* LT_JS_START's time once written: "rel64" times count from it */
	int looped;        /* the loop has run (no main script to come) */

	/* in the loop's wait: from uv__io_poll's entry to the first callback
	 * or the check phase */
	int polling;

	/* the open dispatch has no end event and ends at the next probe that
	 * sees the loop elsewhere (callback, check phase, poll): an I/O watcher
	 * callback probed at entry only (LT_CB_OPEN_ENDED), or in fallback mode
	 * (libuv's internals not probed) the poll phase's callbacks as one "io"
	 * dispatch from the wait's end */
	int ends_at_next_step;

	/* the open top-level callback */
	int open;
	uint32_t open_rid;

	/* the outermost microtask drain */
	int micro_depth, micro_pending, micro_written;
	uint64_t micro_begin;

	struct lt_handle_table handles;

	struct pending_reject pending[MAX_PENDING_REJECTS];
	size_t n_pending;
	uint64_t reported[MAX_REPORTED]; /* promises reported unhandled (a ring) */
	size_t n_reported;
	uint32_t reject_ordinal;

	uint64_t gc_begin;

	struct lt_perf_map perf_map;
	uint32_t next_stack;
};

/* Open the capture file DIR/PID-TID.ltr and start it: LT_PROC_START with the
 * process's command line at `start`, the stand-in type "io", the JIT map
 * (PERF_MAP_DIR/perf-PID.map, or the process's own when "").  0 or -errno. */
int lt_astream_open(struct lt_attach_stream *s, const char *dir, const char *perf_map_dir, int pid, int tid,
		   uint64_t start, struct lt_flight *flight);

void lt_astream_put64(uint32_t *w, uint64_t v);

/* The index in s->types of a dispatch type name (a static string), written
 * as a string the first time; entry 0 ("io") when the table is full. */
uint32_t lt_astream_intern(struct lt_attach_stream *s, const char *name);

/* A "rel64" time: relative to LT_JS_START once there is one, else absolute. */
uint64_t lt_astream_rel(const struct lt_attach_stream *s, uint64_t ts);

/* LT_R_INIT of resource id (unref'd when unref), and LT_R_BEFORE/AFTER/
 * DESTROY (kind) of it. */
void lt_astream_r_init(struct lt_attach_stream *s, uint32_t id, uint32_t type_string, uint64_t ts, int unref);
void lt_astream_r_event(struct lt_attach_stream *s, unsigned kind, unsigned aux, uint32_t id, uint64_t ts);

/* The synthetic resource that stands for every dispatch of one type. */
uint32_t lt_astream_dispatch_resource(struct lt_attach_stream *s, const char *name, uint64_t ts);

/* A string record of ours; returns its id. */
uint32_t lt_astream_text(struct lt_attach_stream *s, const char *text, size_t len);

/* LT_JS_START at ts (the main script's name read from /proc on the main
 * thread); later "rel64" times count from it. */
void lt_astream_js_start(struct lt_attach_stream *s, uint64_t ts);

#endif
