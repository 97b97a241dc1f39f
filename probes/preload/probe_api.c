/*
 * probe_api.c — looptrace_probe(), which the macros of probes/looptrace.h
 * call in a program recorded by `looptrace record`: the program's own tasks
 * and handles written as resources and dispatches, as the uv_* interposers
 * write libuv's (uv_trace.h).  Types become "usdt:<type>" (the leak
 * detector's generic handle kind); a mark is an unref'd
 * resource ("usdt:mark <name>"), closed at once.  Calls with an id never
 * opened or enqueued (or already finished) are ignored.  A thread's first
 * probe makes its poll/ppoll/select/pselect waits loop iterations
 * (preload.c), as epoll's are on every thread.
 */
#include <stdio.h>
#include <string.h>

#include "../looptrace.h"
#include "state.h"
#include "uv_trace.h"

#define LT_EXPORT __attribute__((visibility("default")))
#define TYPE_BYTES 96

static void open_resource(uint64_t id, const char *text, const void *caller, int one_shot)
{
	char type[TYPE_BYTES];
	snprintf(type, sizeof(type), "usdt:%.80s", text && text[0] ? text : one_shot ? "task" : "handle");
	struct lt_uv_entry *e = lt_uv_lookup((const void *)(uintptr_t)id, 1);
	if (!e)
		return;
	if (e->id && e->one_shot)
		lt_uv_destroyed(e->id); /* a task enqueued again before it ran: the old one is gone */
	e->id = lt_uv_resource(type, caller, NULL, -1, 0);
	e->one_shot = one_shot;
}

static void mark(const char *name, const void *caller)
{
	char type[TYPE_BYTES];
	snprintf(type, sizeof(type), "usdt:mark %.80s", name ? name : "");
	lt_uv_destroyed(lt_uv_resource(type, caller, NULL, -1, LT_UV_UNREF));
}

LT_EXPORT void looptrace_probe(int kind, uint64_t id, const char *text)
{
	const void *caller = __builtin_return_address(0);
	if (!id || !lt_uv_enabled())
		return;
	lt_state_set_probe_loop();
	struct lt_uv_entry *e;
	switch (kind) {
	case LOOPTRACE_PROBE_TASK_ENQUEUE:
		open_resource(id, text, caller, 1);
		break;
	case LOOPTRACE_PROBE_HANDLE_OPEN:
		open_resource(id, text, caller, 0);
		break;
	case LOOPTRACE_PROBE_HANDLE_CLOSE:
		e = lt_uv_lookup((const void *)(uintptr_t)id, 0);
		if (e) {
			lt_uv_destroyed(e->id);
			lt_uv_forget(e->key);
		}
		break;
	case LOOPTRACE_PROBE_BEGIN:
		e = lt_uv_lookup((const void *)(uintptr_t)id, 0);
		if (e)
			e->outer = lt_uv_begin(e->id, 0);
		break;
	case LOOPTRACE_PROBE_END:
		e = lt_uv_lookup((const void *)(uintptr_t)id, 0);
		if (!e)
			break;
		lt_uv_end(e->id, e->outer);
		if (e->one_shot) {
			lt_uv_destroyed(e->id);
			lt_uv_forget(e->key);
		}
		break;
	case LOOPTRACE_PROBE_MARK:
		mark(text, caller);
		break;
	default:
		break;
	}
}
