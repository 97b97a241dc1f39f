/*
 * state.h — the preload library's process state, in one owner (state.c):
 * what capture.c (the logs) and preload.c (the interposers) both need to
 * know about the process and its threads.  The logs themselves belong to
 * capture.c (capture.h); nothing else here points into them.
 *
 * Who may touch what:
 *   - process-wide: the tracing variables, the capture settings and the
 *     process's own pid.  Written only by lt_state_load (the library's
 *     constructor, preload.c preload_init, before the program's main and
 *     before any thread of ours) and lt_state_after_fork_child (the fork
 *     child's atfork handler, preload.c, while the child has one thread);
 *     read by any thread after, through the const getters.
 *   - per thread: the thread's parent tid.  Set by the new thread itself
 *     (preload.c's pthread_create trampoline), read by the same thread when
 *     capture.c creates its log; each thread sees only its own.  Whether
 *     the thread runs a loop of its own told through the probe API (set by
 *     probe_api.c on the thread's first probe, read by preload.c's poll,
 *     ppoll, select and pselect interposers on the same thread).
 *
 * Errors: none; a variable that is unset or too long reads as "".
 * Ownership: everything is static storage of state.c, alive until exit.
 */
#ifndef LOOPTRACE_PRELOAD_STATE_H
#define LOOPTRACE_PRELOAD_STATE_H

#include <stdint.h>
#include <sys/types.h>

/* The tracing variables as they were at load time: exec* puts them back
 * into an environment that lost them. */
#define LT_TRACE_VARS 3
struct lt_trace_env {
	char dir[4096];          /* LOOPTRACE_DIR */
	char preload[4096];      /* LD_PRELOAD */
	char node_options[4096]; /* NODE_OPTIONS */
};

/* How a writer behaves when the recorder falls behind (see wire.h, Loss). */
#define LT_WAIT_LOSSLESS UINT64_MAX
struct lt_preload_settings {
	/* How long a writer may wait for the recorder to free a slot before it
	 * drops records (LOOPTRACE_WAIT_MS, default 40 ms; LOOPTRACE_LOSSLESS=1:
	 * LT_WAIT_LOSSLESS, as long as the recorder process lives). */
	uint64_t wait_ns;
	pid_t recorder_pid;   /* LOOPTRACE_RECORDER_PID, 0 unknown */
	char spill_dir[4096]; /* LOOPTRACE_RING_SPILL: rings on disk ("" none) */
};

/* Constructor only: copy the variables before the program can change its
 * environment, and note the process's pid. */
void lt_state_load(void);

/* Fork child only (atfork handler): the child is a process of its own and
 * its one thread has no parent thread. */
void lt_state_after_fork_child(void);

const struct lt_trace_env *lt_state_trace_env(void);
const struct lt_preload_settings *lt_state_settings(void);

/* Whether this is a process of its own (not a vfork child borrowing its
 * parent's memory), as known from load time and fork. */
int lt_state_in_own_process(void);

/* The calling thread's parent thread (0: none known). */
void lt_state_set_parent_tid(pid_t tid);
pid_t lt_state_parent_tid(void);

/* The calling thread told a task or handle through the probe API
 * (probes/looptrace.h): its poll/ppoll/select/pselect waits are its loop's
 * waits.  Other threads' such calls are not recorded (Node and libuv wait
 * in epoll, recorded on every thread). */
void lt_state_set_probe_loop(void);
int lt_state_probe_loop(void);

#endif
