/*
 * queue.h — the queues a dispatch can belong to and the loop phases, with
 * their names as stored in the trace database.
 */
#ifndef LOOPTRACE_QUEUE_H
#define LOOPTRACE_QUEUE_H

#include <stddef.h>

enum lt_queue {
	LT_QUEUE_MAIN,
	LT_QUEUE_NEXTTICK,
	LT_QUEUE_MICROTASK,
	LT_QUEUE_TIMER,
	LT_QUEUE_IMMEDIATE,
	LT_QUEUE_IO,
	LT_QUEUE_CLOSE,
	LT_QUEUE_EXIT, /* process 'beforeExit' / 'exit' listeners */
	LT_QUEUE_COUNT
};

/* In loop order: a top-level dispatch whose phase is lower than the current
 * one after a poll starts a new iteration. */
enum lt_phase {
	LT_PHASE_MAIN,
	LT_PHASE_TIMERS,
	LT_PHASE_PENDING,
	LT_PHASE_POLL,
	LT_PHASE_CHECK,
	LT_PHASE_CLOSE,
	LT_PHASE_EXIT,
	LT_PHASE_COUNT
};

const char *lt_queue_name(enum lt_queue q);
const char *lt_phase_name(enum lt_phase p);

/* The static name of the queue called `name` (as stored in a trace), or
 * "unknown": a trace database may come from anywhere, and the result can go
 * into markup (a class name) as is. */
const char *lt_queue_canonical(const char *name);

/* The queue that runs callbacks of an async_hooks resource type (the type
 * string need not be NUL-terminated). */
enum lt_queue lt_queue_of_type(const char *type, size_t len);

/* Whether a resource of this type listens (a server socket or pipe, a UDP
 * socket): a process with one is a service (see lt_loop_mode). */
int lt_type_listens(const char *type, size_t len);

#endif
