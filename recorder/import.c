/*
 * import.c — rebuild dispatches, promises, resources and output from raw
 * capture streams.
 *
 * Each stream (one thread) is replayed through a small state machine:
 *   - a stack of open dispatches: `main` from LT_JS_START to LT_MAIN_END,
 *     resource callbacks (R_BEFORE..R_AFTER), promise reactions
 *     (P_BEFORE..P_AFTER) and process 'exit'/'beforeExit' emits; a dispatch
 *     nested in another keeps the queue of its outermost ancestor, because
 *     that is the queue the event loop served;
 *   - loop iterations from poll enter/exit, and the phase of each top-level
 *     dispatch from its queue and its place around the poll;
 *   - dense per-stream tables indexed by the probes' own ids (async ids and
 *     promise ids are small consecutive integers), sized by a first pass.
 * Streams are merged by timestamp so that `seq` is one global order.
 */
#include "import.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/queue.h"
#include "../analyzer/store.h"
#include "rawfile.h"

#define MAX_DEPTH 256
#define NO_SEQ 0u

/* --- prepared statements --- */

enum stmt_id {
	ST_THREAD,
	ST_STACK,
	ST_RESOURCE,
	ST_RESOURCE_DESTROY,
	ST_RESOURCE_REF,
	ST_PROMISE,
	ST_PROMISE_REJECTED,
	ST_DISPATCH,
	ST_OUTPUT,
	ST_ITERATION,
	ST_REJECTION,
	ST_LINEAGE,
	ST_REJECTION_DETAIL,
	ST_BLOCKING,
	ST_SAMPLE,
	ST_RESOURCE_CLEAR,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_THREAD] = "INSERT OR REPLACE INTO threads VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_STACK] = "INSERT INTO stacks VALUES(?,?,?,?,?,?)",
	[ST_RESOURCE] = "INSERT INTO resources VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,NULL)",
	[ST_RESOURCE_DESTROY] = "UPDATE resources SET destroyed_ns=? WHERE id=?",
	[ST_RESOURCE_REF] = "UPDATE resources SET ref=? WHERE id=?",
	[ST_PROMISE] = "INSERT INTO promises VALUES(?,?,?,?,?,?,?,?,?,?,?)",
	[ST_PROMISE_REJECTED] = "UPDATE promises SET state='rejected' WHERE id=?",
	[ST_DISPATCH] = "INSERT INTO dispatches VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_OUTPUT] = "INSERT INTO output(pid,tid,dispatch_seq,fd,ts_ns,text) VALUES(?,?,?,?,?,?)",
	[ST_ITERATION] = "INSERT OR REPLACE INTO iterations VALUES(?,?,?,?,?,?,?,?,?)",
	[ST_REJECTION] = "INSERT INTO rejections(pid,tid,kind,promise_id,reason,stack_id,ts_ns,"
			 "dispatch_seq) VALUES(?,?,?,?,?,?,?,?)",
	[ST_LINEAGE] = "INSERT INTO lineage VALUES(?,?,?,?,?,?)",
	[ST_REJECTION_DETAIL] = "UPDATE rejections SET reason=? WHERE id=?",
	[ST_BLOCKING] = "INSERT INTO blocking_calls(pid,tid,dispatch_seq,call,begin_ns,end_ns)"
			" VALUES(?,?,?,?,?,?)",
	[ST_SAMPLE] = "INSERT INTO samples(pid,tid,ts_ns,dispatch_seq,stack_id) VALUES(?,?,?,?,?)",
	[ST_RESOURCE_CLEAR] = "UPDATE resources SET cleared_ns=? WHERE id=? AND cleared_ns IS NULL",
};

struct importer {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	uint32_t next_seq;
	uint64_t next_stack;
	uint8_t *user_stack; /* by global stack id: has a frame in the program's code */
	uint64_t n_user_stack;
	uint64_t promise_base; /* global promise id = base + local id */
	uint64_t resource_base;
	struct lt_import_stats *stats;
	int failed;
	/* in-dispatch sampling, by JS thread (LT_SAMPLING) */
	unsigned sampling_on, sampling_off, sampling_unavailable;
	uint32_t unavailable_abi;
};

static void bind_opt(sqlite3_stmt *s, int col, int present, int64_t v)
{
	if (present)
		sqlite3_bind_int64(s, col, v);
	else
		sqlite3_bind_null(s, col);
}

static void run(struct importer *im, sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		im->failed = 1;
	sqlite3_reset(s);
}

/* --- per-stream state --- */

struct text {
	const char *s;
	uint32_t n;
};

struct resource_info {
	uint32_t created_seq;
	uint32_t site;        /* global id of the stack that places it in user code */
	uint8_t seen;
	uint8_t queue;
	const char *type;
	uint32_t type_len;
};

struct promise_info {
	uint32_t parent;       /* local id */
	uint32_t created_seq;
	uint32_t settled_seq;
	uint32_t stack;        /* global stack id */
	uint32_t site;         /* own stack if it reaches user code, else the parent's site */
	uint64_t created_ns;
	uint8_t inserted;      /* row written (at settle) */
};

enum dispatch_kind { D_MAIN, D_RESOURCE, D_PROMISE, D_EXIT, D_SYNTHETIC };

struct open_dispatch {
	uint32_t seq, parent_seq, trigger_seq, iteration;
	uint32_t id; /* async id or local promise id */
	enum dispatch_kind kind;
	enum lt_queue queue;
	enum lt_phase phase;
	const char *type;
	uint32_t type_len;
	uint64_t begin_ns;
};

#define RECENT_CLOSED 64

struct closed_dispatch {
	uint32_t seq;
	int depth;
	uint64_t begin_ns, end_ns;
};

struct stream {
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
	struct text argv, main_script, worker_name;

	/* exec: the last attempt not known to have failed, not yet in lineage */
	int exec_pending, ended_by_exec;
	int did_something; /* a record besides strings, process start and exec attempts */
	struct text exec_path;
	uint64_t exec_ts;

	struct text *js_strings, *c_strings;
	uint32_t n_js_strings, n_c_strings;
	uint64_t *stacks;      /* local -> global */
	uint32_t n_stacks;
	struct resource_info *res;
	uint32_t n_res;
	struct promise_info *prom;
	uint32_t n_prom;
	uint64_t promise_base, resource_base;

