/*
 * why.c — one sentence per dispatch on why it ran when it did.
 */
#include "why.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct concept {
	const char *anchor, *title, *text;
};

static const struct concept glossary[] = {
	{"run-to-completion", "Run to completion and the call stack",
	 "JavaScript runs one callback at a time on one call stack. Once a callback (or the main script) starts, "
	 "it runs to its end; whatever it schedules waits until the call stack is empty again."},
	{"nexttick", "process.nextTick queue",
	 "Callbacks given to process.nextTick run as soon as the current callback returns, before any promise "
	 "job and before the event loop moves on. Ticks queued by ticks run in the same round."},
	{"microtask", "Microtask (promise job) queue",
	 "Promise reactions (then/catch/finally callbacks, await continuations) and queueMicrotask callbacks "
	 "are jobs on the microtask queue, first in first out. Node drains it completely, together with the "
	 "nextTick queue, after every callback: no timer, I/O or setImmediate callback runs in between."},
	{"await", "await",
	 "await always suspends its async function, even on a value or an already settled promise: the rest "
	 "of the function is a promise job queued when the awaited promise settles. Code after the call to "
	 "the async function runs first."},
	{"thenable", "Thenables and promise adoption",
	 "Resolving a promise with another promise or a thenable (an object with a then method), returning "
	 "one from a then callback or an async function, or awaiting a thenable, costs extra jobs: one to call "
	 "its then, one more to pass the value on. Jobs queued meanwhile run in between."},
	{"timers-phase", "Timers phase",
	 "At the start of each loop iteration Node runs the timers (setTimeout, setInterval) whose delay has "
	 "passed, earliest due first. A delay is a minimum (0 means 1 ms), never an exact time."},
	{"poll-phase", "Poll phase (I/O)",
	 "The loop waits for I/O (files, sockets, DNS, child processes, the thread pool) and runs the callbacks "
	 "of operations that have completed, in the order the operating system reported them."},
	{"check-phase", "Check phase (setImmediate)",
	 "setImmediate callbacks run right after the poll phase of the current iteration. From an I/O callback, "
	 "an immediate therefore always runs before any timer; from the main script, the order against a 0 ms "
	 "timer depends on whether 1 ms has passed when the loop first looks at its timers."},
	{"close-phase", "Close phase",
	 "'close' events of handles destroyed abruptly (socket.destroy(), server.close()) run at the end of a "
	 "loop iteration, after the check phase."},
	{"exit", "Exit",
	 "When nothing is left that could call back (no timers, no open handles, no pending requests), Node "
	 "emits 'beforeExit' and 'exit' and the process ends."},
	{"nested-call", "Synchronous callbacks",
	 "Some callbacks are not queued at all: an EventEmitter's emit, Array.prototype.forEach or a "
	 "synchronous stream callback call them right away, on top of the current call stack."},
};

size_t lt_why_glossary_count(void) { return sizeof(glossary) / sizeof(glossary[0]); }

void lt_why_glossary_entry(size_t k, const char **anchor, const char **title, const char **text)
{
	if (k >= lt_why_glossary_count())
		k = 0;
	*anchor = glossary[k].anchor;
	*title = glossary[k].title;
	*text = glossary[k].text;
}

