/*
 * why.h — "why now": one sentence per dispatch that says why the event loop
 * ran it at that moment and not before or after the others, from the replay
 * model alone (its queue and phase, what queued it, what was still waiting
 * when it ran), for teaching (the lesson page, replay --step).
 *
 * Works on an array of steps the caller has read (replay.h) in execution
 * order; nothing is read from a trace here.  The rules are Node's:
 * run-to-completion, nextTick before promise jobs, the microtask queue
 * drained before the loop moves on, timers / poll / check / close phases,
 * an await costing a job even on a settled promise, a thenable or a
 * returned promise costing extra jobs.
 *
 * Ownership: the sentence is written into the caller's buffer; the concept
 * is a static string (a glossary anchor, "" never).
 */
#ifndef LOOPTRACE_WHY_H
#define LOOPTRACE_WHY_H

#include <stddef.h>
#include <stdint.h>

/* One dispatch as the explanation needs it. */
struct lt_why_step {
	int64_t seq;
	int64_t enqueued;       /* the dispatch it was queued during, 0: none known */
	int64_t parent;         /* the dispatch it ran nested in, 0: top level */
	int64_t iteration;      /* loop iteration */
	const char *queue;      /* canonical queue name (queue.h) */
	const char *type;       /* resource type ("Timeout", "FSREQCALLBACK", "PROMISE"...) */
	int64_t timer_delay_ms; /* a timer's delay, -1 when not a timer or unknown */
	const char *site;       /* the source line that scheduled it (await, then,
	                           setTimeout...), NULL when unknown */
	int64_t site_line;      /* its line number, 0 when unknown */
	int64_t site_column;    /* its column, 0 when unknown */
	int64_t created;        /* the dispatch its promise or resource was
	                           created in, 0 when unknown */
};

/* Explain steps[i] (0 <= i < n) into buf (always NUL-terminated, cut to
 * len).  Returns the concept's glossary anchor (lt_why_glossary_entry). */
const char *lt_why_explain(const struct lt_why_step *steps, size_t n, size_t i, char *buf, size_t len);

/* The glossary: a title and a paragraph per concept, in a fixed order.
 * Returns the number of entries; *anchor, *title and *text are static. */
size_t lt_why_glossary_count(void);
void lt_why_glossary_entry(size_t k, const char **anchor, const char **title, const char **text);

#endif