	struct open_dispatch stack[MAX_DEPTH];
	int depth;
	/* the dispatches closed last, for samples written after the fact */
	struct closed_dispatch recent[RECENT_CLOSED];
	uint32_t n_recent;
	uint32_t synthetic_seq; /* open synthetic dispatch for un-hooked output */

	/* loop iterations */
	uint32_t iteration;
	enum lt_phase phase;
	int polled;            /* the current iteration has polled */
	uint64_t it_begin, it_poll_begin, it_poll_end, it_last;
	int32_t it_timeout, it_events;
	uint64_t nested_poll_begin; /* a poll inside a dispatch: a private loop (spawnSync) */

	/* rejection row ids by the agent's ordinal */
	int64_t *rejections;
	uint32_t n_rejections;

	/* output pieces awaiting their last part */
	char *out_buf;
	size_t out_len, out_cap;

	uint64_t events;
};

/* --- helpers --- */

static struct text string_of(const struct stream *s, uint32_t id)
{
	struct text none = {"", 0};
	if (id & 0x80000000u) {
		id &= 0x7fffffffu;
		return id < s->n_c_strings && s->c_strings[id].s ? s->c_strings[id] : none;
	}
	return id < s->n_js_strings && s->js_strings[id].s ? s->js_strings[id] : none;
}

static uint64_t ts64(const uint32_t *w) { return (uint64_t)w[0] | ((uint64_t)w[1] << 32); }

/* Widen a 32-bit microsecond clock reading to ns, next to `near` (ns). */
static uint64_t widen_coarse(uint32_t coarse, uint64_t near)
{
	uint64_t near_us = near / 1000u;
	uint64_t candidate = (near_us & ~(uint64_t)0xffffffffu) | coarse;
	if (candidate > near_us + 0x80000000u && candidate >= 0x100000000u)
		candidate -= 0x100000000u;
	else if (candidate + 0x80000000u < near_us)
		candidate += 0x100000000u;
	return candidate * 1000u;
}

static uint64_t record_ts(const struct stream *s, const uint32_t *r)
{
	switch (lt_record_kind(r[0])) {
	case LT_PROC_START:
	case LT_POLL_ENTER:
	case LT_POLL_EXIT:
	case LT_OUTPUT:
	case LT_FORK:
	case LT_EXEC:
	case LT_THREAD_CREATE:
	case LT_JS_START:
		return ts64(r + 1);
	case LT_EXIT_EMIT:
	case LT_EXIT_DONE:
	case LT_MAIN_END:
		return s->js_base + ts64(r + 1);
	case LT_R_INIT:
		if (lt_record_aux(r[0]) & 4)
			return widen_coarse(r[5], s->last_ts);
		return s->js_base + ts64(r + 5);
	case LT_R_BEFORE:
	case LT_R_AFTER:
	case LT_R_DESTROY:
		if (lt_record_aux(r[0]) & 2)
			return widen_coarse(r[2], s->last_ts);
		return s->js_base + ts64(r + 2);
	case LT_REJECT:
		return s->js_base + ts64(r + 4);
	case LT_P_INIT:
		return widen_coarse(r[3], s->last_ts);
	case LT_P_SETTLE:
	case LT_P_BEFORE:
	case LT_P_AFTER:
		return widen_coarse(r[2], s->last_ts);
	default:
		return s->last_ts;
	}
}

/* Read the next record of a stream into s->next, with its timestamp made
 * monotonic within the stream. */
static void stream_peek(struct stream *s)
{
	const uint32_t *r;
	int rc = lt_raw_next(&s->raw, &r);
	if (rc <= 0) {
		s->done = 1;
		s->damaged = rc < 0;
		s->next = NULL;
		return;
	}
	if (lt_record_kind(r[0]) == LT_JS_START)
		s->js_base = ts64(r + 1);
	uint64_t ts = record_ts(s, r);
	if (ts < s->last_ts)
		ts = s->last_ts;
	s->next = r;
	s->next_ts = ts;
}

/* First pass over a stream: validate, size the dense tables, note LT_MAIN_END. */
static int stream_scan(struct stream *s)
{
	const uint32_t *r;
	int rc;
	uint32_t max_js = 0, max_c = 0, max_stack = 0, max_res = 0, max_prom = 0;
	while ((rc = lt_raw_next(&s->raw, &r)) > 0) {
		switch (lt_record_kind(r[0])) {
		case LT_STRING:
			if (r[1] & 0x80000000u) {
				if ((r[1] & 0x7fffffffu) > max_c)
					max_c = r[1] & 0x7fffffffu;
			} else if (r[1] > max_js) {
				max_js = r[1];
			}
			break;
		case LT_STACK:
			if (r[1] > max_stack)
				max_stack = r[1];
			break;
		case LT_R_INIT:
			if (r[1] > max_res)
				max_res = r[1];
			break;
		case LT_P_INIT:
			if (r[1] > max_prom)
				max_prom = r[1];
			break;
		case LT_MAIN_END:
			s->has_main_end = 1;
			break;
		default:
			break;
		}
	}
	s->damaged = rc < 0;
	s->raw.pos = 0;
	s->n_js_strings = max_js + 1;
	s->n_c_strings = max_c + 1;
	s->n_stacks = max_stack + 1;
	s->n_res = max_res + 1;
	s->n_prom = max_prom + 1;
	s->js_strings = calloc(s->n_js_strings, sizeof(*s->js_strings));
	s->c_strings = calloc(s->n_c_strings, sizeof(*s->c_strings));
	s->stacks = calloc(s->n_stacks, sizeof(*s->stacks));
	s->res = calloc(s->n_res, sizeof(*s->res));
	s->prom = calloc(s->n_prom, sizeof(*s->prom));
	if (!s->js_strings || !s->c_strings || !s->stacks || !s->res || !s->prom)
		return -ENOMEM;
	return 0;
}

static void stream_free(struct stream *s)
{
	free(s->js_strings);
	free(s->c_strings);
	free(s->stacks);
	free(s->res);
	free(s->prom);
	free(s->out_buf);
	free(s->rejections);
	lt_raw_close(&s->raw);
}

