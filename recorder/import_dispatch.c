/*
 * import_dispatch.c — dispatches, loop phases and iterations of a stream.
 *
 * A dispatch nested in another keeps the queue of its outermost ancestor,
 * because that is the queue the event loop served; the phase of a top-level
 * dispatch follows from its queue and its place around the poll, and a new
 * iteration starts when the phase order goes backwards.
 */
#include "import_dispatch.h"

#include <errno.h>

#include <string.h>

#include "../probes/wire.h"
#include "import_strings_stacks.h"

static struct lt_open_dispatch *top(struct lt_stream *s)
{
	return s->depth ? &s->stack[s->depth - 1] : NULL;
}

uint32_t lt_current_seq(const struct lt_stream *s)
{
	return s->depth ? s->stack[s->depth - 1].seq : s->synthetic_seq;
}

static void write_dispatch(struct lt_importer *im, struct lt_stream *s,
			   const struct lt_open_dispatch *d, int depth, uint64_t end_ns,
			   uint64_t resource_id, uint64_t promise_id)
{
	struct lt_import_cell *c = lt_import_row(&im->db, BATCH_DISPATCH, d->seq);
	lt_cell_int(&c[0], d->seq);
	lt_cell_int(&c[1], s->pid);
	lt_cell_int(&c[2], s->tid);
	lt_cell_text(&c[3], lt_queue_name(d->queue), -1);
	lt_cell_text(&c[4], d->type, (int)d->type_len);
	lt_cell_opt(&c[5], resource_id != 0, (int64_t)resource_id);
	lt_cell_opt(&c[6], promise_id != 0, (int64_t)promise_id);
	lt_cell_opt(&c[7], d->parent_seq != NO_SEQ, d->parent_seq);
	lt_cell_int(&c[8], depth);
	lt_cell_opt(&c[9], d->trigger_seq != NO_SEQ, d->trigger_seq);
	lt_cell_int(&c[10], d->iteration);
	lt_cell_text(&c[11], lt_phase_name(d->phase), -1);
	lt_cell_int(&c[12], (int64_t)d->begin_ns);
	lt_cell_int(&c[13], (int64_t)end_ns);
	im->stats->dispatches++;
}

void lt_close_top(struct lt_importer *im, struct lt_stream *s, uint64_t ts)
{
	struct lt_open_dispatch *d = top(s);
	uint64_t rid = 0, pid = 0;
	if (d->kind == D_RESOURCE)
		rid = s->resource_base + d->id;
	else if (d->kind == D_PROMISE)
		pid = d->id ? s->promise_base + d->id : 0;
	if (d->kind == D_MAIN)
		s->main_open = 0;
	write_dispatch(im, s, d, s->depth, ts, rid, pid);
	struct lt_closed_dispatch *c = &s->recent[s->n_recent++ % LT_IMPORT_RECENT_CLOSED];
	c->seq = d->seq;
	c->depth = s->depth;
	c->begin_ns = d->begin_ns;
	c->end_ns = ts;
	s->depth--;
}

static void close_synthetic(struct lt_stream *s)
{
	s->synthetic_seq = NO_SEQ;
}

static void flush_iteration(struct lt_importer *im, struct lt_stream *s, uint64_t end)
{
	if (s->iteration == 0)
		return;
	struct lt_import_cell *c = lt_import_op(&im->db, ST_ITERATION);
	lt_cell_int(&c[0], s->pid);
	lt_cell_int(&c[1], s->tid);
	lt_cell_int(&c[2], s->iteration);
	lt_cell_int(&c[3], (int64_t)s->it_begin);
	lt_cell_opt(&c[4], s->polled, (int64_t)s->it_poll_begin);
	lt_cell_opt(&c[5], s->polled && s->it_poll_end, (int64_t)s->it_poll_end);
	lt_cell_int(&c[6], (int64_t)end);
	lt_cell_opt(&c[7], s->polled, s->it_timeout);
	lt_cell_opt(&c[8], s->polled && s->it_poll_end, s->it_events);
}

static void start_iteration(struct lt_importer *im, struct lt_stream *s, uint64_t ts)
{
	flush_iteration(im, s, ts);
	s->iteration++;
	s->it_begin = ts;
	s->polled = 0;
	s->it_poll_begin = s->it_poll_end = 0;
	s->it_timeout = s->it_events = 0;
	s->phase = LT_PHASE_TIMERS;
}

/* Advance the loop phase for a top-level dispatch of queue q, starting a new
 * iteration when the phase order goes backwards after a poll. */