/* A sentence built in pieces, always NUL-terminated. */
struct sentence {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void say(struct sentence *s, const char *fmt, ...)
{
	if (s->used + 1 >= s->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->buf + s->used, s->len - s->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->used = s->used + (size_t)n < s->len ? s->used + (size_t)n : s->len - 1;
}

static int is(const char *a, const char *b) { return a && !strcmp(a, b); }

static int site_has(const struct lt_why_step *d, const char *word) { return d->site && strstr(d->site, word); }

/* The index of the step numbered seq, or -1. */
static long index_of(const struct lt_why_step *steps, size_t n, int64_t seq)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (steps[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && steps[lo].seq == seq ? (long)lo : -1;
}

/* Steps of `queue` that were waiting when steps[i] ran (queued before it,
 * run after it). */
static size_t still_waiting(const struct lt_why_step *steps, size_t n, size_t i, const char *queue)
{
	size_t count = 0;
	for (size_t k = i + 1; k < n; k++)
		if (steps[k].enqueued > 0 && steps[k].enqueued < steps[i].seq && steps[k].parent == 0 &&
		    is(steps[k].queue, queue))
			count++;
	return count;
}

/* Steps of the same queue queued no later than steps[i] that ran between
 * its queueing and it: the ones ahead of it. */
static size_t ran_ahead(const struct lt_why_step *steps, size_t i)
{
	size_t count = 0;
	for (size_t k = i; k-- > 0;) {
		if (steps[k].seq <= steps[i].enqueued)
			break;
		if (is(steps[k].queue, steps[i].queue) && steps[k].enqueued > 0 &&
		    steps[k].enqueued <= steps[i].enqueued)
			count++;
	}
	return count;
}

static const char *plural(size_t n, const char *one, const char *many) { return n == 1 ? one : many; }

/* ", ahead of 2 timer callbacks and 1 setImmediate callback that were waiting" */
static void jumped_ahead_of(struct sentence *s, const struct lt_why_step *steps, size_t n, size_t i,
			    const char *const *queues, const char *const *names, size_t nq)
{
	size_t counts[8] = {0}, kinds = 0, said = 0;
	for (size_t q = 0; q < nq && q < 8; q++)
		kinds += (counts[q] = still_waiting(steps, n, i, queues[q])) > 0;
	for (size_t q = 0; q < nq && q < 8; q++) {
		if (!counts[q])
			continue;
		said++;
		say(s, "%s%zu %s%s", said == 1 ? ", ahead of " : said == kinds ? " and " : ", ", counts[q], names[q],
		    counts[q] == 1 ? "" : "s");
	}
	if (said)
		say(s, " already waiting");
}

static void queued_by(struct sentence *s, const struct lt_why_step *steps, size_t n, const struct lt_why_step *d)
{
	long e = d->enqueued > 0 ? index_of(steps, n, d->enqueued) : -1;
	if (e >= 0)
		say(s, "queued during step #%lld (%s)", (long long)d->enqueued, steps[e].queue);
	else if (d->enqueued > 0)
		say(s, "queued during Node's own dispatch #%lld, not shown", (long long)d->enqueued);
	else
		say(s, "queued before the first step shown");
}

static const char *explain_main(struct sentence *s, const struct lt_why_step *steps, size_t n, size_t i)
{
	say(s, "The main script runs first and to completion: nothing it schedules can run until it returns and "
	       "the call stack is empty");
	size_t later = 0;
	for (size_t k = i + 1; k < n; k++)
		if (steps[k].enqueued == steps[i].seq)
			later++;
	if (later)
		say(s, " (%zu later %s queued by it)", later, plural(later, "step was", "steps were"));
	say(s, ".");
	return "run-to-completion";
}

static const char *explain_tick(struct sentence *s, const struct lt_why_step *steps, size_t n, size_t i)
{
	say(s, "process.nextTick callbacks run as soon as the current callback returns, before any promise job: "
	       "this one was ");
	queued_by(s, steps, n, &steps[i]);
	static const char *const q[] = {"microtask", "timer", "immediate", "io"};
	static const char *const names[] = {"promise job", "timer callback", "setImmediate callback", "I/O callback"};
	jumped_ahead_of(s, steps, n, i, q, names, 4);
	say(s, ".");
	return "nexttick";
}

/* b is the second job of an adoption begun by a: both scheduled at the
 * same place, b queued by a, b's promise made before a ran (a loop's next
 * await makes its promise in the job that queues it). */
static int adoption_pair(const struct lt_why_step *a, const struct lt_why_step *b)
{
	return a->site_line > 0 && b->enqueued == a->seq && b->site_line == a->site_line &&
	       b->site_column == a->site_column && is(a->queue, "microtask") && is(b->queue, "microtask") &&
	       b->created > 0 && b->created < a->seq;
}

/* A later promise job is the second of an adoption begun by this one. */
static int starts_adoption(const struct lt_why_step *steps, size_t n, size_t i)
{
	for (size_t k = i + 1; k < n; k++)
		if (adoption_pair(&steps[i], &steps[k]))
			return 1;
	return 0;
}

static const char *explain_microtask(struct sentence *s, const struct lt_why_step *steps, size_t n, size_t i)
{
	const struct lt_why_step *d = &steps[i];
	long e = d->enqueued > 0 ? index_of(steps, n, d->enqueued) : -1;
	const char *concept = "microtask";
	/* the same line scheduled the job that queued this one: an extra turn */
	if (e >= 0 && adoption_pair(&steps[e], d)) {
		say(s, "A second promise job for line %lld (step #%lld was the first): adopting a thenable or a "
		       "promise (awaiting one, returning one from an async function or a then callback) takes extra "
		       "jobs, so jobs queued in between run first",
		    (long long)d->site_line, (long long)d->enqueued);
		concept = "thenable";
	} else if (starts_adoption(steps, n, i)) {
		say(s, "The first of two promise jobs for line %lld: this one calls the then() of a thenable (or of "
		       "a promise being adopted); the value comes back in a second job. It was ",
		    (long long)d->site_line);
		queued_by(s, steps, n, d);
		concept = "thenable";
	} else if (site_has(d, "await")) {
		say(s, "An await resumes its async function in a promise job, queued only once the awaited value "
		       "has settled (even an already settled one costs a job): this one was ");
		queued_by(s, steps, n, d);
		concept = "await";
	} else if (site_has(d, "queueMicrotask")) {
		say(s, "queueMicrotask puts its callback straight on the microtask queue: it was ");
		queued_by(s, steps, n, d);
	} else {
		say(s, "%s runs as a promise job once its promise settles: it was ",
		    site_has(d, ".then") || site_has(d, ".catch") || site_has(d, ".finally")
			    ? "A then/catch/finally callback"
			    : "A promise reaction");
		queued_by(s, steps, n, d);
	}
	size_t ahead = ran_ahead(steps, i);
	if (ahead)
		say(s, "; %zu promise %s queued earlier ran first (first in, first out)", ahead,
		    plural(ahead, "job", "jobs"));
	static const char *const q[] = {"timer", "immediate", "io"};
	static const char *const names[] = {"timer callback", "setImmediate callback", "I/O callback"};
	if (still_waiting(steps, n, i, "timer") + still_waiting(steps, n, i, "immediate") +
	    still_waiting(steps, n, i, "io")) {
		say(s, "; the microtask queue is drained before the loop moves on");
		jumped_ahead_of(s, steps, n, i, q, names, 3);
	}
	say(s, ".");
	return concept;
}

static const char *explain_timer(struct sentence *s, const struct lt_why_step *steps, size_t n, size_t i)
{
	const struct lt_why_step *d = &steps[i];
	say(s, "Timers phase of loop iteration %lld: ", (long long)d->iteration);
	if (d->timer_delay_ms >= 0)
		say(s, "its %lld ms delay had passed", (long long)d->timer_delay_ms);
	else
		say(s, "its delay had passed");
	say(s, " (it was ");
	queued_by(s, steps, n, d);
	say(s, "), and every nextTick and promise job queued before it had run");
	if (d->timer_delay_ms == 0 || d->timer_delay_ms == 1)
		say(s, "; a 0 ms timer still waits for the loop to reach its timers phase");
	size_t ahead = ran_ahead(steps, i);
	if (ahead)
		say(s, "; %zu %s due earlier ran first", ahead, plural(ahead, "timer", "timers"));
	say(s, ".");
	return "timers-phase";
}

static const char *explain_immediate(struct sentence *s, const struct lt_why_step *steps, size_t n, size_t i)
{
	const struct lt_why_step *d = &steps[i];
	long e = d->enqueued > 0 ? index_of(steps, n, d->enqueued) : -1;
	say(s, "Check phase of loop iteration %lld: setImmediate callbacks run right after the poll phase", (long long)d->iteration);
	if (e >= 0 && is(steps[e].queue, "io"))
		say(s, "; it was queued by an I/O callback (step #%lld), so it runs before any timer, which must wait "
		       "for the next iteration's timers phase",
		    (long long)d->enqueued);
	else if (e >= 0 && is(steps[e].queue, "main"))
		say(s, "; it was queued by the main script, where its order against a 0 ms timer depends on whether "
		       "1 ms had passed when the loop first looked at its timers");
	else {
		say(s, " (it was ");
		queued_by(s, steps, n, d);
		say(s, ")");
	}
	static const char *const q[] = {"timer"};
	static const char *const names[] = {"timer callback"};
	jumped_ahead_of(s, steps, n, i, q, names, 1);
	say(s, ".");
	return "check-phase";
}

static const char *explain_io(struct sentence *s, const struct lt_why_step *steps, size_t n, size_t i)
{
	const struct lt_why_step *d = &steps[i];
	say(s, "Poll phase of loop iteration %lld: the %s operation had completed, so the loop ran its callback "
	       "(it was ",
	    (long long)d->iteration, d->type && *d->type ? d->type : "I/O");
	queued_by(s, steps, n, d);
	say(s, "); operations finish in their own time, not in the order they were started.");
	return "poll-phase";
}

const char *lt_why_explain(const struct lt_why_step *steps, size_t n, size_t i, char *buf, size_t len)
{
	struct sentence s = {.buf = buf, .len = len};
	if (len)
		buf[0] = '\0';
	if (i >= n || !len)
		return "run-to-completion";
	const struct lt_why_step *d = &steps[i];
	if (d->parent > 0 && !is(d->queue, "microtask") && !is(d->queue, "nextTick")) {
		say(&s, "Called synchronously while step #%lld was still running (an emit or a synchronous "
			"callback), not from a queue.",
		    (long long)d->parent);
		return "nested-call";
	}
	if (is(d->queue, "main"))
		return explain_main(&s, steps, n, i);
	if (is(d->queue, "nextTick"))
		return explain_tick(&s, steps, n, i);
	if (is(d->queue, "microtask"))
		return explain_microtask(&s, steps, n, i);
	if (is(d->queue, "timer"))
		return explain_timer(&s, steps, n, i);
	if (is(d->queue, "immediate"))
		return explain_immediate(&s, steps, n, i);
	if (is(d->queue, "io"))
		return explain_io(&s, steps, n, i);
	if (is(d->queue, "close")) {
		say(&s, "Close phase, last in loop iteration %lld: 'close' callbacks run after the check phase.",
		    (long long)d->iteration);
		return "close-phase";
	}
	if (is(d->queue, "exit")) {
		say(&s, "Nothing was left that could call back (no timers, handles or requests), so Node emitted "
			"'%s'.",
		    d->type && *d->type ? d->type : "exit");
		return "exit";
	}
	say(&s, "Run by the event loop in loop iteration %lld.", (long long)d->iteration);
	return "run-to-completion";
}