/* --- dispatches --- */

static struct open_dispatch *top(struct stream *s) { return s->depth ? &s->stack[s->depth - 1] : NULL; }

static uint32_t current_seq(const struct stream *s)
{
	return s->depth ? s->stack[s->depth - 1].seq : s->synthetic_seq;
}

static void write_dispatch(struct importer *im, struct stream *s, const struct open_dispatch *d,
			   int depth, uint64_t end_ns, uint64_t resource_id, uint64_t promise_id)
{
	sqlite3_stmt *st = im->st[ST_DISPATCH];
	sqlite3_bind_int64(st, 1, d->seq);
	sqlite3_bind_int(st, 2, s->pid);
	sqlite3_bind_int(st, 3, s->tid);
	sqlite3_bind_text(st, 4, lt_queue_name(d->queue), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->type, (int)d->type_len, SQLITE_STATIC);
	bind_opt(st, 6, resource_id != 0, (int64_t)resource_id);
	bind_opt(st, 7, promise_id != 0, (int64_t)promise_id);
	bind_opt(st, 8, d->parent_seq != NO_SEQ, d->parent_seq);
	sqlite3_bind_int(st, 9, depth);
	bind_opt(st, 10, d->trigger_seq != NO_SEQ, d->trigger_seq);
	sqlite3_bind_int64(st, 11, d->iteration);
	sqlite3_bind_text(st, 12, lt_phase_name(d->phase), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, (int64_t)d->begin_ns);
	sqlite3_bind_int64(st, 14, (int64_t)end_ns);
	run(im, st);
	im->stats->dispatches++;
}

static void close_top(struct importer *im, struct stream *s, uint64_t ts)
{
	struct open_dispatch *d = top(s);
	uint64_t rid = 0, pid = 0;
	if (d->kind == D_RESOURCE)
		rid = s->resource_base + d->id;
	else if (d->kind == D_PROMISE)
		pid = d->id ? s->promise_base + d->id : 0;
	if (d->kind == D_MAIN)
		s->main_open = 0;
	write_dispatch(im, s, d, s->depth, ts, rid, pid);
	struct closed_dispatch *c = &s->recent[s->n_recent++ % RECENT_CLOSED];
	c->seq = d->seq;
	c->depth = s->depth;
	c->begin_ns = d->begin_ns;
	c->end_ns = ts;
	s->depth--;
}

static void close_synthetic(struct importer *im, struct stream *s)
{
	(void)im;
	s->synthetic_seq = NO_SEQ;
}

/* Advance the loop phase for a top-level dispatch of queue q, starting a new
 * iteration when the phase order goes backwards after a poll. */
static void flush_iteration(struct importer *im, struct stream *s, uint64_t end)
{
	if (s->iteration == 0)
		return;
	sqlite3_stmt *st = im->st[ST_ITERATION];
	sqlite3_bind_int(st, 1, s->pid);
	sqlite3_bind_int(st, 2, s->tid);
	sqlite3_bind_int64(st, 3, s->iteration);
	sqlite3_bind_int64(st, 4, (int64_t)s->it_begin);
	bind_opt(st, 5, s->polled, (int64_t)s->it_poll_begin);
	bind_opt(st, 6, s->polled && s->it_poll_end, (int64_t)s->it_poll_end);
	sqlite3_bind_int64(st, 7, (int64_t)end);
	bind_opt(st, 8, s->polled, s->it_timeout);
	bind_opt(st, 9, s->polled && s->it_poll_end, s->it_events);
	run(im, st);
}

static void start_iteration(struct importer *im, struct stream *s, uint64_t ts)
{
	flush_iteration(im, s, ts);
	s->iteration++;
	s->it_begin = ts;
	s->polled = 0;
	s->it_poll_begin = s->it_poll_end = 0;
	s->it_timeout = s->it_events = 0;
	s->phase = LT_PHASE_TIMERS;
}

static void enter_phase(struct importer *im, struct stream *s, enum lt_queue q, uint64_t ts)
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

