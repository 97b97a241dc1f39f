/*
 * queue.c — queue and phase names, and the resource type -> queue mapping.
 */
#include "queue.h"

#include <string.h>

static const char *const queue_names[LT_QUEUE_COUNT] = {
	"main", "nextTick", "microtask", "timer", "immediate", "io", "close", "exit",
};

static const char *const phase_names[LT_PHASE_COUNT] = {
	"main", "timers", "pending", "poll", "check", "close", "exit",
};

const char *lt_queue_name(enum lt_queue q)
{
	return (unsigned)q < LT_QUEUE_COUNT ? queue_names[q] : "unknown";
}

const char *lt_queue_canonical(const char *name)
{
	for (int q = 0; name && q < LT_QUEUE_COUNT; q++)
		if (!strcmp(name, queue_names[q]))
			return queue_names[q];
	return "unknown";
}

const char *lt_phase_name(enum lt_phase p)
{
	return (unsigned)p < LT_PHASE_COUNT ? phase_names[p] : "unknown";
}

static int is(const char *type, size_t len, const char *name)
{
	return len == strlen(name) && memcmp(type, name, len) == 0;
}

int lt_type_listens(const char *type, size_t len)
{
	return is(type, len, "TCPSERVERWRAP") || is(type, len, "PIPESERVERWRAP") || is(type, len, "UDPWRAP");
}

enum lt_queue lt_queue_of_type(const char *type, size_t len)
{
	if (is(type, len, "Timeout"))
		return LT_QUEUE_TIMER;
	if (is(type, len, "Immediate"))
		return LT_QUEUE_IMMEDIATE;
	if (is(type, len, "TickObject"))
		return LT_QUEUE_NEXTTICK;
	if (is(type, len, "Microtask") || is(type, len, "PROMISE"))
		return LT_QUEUE_MICROTASK;
	/* Everything else is a libuv request or handle completing in the poll
	 * phase (or its close callback, which the agent flags). */
	return LT_QUEUE_IO;
}