static void enter_phase(struct lt_importer *im, struct lt_stream *s, enum lt_queue q, uint64_t ts)
{
	enum lt_phase p;
	switch (q) {
	case LT_QUEUE_TIMER: p = LT_PHASE_TIMERS; break;
	case LT_QUEUE_IO: p = s->polled ? LT_PHASE_POLL : LT_PHASE_PENDING; break;
	case LT_QUEUE_IMMEDIATE: p = LT_PHASE_CHECK; break;
	case LT_QUEUE_CLOSE: p = LT_PHASE_CLOSE; break;
	case LT_QUEUE_EXIT: p = LT_PHASE_EXIT; break;
	default: return; /* nextTick and microtasks run in the phase they follow */
	}
	if (s->phase == LT_PHASE_MAIN || s->phase == LT_PHASE_EXIT) {
		if (p != LT_PHASE_EXIT)
			start_iteration(im, s, ts);
	} else if (p < s->phase && p != LT_PHASE_EXIT) {
		start_iteration(im, s, ts);
		if (q == LT_QUEUE_IO)
			p = LT_PHASE_PENDING;
	}
	s->phase = p;
}

void lt_open_dispatch(struct lt_importer *im, struct lt_stream *s, enum lt_dispatch_kind kind,
		      uint32_t id, enum lt_queue queue, const char *type, uint32_t type_len,
		      uint32_t trigger_seq, uint64_t ts)
{
	/* Without LT_MAIN_END, main ends where the loop first dispatches. */
	if (s->main_open && !s->has_main_end && s->depth == 1 && kind != D_MAIN)
		lt_close_top(im, s, ts);
	if (s->depth == 0)
		close_synthetic(s);
	struct lt_open_dispatch *parent = top(s);
	if (parent)
		queue = parent->queue; /* nested: the loop served the outer one */
	else
		enter_phase(im, s, queue, ts);
	if (s->depth == LT_IMPORT_MAX_DEPTH) /* absurd nesting: fold into the deepest */
		return;
	struct lt_open_dispatch *d = &s->stack[s->depth++];
	d->seq = ++im->next_seq;
	d->parent_seq = parent ? parent->seq : NO_SEQ;
	d->trigger_seq = trigger_seq;
	d->iteration = s->iteration;
	d->phase = parent ? parent->phase : (kind == D_MAIN ? LT_PHASE_MAIN : s->phase);
	d->id = id;
	d->kind = kind;
	d->queue = queue;
	d->type = type;
	d->type_len = type_len;
	d->begin_ns = ts;
}

int lt_close_dispatch(struct lt_importer *im, struct lt_stream *s, enum lt_dispatch_kind kind,
		      uint32_t id, uint64_t ts)
{
	int at = -1;
	for (int i = s->depth - 1; i >= 0; i--)
		if (s->stack[i].kind == kind && (kind == D_MAIN || kind == D_EXIT || s->stack[i].id == id)) {
			at = i;
			break;
		}
	if (at < 0)
		return 0;
	while (s->depth > at)
		lt_close_top(im, s, ts);
	return 1;
}

void lt_close_all(struct lt_importer *im, struct lt_stream *s, uint64_t end)
{
	while (s->depth)
		lt_close_top(im, s, end);
	flush_iteration(im, s, end);
}

/* Output (or a rejection) outside any dispatch in a JS thread after main:
 * JS ran that no hook announced (a thenable's then() job, for one).  Give it
 * a synthetic microtask dispatch so that it is still placed in the order. */
uint32_t lt_ensure_dispatch(struct lt_importer *im, struct lt_stream *s, uint64_t ts)
{
	if (s->depth || s->synthetic_seq)
		return lt_current_seq(s);
	static const char unhooked[] = "unhooked";
	struct lt_open_dispatch d = {0};
	d.seq = ++im->next_seq;
	d.kind = D_SYNTHETIC;
	d.queue = s->is_js ? (s->phase == LT_PHASE_EXIT ? LT_QUEUE_EXIT : LT_QUEUE_MICROTASK)
			   : LT_QUEUE_MAIN;
	d.type = s->is_js ? unhooked : "thread";
	d.type_len = (uint32_t)strlen(d.type);
	d.iteration = s->iteration;
	d.phase = s->is_js ? s->phase : LT_PHASE_MAIN;
	d.begin_ns = ts;
	write_dispatch(im, s, &d, 1, ts, 0, 0);
	s->synthetic_seq = d.seq;
	return d.seq;
}

/* The innermost dispatch of this thread that was running at ts: a sample
 * is written at the agent's next resource event, after the dispatch it was
 * taken in may have closed. */