static void open_dispatch(struct importer *im, struct stream *s, enum dispatch_kind kind,
			  uint32_t id, enum lt_queue queue, const char *type, uint32_t type_len,
			  uint32_t trigger_seq, uint64_t ts)
{
	/* Without LT_MAIN_END, main ends where the loop first dispatches. */
	if (s->main_open && !s->has_main_end && s->depth == 1 && kind != D_MAIN)
		close_top(im, s, ts);
	if (s->depth == 0)
		close_synthetic(im, s);
	struct open_dispatch *parent = top(s);
	if (parent)
		queue = parent->queue; /* nested: the loop served the outer one */
	else
		enter_phase(im, s, queue, ts);
	if (s->depth == MAX_DEPTH) { /* absurd nesting: fold into the deepest */
		return;
	}
	struct open_dispatch *d = &s->stack[s->depth++];
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

/* Close dispatches down to and including the innermost one of `kind`/`id`.
 * Returns 0 when none matched (nothing is closed then). */
static int close_dispatch(struct importer *im, struct stream *s, enum dispatch_kind kind,
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
		close_top(im, s, ts);
	return 1;
}

/* Output (or a rejection) outside any dispatch in a JS thread after main:
 * JS ran that no hook announced (a thenable's then() job, for one).  Give it
 * a synthetic microtask dispatch so that it is still placed in the order. */
static uint32_t ensure_dispatch(struct importer *im, struct stream *s, uint64_t ts)
{
	if (s->depth || s->synthetic_seq)
		return current_seq(s);
	static const char unhooked[] = "unhooked";
	struct open_dispatch d = {0};
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

/* --- record handlers --- */

static void on_string(struct stream *s, const uint32_t *r)
{
	uint32_t words = lt_record_words(r[0]);
	uint32_t n = r[2];
	if (n > (words - 3u) * 4u)
		n = (words - 3u) * 4u;
	struct text t = {(const char *)(r + 3), n};
	uint32_t id = r[1];
	if (id & 0x80000000u) {
		id &= 0x7fffffffu;
		if (id < s->n_c_strings)
			s->c_strings[id] = t;
	} else if (id < s->n_js_strings) {
		s->js_strings[id] = t;
	}
}

/* A frame in the program's own code: a file that is not Node's ("node:...")
 * and not the agent's. */
static int is_user_file(struct text file)
{
	return file.n > 0 && !(file.n >= 5 && memcmp(file.s, "node:", 5) == 0);
}

static int reaches_user_code(const struct importer *im, uint64_t stack)
{
	return stack && stack < im->n_user_stack && im->user_stack[stack];
}

static void on_stack(struct importer *im, struct stream *s, const uint32_t *r)
{
	uint32_t words = lt_record_words(r[0]);
	uint32_t id = r[1], frames = r[2];
	if (id >= s->n_stacks || 3u + frames * 4u > words)
		return;
	uint64_t gid = ++im->next_stack;
	s->stacks[id] = gid;
	if (gid >= im->n_user_stack) {
		uint64_t n = im->n_user_stack ? im->n_user_stack * 2 : 4096;
		uint8_t *grown = realloc(im->user_stack, n);
		if (!grown) {
			im->failed = 1;
			return;
		}
		memset(grown + im->n_user_stack, 0, n - im->n_user_stack);
		im->user_stack = grown;
		im->n_user_stack = n;
	}
	sqlite3_stmt *st = im->st[ST_STACK];
	for (uint32_t f = 0; f < frames; f++) {
		const uint32_t *w = r + 3 + f * 4;
		struct text fn = string_of(s, w[0]), file = string_of(s, w[1]);
		if (is_user_file(file))
			im->user_stack[gid] = 1;
		sqlite3_bind_int64(st, 1, (int64_t)gid);
		sqlite3_bind_int(st, 2, (int)f);
		sqlite3_bind_text(st, 3, fn.s, (int)fn.n, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, file.s, (int)file.n, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, w[2]);
		sqlite3_bind_int64(st, 6, w[3]);
		run(im, st);
	}
}

static uint64_t stack_of(const struct stream *s, uint32_t local)
{
	return local && local < s->n_stacks ? s->stacks[local] : 0;
}

static void on_r_init(struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = r[1], trigger = r[2];
	if (id >= s->n_res)
		return;
	struct text type = string_of(s, r[3]);
	struct resource_info *ri = &s->res[id];
	ri->seen = 1;
	ri->created_seq = current_seq(s);
	ri->type = type.s;
	ri->type_len = type.n;
	ri->queue = (uint8_t)lt_queue_of_type(type.s, type.n);

	struct text cb = string_of(s, r[8]);
	int32_t delay = (int32_t)r[7];
	sqlite3_stmt *st = im->st[ST_RESOURCE];
	sqlite3_bind_int64(st, 1, (int64_t)(s->resource_base + id));
	sqlite3_bind_int(st, 2, s->pid);
	sqlite3_bind_int(st, 3, s->tid);
	sqlite3_bind_int64(st, 4, id);
	sqlite3_bind_text(st, 5, type.s, (int)type.n, SQLITE_STATIC);
	int trigger_seen = trigger < s->n_res && s->res[trigger].seen;
	bind_opt(st, 6, trigger_seen, (int64_t)(s->resource_base + trigger));
	sqlite3_bind_int64(st, 7, (int64_t)ts);
	bind_opt(st, 8, ri->created_seq != NO_SEQ, ri->created_seq);
	uint64_t stack = stack_of(s, r[4]);
	bind_opt(st, 9, stack != 0, (int64_t)stack);
	/* Node schedules some work on the program's behalf (the later steps of
	 * fs.readFile, stream ticks): such a resource is placed where its
	 * trigger was. */
	if (reaches_user_code(im, stack))
		ri->site = (uint32_t)stack;
	else if (trigger_seen)
		ri->site = s->res[trigger].site;
	bind_opt(st, 10, ri->site != 0, ri->site);
	if (cb.n)
		sqlite3_bind_text(st, 11, cb.s, (int)cb.n, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 11);
	bind_opt(st, 12, delay >= 0, delay);
	bind_opt(st, 13, delay >= 0, (lt_record_aux(r[0]) & 2) ? 1 : 0);
	sqlite3_bind_int(st, 14, (lt_record_aux(r[0]) & 1) ? 0 : 1);
	run(im, st);
	im->stats->resources++;
}

static void on_r_before(struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = r[1];
	static const char unknown[] = "unknown";
	struct resource_info none = {.queue = LT_QUEUE_IO, .type = unknown, .type_len = sizeof(unknown) - 1};
	const struct resource_info *ri = id < s->n_res && s->res[id].seen ? &s->res[id] : &none;
	enum lt_queue q = (lt_record_aux(r[0]) & 1) ? LT_QUEUE_CLOSE : (enum lt_queue)ri->queue;
	open_dispatch(im, s, D_RESOURCE, id, q, ri->type, ri->type_len, ri->created_seq, ts);
}

static void on_r_update(struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = r[1];
	if (id >= s->n_res || !s->res[id].seen)
		return;
	int destroy = lt_record_kind(r[0]) == LT_R_DESTROY;
	if (destroy && s->res[id].queue != LT_QUEUE_TIMER && s->res[id].queue != LT_QUEUE_IMMEDIATE &&
	    s->res[id].queue != LT_QUEUE_IO)
		return; /* ticks and microtasks die right after running: no row update */
	/* A timer's or immediate's "destroy" is a clearTimeout/clearInterval/
	 * clearImmediate (or close()) on it while it was live. */
	int cleared = destroy && (s->res[id].queue == LT_QUEUE_TIMER || s->res[id].queue == LT_QUEUE_IMMEDIATE);
	sqlite3_stmt *st = im->st[cleared ? ST_RESOURCE_CLEAR : destroy ? ST_RESOURCE_DESTROY : ST_RESOURCE_REF];
	sqlite3_bind_int64(st, 1, destroy ? (int64_t)ts : (int64_t)lt_record_aux(r[0]));
	sqlite3_bind_int64(st, 2, (int64_t)(s->resource_base + id));
	run(im, st);
}

static void write_promise(struct importer *im, struct stream *s, uint32_t id, uint64_t settled_ns)
{
	struct promise_info *p = &s->prom[id];
	sqlite3_stmt *st = im->st[ST_PROMISE];
	sqlite3_bind_int64(st, 1, (int64_t)(s->promise_base + id));
	sqlite3_bind_int(st, 2, s->pid);
	sqlite3_bind_int(st, 3, s->tid);
	bind_opt(st, 4, p->parent != 0, (int64_t)(s->promise_base + p->parent));
	sqlite3_bind_int64(st, 5, (int64_t)p->created_ns);
	bind_opt(st, 6, p->created_seq != NO_SEQ, p->created_seq);
	bind_opt(st, 7, settled_ns != 0, (int64_t)settled_ns);
	bind_opt(st, 8, settled_ns != 0 && p->settled_seq != NO_SEQ, p->settled_seq);
	sqlite3_bind_text(st, 9, settled_ns ? "settled" : "pending", -1, SQLITE_STATIC);
	bind_opt(st, 10, p->stack != 0, p->stack);
	bind_opt(st, 11, p->site != 0, p->site);
	run(im, st);
	p->inserted = 1;
	im->stats->promises++;
}

static void on_p_init(const struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts,
		      uint32_t seq)
{
	uint32_t id = r[1];
	if (id == 0 || id >= s->n_prom)
		return;
	struct promise_info *p = &s->prom[id];
	p->parent = r[2] < s->n_prom ? r[2] : 0;
	p->created_ns = ts;
	p->created_seq = seq;
	p->stack = lt_record_aux(r[0]) & 1 ? (uint32_t)stack_of(s, r[4]) : 0;
	/* Promise stacks are sampled: an unsampled promise is placed where its
	 * parent was. */
	p->site = reaches_user_code(im, p->stack) ? p->stack : p->parent ? s->prom[p->parent].site : 0;
}

static void on_p_before(struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = r[1] < s->n_prom ? r[1] : 0;
	uint32_t trigger = NO_SEQ;
	if (id) {
		const struct promise_info *p = &s->prom[id];
		trigger = p->created_seq;
		if (p->parent && s->prom[p->parent].settled_seq > trigger)
			trigger = s->prom[p->parent].settled_seq;
	}
	static const char type[] = "PROMISE";
	open_dispatch(im, s, D_PROMISE, id, LT_QUEUE_MICROTASK, type, sizeof(type) - 1, trigger, ts);
}

static void flush_output(struct importer *im, struct stream *s, int fd, uint64_t ts, uint32_t seq)
{
	sqlite3_stmt *st = im->st[ST_OUTPUT];
	sqlite3_bind_int(st, 1, s->pid);
	sqlite3_bind_int(st, 2, s->tid);
	bind_opt(st, 3, seq != NO_SEQ, seq);
	sqlite3_bind_int(st, 4, fd);
	sqlite3_bind_int64(st, 5, (int64_t)ts);
	sqlite3_bind_text(st, 6, s->out_buf ? s->out_buf : "", (int)s->out_len, SQLITE_STATIC);
	run(im, st);
	s->out_len = 0;
	im->stats->outputs++;
}

static void on_output(struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t words = lt_record_words(r[0]);
	uint32_t n = r[3];
	if (n > (words - 4u) * 4u)
		n = (words - 4u) * 4u;
	if (s->out_len + n > s->out_cap) {
		size_t cap = (s->out_len + n) * 2;
		char *buf = realloc(s->out_buf, cap);
		if (!buf) {
			im->failed = 1;
			return;
		}
		s->out_buf = buf;
		s->out_cap = cap;
	}
	memcpy(s->out_buf + s->out_len, r + 4, n);
	s->out_len += n;
	unsigned aux = lt_record_aux(r[0]);
	if (!(aux & 0x80u))
		flush_output(im, s, (int)(aux & 0x7fu), ts, ensure_dispatch(im, s, ts));
}

static void on_reject(struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts)
{
	static const char *const kinds[] = {"unhandled", "handled-late", "uncaught-exception"};
	unsigned kind = lt_record_aux(r[0]);
	uint32_t pid = r[1] < s->n_prom ? r[1] : 0;
	struct text reason = string_of(s, r[2]);
	uint64_t stack = stack_of(s, r[3]);
	sqlite3_stmt *st = im->st[ST_REJECTION];
	sqlite3_bind_int(st, 1, s->pid);
	sqlite3_bind_int(st, 2, s->tid);
	sqlite3_bind_text(st, 3, kind < 3 ? kinds[kind] : "unknown", -1, SQLITE_STATIC);
	bind_opt(st, 4, pid != 0, (int64_t)(s->promise_base + pid));
	if (lt_record_aux(r[0]) == LT_REJECT_HANDLED_LATE)
		sqlite3_bind_null(st, 5);
	else
		sqlite3_bind_text(st, 5, reason.s, (int)reason.n, SQLITE_STATIC);
	bind_opt(st, 6, stack != 0, (int64_t)stack);
	sqlite3_bind_int64(st, 7, (int64_t)ts);
	uint32_t seq = current_seq(s);
	bind_opt(st, 8, seq != NO_SEQ, seq);
	run(im, st);
	uint32_t ordinal = r[6];
	if (ordinal && ordinal < 1u << 20) {
		if (ordinal >= s->n_rejections) {
			uint32_t n = ordinal * 2;
			int64_t *grown = realloc(s->rejections, n * sizeof(*grown));
			if (!grown) {
				im->failed = 1;
				return;
			}
			memset(grown + s->n_rejections, 0, (n - s->n_rejections) * sizeof(*grown));
			s->rejections = grown;
			s->n_rejections = n;
		}
		s->rejections[ordinal] = sqlite3_last_insert_rowid(im->db);
	}
	if (pid && kind == LT_REJECT_UNHANDLED) {
		if (!s->prom[pid].inserted)
			write_promise(im, s, pid, ts);
		st = im->st[ST_PROMISE_REJECTED];
		sqlite3_bind_int64(st, 1, (int64_t)(s->promise_base + pid));
		run(im, st);
	}
}

static void on_reject_detail(struct importer *im, struct stream *s, const uint32_t *r)
{
	uint32_t ordinal = r[1];
	if (ordinal >= s->n_rejections || !s->rejections[ordinal])
		return;
	struct text text = string_of(s, r[2]);
	sqlite3_stmt *st = im->st[ST_REJECTION_DETAIL];
	sqlite3_bind_text(st, 1, text.s, (int)text.n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->rejections[ordinal]);
	run(im, st);
}

static void write_lineage(struct importer *im, struct stream *s, unsigned kind, uint64_t ts,
			  uint32_t child_pid, struct text exec_path)
{
	sqlite3_stmt *st = im->st[ST_LINEAGE];
	sqlite3_bind_int(st, 1, s->pid);
	sqlite3_bind_int(st, 2, s->tid);
	sqlite3_bind_text(st, 3, kind == LT_FORK ? "fork" : kind == LT_EXEC ? "exec" : "thread", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)ts);
	bind_opt(st, 5, kind == LT_FORK, child_pid);
	if (kind == LT_EXEC)
		sqlite3_bind_text(st, 6, exec_path.s, (int)exec_path.n, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	run(im, st);
}

/* An exec attempt is kept pending: a record saying it failed drops it, any
 * other record means the process went on (it is written as an exec then, as
 * an older capture without failure records would have it), and one still
 * pending at the end of the stream is what the process became. */
static void flush_exec(struct importer *im, struct stream *s)
{
	if (!s->exec_pending)
		return;
	s->exec_pending = 0;
	write_lineage(im, s, LT_EXEC, s->exec_ts, 0, s->exec_path);
}

static void on_exec(struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts)
{
	if (lt_record_aux(r[0]) & LT_EXEC_FAILED) {
		s->exec_pending = 0;
		return;
	}
	flush_exec(im, s);
	s->exec_pending = 1;
	s->exec_path = string_of(s, r[3]);
	s->exec_ts = ts;
}

static void on_lineage(struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts)
{
	struct text none = {"", 0};
	unsigned kind = lt_record_kind(r[0]);
	write_lineage(im, s, kind, ts, kind == LT_FORK ? r[3] : 0, none);
}

/* The innermost dispatch of this thread that was running at ts: a sample
 * is written at the agent's next resource event, after the dispatch it was
 * taken in may have closed. */
static uint32_t dispatch_at(const struct stream *s, uint64_t ts)
{
	uint32_t seq = NO_SEQ;
	int depth = 0;
	for (int i = s->depth - 1; i >= 0; i--)
		if (s->stack[i].begin_ns <= ts) {
			seq = s->stack[i].seq;
			depth = i + 1;
			break;
		}
	uint32_t n = s->n_recent < RECENT_CLOSED ? s->n_recent : RECENT_CLOSED;
	for (uint32_t k = 0; k < n; k++) {
		const struct closed_dispatch *c = &s->recent[(s->n_recent - 1 - k) % RECENT_CLOSED];
		if (c->begin_ns <= ts && ts <= c->end_ns && c->depth > depth) {
			seq = c->seq;
			depth = c->depth;
		}
	}
	return seq;
}

static void on_sample(struct importer *im, struct stream *s, const uint32_t *r)
{
	uint64_t ts = ts64(r + 1);
	uint64_t stack = stack_of(s, r[3]);
	uint32_t seq = dispatch_at(s, ts);
	sqlite3_stmt *st = im->st[ST_SAMPLE];
	sqlite3_bind_int(st, 1, s->pid);
	sqlite3_bind_int(st, 2, s->tid);
	sqlite3_bind_int64(st, 3, (int64_t)ts);
	bind_opt(st, 4, seq != NO_SEQ, seq);
	bind_opt(st, 5, stack != 0, (int64_t)stack);
	run(im, st);
}

static void on_sampling(struct importer *im, const uint32_t *r)
{
	switch (lt_record_aux(r[0])) {
	case LT_SAMPLING_ON:
		im->sampling_on++;
		break;
	case LT_SAMPLING_OFF:
		im->sampling_off++;
		break;
	case LT_SAMPLING_UNAVAILABLE:
		if (!im->sampling_unavailable++)
			im->unavailable_abi = r[1];
		break;
	default:
		break;
	}
}

/* meta in_dispatch_samples: "on" when every JS thread sampled, "off" when
 * sampling was turned off, "unavailable (no watchdog for Node ABI N)" when
 * the module for that Node was missing (with "partly" when some threads of
 * the trace did sample). */
static int write_sampling_meta(struct importer *im)
{
	char text[128];
	if (im->sampling_unavailable)
		snprintf(text, sizeof(text), "%sunavailable (no watchdog for Node ABI %u)",
			 im->sampling_on ? "partly " : "", im->unavailable_abi);
	else if (im->sampling_on)
		snprintf(text, sizeof(text), "on");
	else if (im->sampling_off)
		snprintf(text, sizeof(text), "off");
	else
		return 0;
	return lt_store_set_meta(im->db, "in_dispatch_samples", text);
}

static void write_blocking(struct importer *im, struct stream *s, const char *call, uint64_t begin,
			   uint64_t end)
{
	sqlite3_stmt *st = im->st[ST_BLOCKING];
	uint32_t seq = current_seq(s);
	sqlite3_bind_int(st, 1, s->pid);
	sqlite3_bind_int(st, 2, s->tid);
	bind_opt(st, 3, seq != NO_SEQ, seq);
	sqlite3_bind_text(st, 4, call, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)begin);
	sqlite3_bind_int64(st, 6, (int64_t)end);
	run(im, st);
}

static void on_blocking(struct importer *im, struct stream *s, const uint32_t *r)
{
	static const char *const calls[] = {"", "read", "write", "fsync", "sleep", "waitpid", "open", "gc"};
	unsigned call = lt_record_aux(r[0]);
	uint64_t begin = ts64(r + 1);
	write_blocking(im, s, call < sizeof(calls) / sizeof(calls[0]) ? calls[call] : "call", begin,
		       begin + r[3]);
}

static void on_poll(struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts)
{
	int entering = lt_record_kind(r[0]) == LT_POLL_ENTER;
	if (s->main_open && !s->has_main_end && s->depth == 1 && entering)
		close_top(im, s, ts);
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
		close_synthetic(im, s);
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

static void handle_record(struct importer *im, struct stream *s, const uint32_t *r, uint64_t ts)
{
	s->events++;
	s->last_ts = ts;
	s->it_last = ts;
	unsigned kind = lt_record_kind(r[0]);
	if (kind != LT_STRING && kind != LT_PAD && kind != LT_EXEC && kind != LT_PROC_START) {
		flush_exec(im, s);
		s->did_something = 1;
	}
	switch (kind) {
	case LT_STRING:
		on_string(s, r);
		break;
	case LT_STACK:
		on_stack(im, s, r);
		break;
	case LT_PROC_START:
		s->argv = string_of(s, r[3]);
		break;
	case LT_JS_START: {
		s->is_js = 1;
		s->js_thread_id = r[3];
		s->main_script = string_of(s, r[4]);
		if (lt_record_words(r[0]) >= 6)
			s->worker_name = string_of(s, r[5]);
		static const char main_type[] = "main";
		s->phase = LT_PHASE_MAIN;
		open_dispatch(im, s, D_MAIN, 0, LT_QUEUE_MAIN, main_type, sizeof(main_type) - 1,
			      NO_SEQ, ts);
		s->main_open = 1;
		break;
	}
	case LT_MAIN_END:
		close_dispatch(im, s, D_MAIN, 0, ts);
		break;
	case LT_EXIT_EMIT: {
		static const char *const types[] = {"beforeExit", "exit"};
		const char *type = types[lt_record_aux(r[0]) & 1];
		if (s->main_open && !s->has_main_end && s->depth == 1)
			close_top(im, s, ts);
		s->phase = LT_PHASE_EXIT;
		open_dispatch(im, s, D_EXIT, 0, LT_QUEUE_EXIT, type, (uint32_t)strlen(type), NO_SEQ, ts);
		break;
	}
	case LT_EXIT_DONE:
		close_dispatch(im, s, D_EXIT, 0, ts);
		break;
	case LT_R_INIT:
		on_r_init(im, s, r, ts);
		break;
	case LT_R_BEFORE:
		on_r_before(im, s, r, ts);
		break;
	case LT_R_AFTER:
		close_dispatch(im, s, D_RESOURCE, r[1], ts);
		break;
	case LT_R_DESTROY:
	case LT_R_REF:
		on_r_update(im, s, r, ts);
		break;
	case LT_P_INIT:
		on_p_init(im, s, r, ts, current_seq(s));
		break;
	case LT_P_SETTLE:
		if (r[1] && r[1] < s->n_prom && !s->prom[r[1]].inserted) {
			s->prom[r[1]].settled_seq = current_seq(s);
			write_promise(im, s, r[1], ts);
		}
		break;
	case LT_P_BEFORE:
		on_p_before(im, s, r, ts);
		break;
	case LT_P_AFTER:
		close_dispatch(im, s, D_PROMISE, r[1] < s->n_prom ? r[1] : 0, ts);
		break;
	case LT_OUTPUT:
		on_output(im, s, r, ts);
		break;
	case LT_REJECT:
		on_reject(im, s, r, ts);
		break;
	case LT_REJECT_DETAIL:
		on_reject_detail(im, s, r);
		break;
	case LT_POLL_ENTER:
	case LT_POLL_EXIT:
		on_poll(im, s, r, ts);
		break;
	case LT_EXEC:
		on_exec(im, s, r, ts);
		break;
	case LT_FORK:
	case LT_THREAD_CREATE:
		on_lineage(im, s, r, ts);
		break;
	case LT_BLOCKING:
		on_blocking(im, s, r);
		break;
	case LT_SAMPLE:
		on_sample(im, s, r);
		break;
	case LT_SAMPLING:
		on_sampling(im, r);
		break;
	default:
		break;
	}
}

/* superseded: a later stream of the same pid and tid exists (the image
 * this one exec'd was traced too); that one describes the thread. */
static void finish_stream(struct importer *im, struct stream *s, int superseded)
{
	uint64_t end = s->last_ts;
	if (s->out_len)
		flush_output(im, s, 1, end, ensure_dispatch(im, s, end));
	s->ended_by_exec = s->exec_pending;
	flush_exec(im, s);
	while (s->depth)
		close_top(im, s, end);
	flush_iteration(im, s, end);
	for (uint32_t id = 1; id < s->n_prom; id++)
		if (s->prom[id].created_ns && !s->prom[id].inserted)
			write_promise(im, s, id, 0);

	const struct lt_file_header *h = s->raw.hdr;
	im->stats->events += s->events;
	im->stats->raw_bytes += lt_raw_written_bytes(&s->raw);
	if (s->damaged)
		im->stats->damaged++;
	/* A fork child whose exec failed (or that only tried) is no process of
	 * its own in the trace; one superseded by its exec'd image neither. */
	if (superseded || (!s->did_something && !s->ended_by_exec))
		return;
	sqlite3_stmt *st = im->st[ST_THREAD];
	sqlite3_bind_int(st, 1, h->pid);
	sqlite3_bind_int(st, 2, h->tid);
	sqlite3_bind_int(st, 3, h->ppid);
	bind_opt(st, 4, h->parent_tid != 0, h->parent_tid);
	sqlite3_bind_int(st, 5, (h->flags & LT_FILE_MAIN_THREAD) ? 1 : 0);
	bind_opt(st, 6, s->is_js, s->js_thread_id);
	/* argv is NUL-separated on the wire; store it space-separated. */
	char *argv = s->argv.n ? malloc(s->argv.n) : NULL;
	if (argv)
		memcpy(argv, s->argv.s, s->argv.n);
	for (uint32_t i = 0; argv && i < s->argv.n; i++)
		if (argv[i] == '\0')
			argv[i] = ' ';
	if (argv)
		sqlite3_bind_text(st, 7, argv, (int)s->argv.n, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 7);
	if (s->is_js)
		sqlite3_bind_text(st, 8, s->main_script.s, (int)s->main_script.n, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int64(st, 9, (int64_t)h->start_ns);
	sqlite3_bind_int64(st, 10, (int64_t)end);
	sqlite3_bind_int(st, 11, (h->flags & LT_FILE_CLOSED) ? 1 : 0);
	sqlite3_bind_int64(st, 12, (int64_t)s->events);
	sqlite3_bind_int64(st, 13, (int64_t)lt_raw_written_bytes(&s->raw));
	char name[96];
	if (s->is_js && (s->js_thread_id == 0 || (h->flags & LT_FILE_MAIN_THREAD)))
		sqlite3_bind_text(st, 14, "main", -1, SQLITE_STATIC);
	else if (s->is_js && s->worker_name.n &&
		 snprintf(name, sizeof(name), "worker %u (%.*s)", s->js_thread_id,
			  (int)(s->worker_name.n < 64 ? s->worker_name.n : 64), s->worker_name.s) > 0)
		sqlite3_bind_text(st, 14, name, -1, SQLITE_TRANSIENT);
	else if (s->is_js && snprintf(name, sizeof(name), "worker %u", s->js_thread_id) > 0)
		sqlite3_bind_text(st, 14, name, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 14);
	if (s->ended_by_exec)
		sqlite3_bind_text(st, 15, s->exec_path.s, (int)s->exec_path.n, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 15);
	/* Other threads of the process take the main thread's reason (below). */
	const char *reason = s->ended_by_exec ? "exec" : (h->flags & LT_FILE_CLOSED) ? "exit" : "killed";
	if (h->flags & LT_FILE_MAIN_THREAD)
		sqlite3_bind_text(st, 16, reason, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 16);
	run(im, st);
	free(argv);
}

/* Stream i ended by an exec and a later capture of the same pid and tid
 * exists: the exec'd image, traced in its turn (not a reused pid). */
static int superseded(const struct stream *streams, size_t n, size_t i)
{
	const struct lt_file_header *h = streams[i].raw.hdr;
	if (!streams[i].exec_pending)
		return 0;
	for (size_t j = 0; j < n; j++) {
		const struct lt_file_header *o = streams[j].raw.hdr;
		if (j != i && o->pid == h->pid && o->tid == h->tid && o->start_ns > h->start_ns)
			return 1;
	}
	return 0;
}

/* --- driver --- */

static int prepare_all(struct importer *im)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(im->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &im->st[i],
				       NULL) != SQLITE_OK)
			return -EIO;
	return 0;
}

static void finalize_all(struct importer *im)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(im->st[i]);
}

