/*
 * uv_trace.h — the records the libuv interposers (uv_hooks.c) write: one
 * async resource per libuv handle or request, its dispatches, its close,
 * its ref state, all in the Node agent's wire records (probes/wire.h) so the
 * importer and every detector treat them as Node's.
 *
 * Threads: a handle belongs to its loop's thread; the handle table is shared
 * (uv_queue_work's callbacks run on pool threads) and locked inside.
 * Records go to the calling thread's log (capture.h); where capture is off
 * every function here is a no-op returning 0.
 * Ownership: the table's entries are static storage; an entry lives from
 * the handle's init (or the request's submission) to its close callback (or
 * the request's completion).
 */
#ifndef LOOPTRACE_PRELOAD_UV_TRACE_H
#define LOOPTRACE_PRELOAD_UV_TRACE_H

#include <stdint.h>

/* What a table entry remembers of one handle or request. */
struct lt_uv_entry {
	const void *key;  /* the uv_handle_t * or uv_req_t * */
	uint32_t id;      /* its resource id in this thread's log */
	void *cb;         /* the program's callback that the trampoline calls */
	void *close_cb;   /* the program's uv_close callback */
	const char *type; /* static: how lt_uv_open made it, to make it again on */
	const void *caller, *callback; /* another thread (lt_uv_id_here) */
	int64_t delay_ms;
	unsigned flags;
	const void *thread; /* the thread whose log holds `id` */
	unsigned image;     /* ... in this process (lt_uv_after_fork_child) */
	uint32_t outer;   /* probe API: the dispatch its LOOPTRACE_BEGIN interrupted */
	int one_shot;     /* probe API: a task, finished by its LOOPTRACE_END */
	/* threadpool requests (lt_uv_pool_submitted): CLOCK_MONOTONIC ns of the
	 * submission, and of the work's start and end on a pool thread (0 where
	 * libuv runs the work itself and it is not seen) */
	unsigned pool;    /* enum lt_pool_work, 0: not a threadpool request */
	uint64_t submit_ns;
	uint64_t start_ns, end_ns; /* written by the pool thread, read after the done callback */
	void *work_cb;    /* uv_queue_work: the program's work callback */
};

/* What the done trampoline of a request needs of its entry, copied before
 * the entry is forgotten. */
struct lt_uv_done {
	void *cb;
	uint32_t id;
	unsigned pool;
	uint64_t submit_ns, start_ns, end_ns;
};

/* lt_uv_resource flags: the LT_R_INIT aux bits */
#define LT_UV_UNREF 1
#define LT_UV_REPEAT 2

/* Whether uv_* calls are traced in this process: capture on, and the
 * process is not Node (whose agent describes its handles itself). */
int lt_uv_enabled(void);

/* Whether this process is a traced libuv or probe-API program (not Node):
 * libuv.so.1 was loaded when first asked, or a resource was made here
 * through the uv_* interposers or looptrace_probe(). */
int lt_uv_program(void);

/* libuv's own `name`: the next definition after ours, or libuv.so.1's when
 * libuv was loaded in a local scope (dlopen'd with RTLD_LOCAL by a Python or
 * Lua extension) that the global lookup does not see. */
void *lt_uv_real(const char *name);

/* Whether return address `caller` lies in libuv itself (the module that
 * defines `real_fn`): libuv's own handles (the threadpool's async, its
 * signal pipe) are not the program's. */
int lt_uv_internal(const void *caller, const void *real_fn);

/* The entry of `key`, created when `create` (NULL when absent, or the table
 * is full).  The pointer stays valid until lt_uv_forget(key). */
struct lt_uv_entry *lt_uv_lookup(const void *key, int create);
void lt_uv_forget(const void *key);

/* LT_R_INIT for a new resource of `type` created at return address `caller`
 * (symbolised at import), triggered by the callback running now, calling
 * `callback` when it fires; delay_ms -1 for other than timers; flags
 * LT_UV_*.  Returns the resource id (0: not written). */
uint32_t lt_uv_resource(const char *type, const void *caller, const void *callback, int64_t delay_ms,
			unsigned flags);

/* lt_uv_resource for the handle or request of entry `e` (`type` a string
 * literal), remembered so that lt_uv_id_here can repeat it. */
void lt_uv_open(struct lt_uv_entry *e, const char *type, const void *caller, const void *callback,
		int64_t delay_ms, unsigned flags);

/* The resource id of `e` in the calling thread's log: a handle opened on
 * one thread and run by a loop on another is made a resource there too (ids
 * are per log), at its first dispatch there, and its resource on the first
 * thread is destroyed there at that time (written by that thread at its
 * next record or at exit: a log has one writer). */
uint32_t lt_uv_id_here(struct lt_uv_entry *e);

/* Dispatch begin/end of resource `id` (closing: the close callback).
 * lt_uv_begin returns the id of the dispatch it interrupts, which
 * lt_uv_end restores as the current one. */
uint32_t lt_uv_begin(uint32_t id, int closing);
void lt_uv_end(uint32_t id, uint32_t outer);

/* The handle was closed (uv_close) / its ref state changed. */
void lt_uv_destroyed(uint32_t id);
void lt_uv_ref(uint32_t id, int ref);

/* The request of `e` was handed to the threadpool (kind enum lt_pool_work). */
void lt_uv_pool_submitted(struct lt_uv_entry *e, unsigned kind);

/* The entry of request `key` copied into *d and forgotten: its done
 * callback runs now.  d->cb NULL (and d->id 0) when it is not traced. */
void lt_uv_take_done(const void *key, struct lt_uv_done *d);

/* LT_WORK for a threadpool request whose done callback begins now. */
void lt_uv_pool_done(const struct lt_uv_done *d);

/* On the thread that created resources later made again on another thread
 * (lt_uv_id_here): their LT_R_DESTROY, at the time of the move.  Called
 * at every record this module writes and at exit (lt_uv_at_exit). */
void lt_uv_at_exit(void);

/* Fork child only (atfork handler, preload.c): the calling thread starts
 * afresh in the child's own log, and every handle it inherited is made a
 * resource again there at its next use. */
void lt_uv_after_fork_child(void);

/* uv_run(DEFAULT) returned 0: the loop ran dry, as Node's 'beforeExit'. */
void lt_uv_ran_dry(void);

#endif