static uint32_t dispatch_at(const struct lt_stream *s, uint64_t ts)
{
	uint32_t seq = NO_SEQ;
	int depth = 0;
	for (int i = s->depth - 1; i >= 0; i--)
		if (s->stack[i].begin_ns <= ts) {
			seq = s->stack[i].seq;
			depth = i + 1;
			break;
		}
	uint32_t n = s->n_recent < LT_IMPORT_RECENT_CLOSED ? s->n_recent : LT_IMPORT_RECENT_CLOSED;
	for (uint32_t k = 0; k < n; k++) {
		const struct lt_closed_dispatch *c =
			&s->recent[(s->n_recent - 1 - k) % LT_IMPORT_RECENT_CLOSED];
		if (c->begin_ns <= ts && ts <= c->end_ns && c->depth > depth) {
			seq = c->seq;
			depth = c->depth;
		}
	}
	return seq;
}

void lt_on_sample(struct lt_importer *im, struct lt_stream *s, const uint32_t *r)
{
	uint64_t ts = lt_ts64(r + 1);
	uint64_t stack = lt_stack_of(s, r[3]);
	uint32_t seq = dispatch_at(s, ts);
	struct lt_import_cell *c = lt_import_op(&im->db, ST_SAMPLE);
	lt_cell_int(&c[0], s->pid);
	lt_cell_int(&c[1], s->tid);
	lt_cell_int(&c[2], (int64_t)ts);
	lt_cell_opt(&c[3], seq != NO_SEQ, seq);
	lt_cell_opt(&c[4], stack != 0, (int64_t)stack);
	lt_cell_int(&c[5], r[4]);
	/* on-CPU and run-queue time of the busy period, when the probe knew them */
	int sched = lt_record_words(r[0]) >= 7 && r[5] != UINT32_MAX && r[6] != UINT32_MAX;
	lt_cell_opt(&c[6], sched, sched ? r[5] : 0);
	lt_cell_opt(&c[7], sched, sched ? r[6] : 0);
}

static void write_blocking(struct lt_importer *im, struct lt_stream *s, const char *call,
			   uint64_t begin, uint64_t end)
{
	uint32_t seq = lt_current_seq(s);
	struct lt_import_cell *c = lt_import_op(&im->db, ST_BLOCKING);
	lt_cell_int(&c[0], s->pid);
	lt_cell_int(&c[1], s->tid);
	lt_cell_opt(&c[2], seq != NO_SEQ, seq);
	lt_cell_text(&c[3], call, -1); /* static names */
	lt_cell_int(&c[4], (int64_t)begin);
	lt_cell_int(&c[5], (int64_t)end);
}

void lt_on_blocking(struct lt_importer *im, struct lt_stream *s, const uint32_t *r)
{
	static const char *const calls[] = {"", "read", "write", "fsync", "sleep", "waitpid", "open", "gc"};
	unsigned call = lt_record_aux(r[0]);
	uint64_t begin = lt_ts64(r + 1);
	write_blocking(im, s, call < sizeof(calls) / sizeof(calls[0]) ? calls[call] : "call", begin,
		       begin + r[3]);
}

void lt_on_poll(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	int entering = lt_record_kind(r[0]) == LT_POLL_ENTER;
	/* A wait a signal cut short (EINTR: V8's profiler samples by SIGPROF)
	 * that libuv enters again straight away is the same wait going on. */
	int interrupted = !entering && (int32_t)r[3] == -EINTR;
	int resumed = entering && s->eintr_event && s->events == s->eintr_event + 1;
	s->eintr_event = interrupted ? s->events : 0;
	if (resumed || (interrupted && (s->depth > 0 || s->nested_poll_begin)))
		return;
	if (s->main_open && !s->has_main_end && s->depth == 1 && entering)
		lt_close_top(im, s, ts);
	/* A poll while a callback runs is a private, synchronous loop (execSync,
	 * spawnSync): time the callback spent blocked, not a loop iteration. */
	if (s->depth > 0 || s->nested_poll_begin) {
		if (entering) {
			s->nested_poll_begin = ts;
		} else if (s->nested_poll_begin) {
			if (ts - s->nested_poll_begin >= 1000000u) /* as for other calls: >= 1 ms */
				write_blocking(im, s, "poll", s->nested_poll_begin, ts);
			s->nested_poll_begin = 0;
		}
		return;
	}
	if (entering) {
		close_synthetic(s);
		if (s->iteration == 0 || s->polled || s->phase == LT_PHASE_MAIN ||
		    s->phase > LT_PHASE_POLL)
			start_iteration(im, s, ts);
		s->polled = 1;
		s->phase = LT_PHASE_POLL;
		s->it_poll_begin = ts;
		s->it_timeout = (int32_t)r[3];
	} else if (s->polled) {
		s->it_poll_end = ts;
		s->it_events = (int32_t)r[3];
	}
}