static const char *raw_error(int rc)
{
	if (rc == -EPROTO)
		return "not a looptrace capture file";
	if (rc == -EPROTONOSUPPORT)
		return "capture file of another wire version";
	return strerror(-rc);
}

/* Merge the streams by time: serve the earliest stream, and keep serving it
 * while it stays no later than the runner-up. */
static void merge(struct importer *im, struct stream *streams, size_t n)
{
	for (;;) {
		struct stream *best = NULL;
		uint64_t second = UINT64_MAX;
		for (size_t i = 0; i < n; i++) {
			struct stream *s = &streams[i];
			if (s->done)
				continue;
			if (!best || s->next_ts < best->next_ts) {
				if (best && best->next_ts < second)
					second = best->next_ts;
				best = s;
			} else if (s->next_ts < second) {
				second = s->next_ts;
			}
		}
		if (!best)
			return;
		do {
			const uint32_t *r = best->next;
			uint64_t ts = best->next_ts;
			handle_record(im, best, r, ts);
			stream_peek(best);
		} while (!best->done && best->next_ts <= second);
	}
}

int lt_import_files(sqlite3 *db, char *const *paths, size_t n, struct lt_import_stats *stats,
		    char *err, size_t errlen)
{
	memset(stats, 0, sizeof(*stats));
	struct importer im = {.db = db, .stats = stats};
	struct stream *streams = calloc(n ? n : 1, sizeof(*streams));
	int rc = 0;
	size_t opened = 0;
	if (!streams) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (; opened < n; opened++) {
		struct stream *s = &streams[opened];
		s->path = paths[opened];
		rc = lt_raw_open(&s->raw, paths[opened]);
		if (rc != 0) {
			snprintf(err, errlen, "%s: %s", paths[opened], raw_error(rc));
			goto close_streams;
		}
		rc = stream_scan(s);
		if (rc != 0) {
			opened++;
			snprintf(err, errlen, "out of memory reading %s", paths[opened - 1]);
			goto close_streams;
		}
		s->pid = s->raw.hdr->pid;
		s->tid = s->raw.hdr->tid;
		s->promise_base = im.promise_base;
		s->resource_base = im.resource_base;
		im.promise_base += s->n_prom;
		im.resource_base += s->n_res;
	}
	if (prepare_all(&im) != 0 || sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database error: %s", sqlite3_errmsg(db));
		rc = -EIO;
		goto finalize;
	}
	for (size_t i = 0; i < n; i++) {
		streams[i].last_ts = streams[i].raw.hdr->start_ns;
		stream_peek(&streams[i]);
	}
	merge(&im, streams, n);
	for (size_t i = 0; i < n; i++)
		finish_stream(&im, &streams[i], superseded(streams, n, i));
	if (sqlite3_exec(db, "UPDATE threads SET end_reason = (SELECT m.end_reason FROM threads m"
			     " WHERE m.pid = threads.pid AND m.is_main_thread = 1) WHERE is_main_thread = 0",
			 NULL, NULL, NULL) != SQLITE_OK || write_sampling_meta(&im) != 0)
		im.failed = 1;
	stats->streams = (unsigned)n;
	if (im.failed || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database error: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		rc = -EIO;
	}
finalize:
	finalize_all(&im);
	free(im.user_stack);
close_streams:
	for (size_t i = 0; i < opened; i++)
		stream_free(&streams[i]);
	free(streams);
	return rc;
}

static int is_capture_name(const char *name)
{
	size_t len = strlen(name);
	return len > 4 && strcmp(name + len - 4, ".ltr") == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lt_import_dir(sqlite3 *db, const char *dir, struct lt_import_stats *stats, char *err,
		  size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	char **paths = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!is_capture_name(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(paths, cap * sizeof(*paths));
			if (!grown) {
				rc = -ENOMEM;
				goto free_paths;
			}
			paths = grown;
		}
		if (asprintf(&paths[n], "%s/%s", dir, e->d_name) < 0) {
			rc = -ENOMEM;
			goto free_paths;
		}
		n++;
	}
	qsort(paths, n, sizeof(*paths), by_name);
	rc = lt_import_files(db, paths, n, stats, err, errlen);
free_paths:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	closedir(d);
	return rc;
}
