/*
 * import_state.h — the importer's state, shared by its modules.
 *
 * struct lt_importer is the whole import (database, global counters, the
 * statistics); struct lt_stream is one capture file being replayed (its
 * reader, its id tables, its open dispatches, its loop iteration).
 *
 * Ownership: lt_import_files (import.c) owns one importer and an array of
 * streams for the duration of the call; every handler borrows them.  The
 * per-stream tables are owned by the module that fills them (strings and
 * stacks: import_strings_stacks.c; resources: import_tasks.c; promises and
 * rejections: import_promises.c; output: import_process.c) and released by
 * lt_stream_close (import_reader.c) through each module's *_free.
 * Errors: handlers return nothing; an allocation or database failure sets
 * db.failed and the import is rolled back.
 */
#ifndef LOOPTRACE_IMPORT_STATE_H
#define LOOPTRACE_IMPORT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "../analyzer/queue.h"
#include "import.h"
#include "id_map.h"
#include "import_db.h"
#include "import_pool.h"
#include "rawfile.h"

#define LT_IMPORT_MAX_DEPTH 256
#define LT_IMPORT_RECENT_CLOSED 64
#define NO_SEQ 0u
/* Resources and promises not touched for this many newer ones are
 * forgotten (id_map.h): memory stays bounded however long the run. */
#define LT_IMPORT_GENERATION (1u << 17)

#define LT_PRE_OPEN 32 /* callbacks nested at a window's start, at most */

struct lt_importer {
	struct lt_import_db db;
	uint32_t next_seq;
	uint64_t next_stack;
	uint8_t *user_stack; /* by global stack id: has a frame in the program's code */
	uint64_t n_user_stack;
	struct lt_native_frames *native; /* DWARF of native frames' modules, made on first use */
	uint64_t promise_base; /* global promise id = base + local id */
	uint64_t resource_base;
	struct lt_import_stats *stats;
	/* in-dispatch sampling, by JS thread (LT_SAMPLING) */
	unsigned sampling_on, sampling_off, sampling_unavailable;
	uint32_t unavailable_abi;
	/* a flight recorder's window: events before it are skipped (their
	 * definitions are kept), 0 for a whole capture */
	uint64_t window_from_ns;
	/* libuv programs' threadpool requests (LT_WORK), for meta */
	struct lt_pool_summary pool;
};

/* A piece of text inside the capture. */
struct lt_text {
	const char *s;
	uint32_t n;
};

struct lt_resource_info {
	uint32_t created_seq;
	uint32_t site;        /* global id of the stack that places it in user code */
	uint8_t queue;
	const char *type;     /* in the stream's string storage */
	uint32_t type_len;
	uint8_t no_row;       /* made before a flight recorder's window: known, not in the trace */
};

struct lt_promise_info {
	uint64_t created_ns;
	uint32_t parent;       /* local id */
	uint32_t created_seq;
	uint32_t settled_seq;
	uint32_t stack;        /* global stack id */
	uint32_t site;         /* own stack if it reaches user code, else the parent's site */
	uint8_t inserted;      /* row written (at settle) */
};

/* Storage for the texts of a stream's strings: blocks that are never moved
 * nor freed before the stream is closed, so texts may be kept by pointer. */
struct lt_text_block {
	struct lt_text_block *next;
	size_t used, size;
	char bytes[];
};

enum lt_dispatch_kind { D_MAIN, D_RESOURCE, D_PROMISE, D_EXIT, D_SYNTHETIC };

struct lt_open_dispatch {
	uint32_t seq, parent_seq, trigger_seq, iteration;
	uint32_t id; /* async id or local promise id */
	enum lt_dispatch_kind kind;
	enum lt_queue queue;
	enum lt_phase phase;
	const char *type;
	uint32_t type_len;
	uint64_t begin_ns;
};

struct lt_closed_dispatch {
	uint32_t seq;
	int depth;
	uint64_t begin_ns, end_ns;
};

struct lt_stream {
	struct lt_raw_file raw;
	const char *path;
	int done, damaged;
	const uint32_t *next;  /* peeked record */
	uint64_t next_ts;
	uint64_t last_ts;
	uint64_t js_base;      /* absolute ns of LT_JS_START */
	int is_js, has_main_end, main_open;
	int pid, tid;
	uint32_t js_thread_id;
	struct lt_text argv, main_script, worker_name;

	/* exec: the last attempt not known to have failed, not yet in lineage */
	int exec_pending, ended_by_exec;
	int did_something; /* a record besides strings, process start and exec attempts */
	struct lt_text exec_path;
	uint64_t exec_ts;

	/* largest ids seen by the first pass: global ids are a per-stream base
	 * plus these local ids, and ids above them name nothing */
	uint32_t max_res, max_prom;

	/* sparse tables by the probes' ids (id_map.h) */
	struct lt_id_map strings;  /* string id -> struct lt_text */
	struct lt_text_block *texts;
	struct lt_id_map stacks;   /* local stack id -> global stack id (uint64_t) */
	struct lt_id_map res;      /* async id -> struct lt_resource_info (bounded) */
	struct lt_id_map prom;     /* local promise id -> struct lt_promise_info (bounded) */
	struct lt_id_map rejections; /* the agent's ordinal -> rejection row id (int64_t) */
	struct lt_importer *im;    /* for the promise table's eviction */
	uint64_t promise_base, resource_base;

	struct lt_open_dispatch stack[LT_IMPORT_MAX_DEPTH];
	int depth;
	/* the dispatches closed last, for samples written after the fact */
	struct lt_closed_dispatch recent[LT_IMPORT_RECENT_CLOSED];
	uint32_t n_recent;
	uint32_t synthetic_seq; /* open synthetic dispatch for un-hooked output */

	/* loop iterations */
	uint32_t iteration;
	enum lt_phase phase;
	int polled;            /* the current iteration has polled */
	uint64_t it_begin, it_poll_begin, it_poll_end, it_last;
	int32_t it_timeout, it_events;
	uint64_t nested_poll_begin; /* a poll inside a dispatch: a private loop (spawnSync) */

	/* a flight recorder's window (import.c): callbacks begun before it and
	 * still running at its start, begun again there when the stream's
	 * first record in the window comes (in_window) */
	uint32_t pre_open[LT_PRE_OPEN][4];
	uint8_t n_pre_open, in_window;
	uint64_t eintr_event;       /* events count at a poll a signal interrupted (0: none) */

	/* output pieces awaiting their last part */
	char *out_buf;
	size_t out_len, out_cap;

	uint64_t events;
	size_t released_chunks; /* of the mapped capture, given back (import_reader.c) */
};

#endif
