/*
 * looptrace.h — the probe API for C programs with an event loop of their own
 * (epoll, io_uring, libevent, ...): a few macros that say what the loop's
 * tasks and handles are, so that `looptrace record` and `looptrace attach`
 * see them as they see Node's.
 *
 *   LOOPTRACE_TASK_ENQUEUE(id, "type")  a task was scheduled here (one-shot:
 *                                       its LOOPTRACE_END finishes it)
 *   LOOPTRACE_HANDLE_OPEN(id, "type")   a handle (fd, timer, connection) was
 *                                       opened here; it is leaked if still
 *                                       open when the process ends
 *   LOOPTRACE_HANDLE_CLOSE(id)          ... and closed
 *   LOOPTRACE_BEGIN(id) / LOOPTRACE_END(id)
 *                                       the callback of task or handle `id`
 *                                       runs between these two
 *   LOOPTRACE_MARK("name")              a named point in time
 *
 * `id` is any nonzero 64-bit value unique among live tasks and handles (a
 * pointer will do); "type" is a short string literal.  Where the program
 * enqueued or opened something is the line of the macro (built with -g).
 *
 * Each macro is a USDT probe (sys/sdt.h, provider "looptrace", probes
 * task_enqueue, handle_open, handle_close, begin, end, mark; arg1 the id,
 * arg2 the type or name), a nop until a tracer attaches, plus a call to
 * looptrace_probe() when the program runs under `looptrace record` (the
 * preload library defines it; untraced, the weak reference is NULL and the
 * cost is one predicted branch).  Needs systemtap-sdt-dev to build.
 */
#ifndef LOOPTRACE_PROBES_H
#define LOOPTRACE_PROBES_H

#include <stdint.h>
#include <sys/sdt.h>

#ifdef __cplusplus
extern "C" {
#endif

enum looptrace_probe_kind {
	LOOPTRACE_PROBE_TASK_ENQUEUE = 1,
	LOOPTRACE_PROBE_HANDLE_OPEN = 2,
	LOOPTRACE_PROBE_HANDLE_CLOSE = 3,
	LOOPTRACE_PROBE_BEGIN = 4,
	LOOPTRACE_PROBE_END = 5,
	LOOPTRACE_PROBE_MARK = 6,
};

/* Defined by liblooptrace-preload.so; NULL when the program is not recorded. */
extern void looptrace_probe(int kind, uint64_t id, const char *text) __attribute__((weak));

#define LOOPTRACE_PROBE_(kind, probe, id, text)                                         \
	do {                                                                            \
		uint64_t looptrace_id_ = (uint64_t)(uintptr_t)(id);                     \
		const char *looptrace_text_ = (text);                                   \
		STAP_PROBE2(looptrace, probe, looptrace_id_, looptrace_text_);          \
		if (looptrace_probe)                                                    \
			looptrace_probe((kind), looptrace_id_, looptrace_text_);        \
	} while (0)

#define LOOPTRACE_TASK_ENQUEUE(id, type) LOOPTRACE_PROBE_(LOOPTRACE_PROBE_TASK_ENQUEUE, task_enqueue, id, type)
#define LOOPTRACE_HANDLE_OPEN(id, type) LOOPTRACE_PROBE_(LOOPTRACE_PROBE_HANDLE_OPEN, handle_open, id, type)
#define LOOPTRACE_HANDLE_CLOSE(id) LOOPTRACE_PROBE_(LOOPTRACE_PROBE_HANDLE_CLOSE, handle_close, id, (const char *)0)
#define LOOPTRACE_BEGIN(id) LOOPTRACE_PROBE_(LOOPTRACE_PROBE_BEGIN, begin, id, (const char *)0)
#define LOOPTRACE_END(id) LOOPTRACE_PROBE_(LOOPTRACE_PROBE_END, end, id, (const char *)0)
#define LOOPTRACE_MARK(name) LOOPTRACE_PROBE_(LOOPTRACE_PROBE_MARK, mark, 1, name)

#ifdef __cplusplus
}
#endif

#endif
