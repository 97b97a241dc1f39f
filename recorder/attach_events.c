/*
 * attach_events.c — eBPF loop events -> per-thread raw capture files.
 */
#include "attach_events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attach_stream.h"
#include "attach_uv_events.h"
#include "attach_work.h"

static const char *const handle_names[] = {
	[1] = "uv_async",   [2] = "uv_check",    [3] = "FSEVENTWRAP", [4] = "STATWATCHER",
	[5] = "uv_handle",  [6] = "uv_idle",     [7] = "PIPEWRAP",    [8] = "uv_poll",
	[9] = "uv_prepare", [10] = "PROCESSWRAP", [11] = "uv_stream", [12] = "TCPWRAP",
	[13] = "uv_timer",  [14] = "TTYWRAP",    [15] = "UDPWRAP",    [16] = "SIGNALWRAP",
};

const char *lt_attach_handle_name(int uv_type)
{
	if (uv_type > 0 && (size_t)uv_type < sizeof(handle_names) / sizeof(handle_names[0]) &&
	    handle_names[uv_type])
		return handle_names[uv_type];
	return "uv_handle";
}

/* The dispatch type of a top-level callback. */
static const char *callback_type(unsigned kind, int io_type)
{
	switch (kind) {
	case LT_CB_TIMERS: return "Timeout";
	case LT_CB_IMMEDIATE: return "Immediate";
	case LT_CB_CLOSE: return "close";
	case LT_CB_IO: break;
	default: return "io";
	}
	if (io_type < 0)
		return "io";
	if (io_type & 0x100) {
		int t = io_type & 0xff;
		return t == 7 ? "PIPESERVERWRAP" : t == 12 ? "TCPSERVERWRAP" : lt_attach_handle_name(t);
	}
	return lt_attach_handle_name(io_type);
}

void lt_attach_events_init(struct lt_attach_events *ae, const char *dir, uint64_t start_ns)
{
	memset(ae, 0, sizeof(*ae));
	snprintf(ae->dir, sizeof(ae->dir), "%s", dir);
	ae->start_ns = start_ns;
}

static int fail(struct lt_attach_events *ae, int rc)
{
	if (rc && !ae->error)
		ae->error = rc;
	return rc;
}

/* --- records --- */

static void write_reject(struct lt_attach_stream *s, unsigned kind, uint64_t ts)
{
	static const char reason[] = "(reason not captured: attached with eBPF)";
	uint32_t reason_id = kind == LT_REJECT_UNHANDLED ? s->types[lt_astream_intern(s, reason)].string_id : 0;
	uint32_t p[6] = {0, reason_id, 0, 0, 0, ++s->reject_ordinal};
	lt_astream_put64(p + 3, lt_astream_rel(s, ts));
	lt_raw_writer_add(&s->w, LT_REJECT, kind, p, 6);
}

/* Rejections still without a handler when their callback ended: Node
 * reports them as unhandled at that point. */
static void flush_rejections(struct lt_attach_stream *s, uint64_t ts)
{
	for (size_t i = 0; i < s->n_pending; i++) {
		write_reject(s, LT_REJECT_UNHANDLED, ts);
		s->reported[s->n_reported++ % MAX_REPORTED] = s->pending[i].promise;
	}
	s->n_pending = 0;
}

static void on_reject(struct lt_attach_stream *s, const struct lt_bpf_event *e)
{
	if (e->arg == 0) { /* kPromiseRejectWithNoHandler */
		if (s->n_pending < MAX_PENDING_REJECTS)
			s->pending[s->n_pending++] = (struct pending_reject){e->ptr, e->ts};
		return;
	}
	if (e->arg != 1 || !e->ptr) /* kPromiseHandlerAddedAfterReject */
		return;
	for (size_t i = 0; i < s->n_pending; i++)
		if (s->pending[i].promise == e->ptr) {
			s->pending[i] = s->pending[--s->n_pending];
			return; /* handled in time */
		}
	size_t n = s->n_reported < MAX_REPORTED ? s->n_reported : MAX_REPORTED;
	for (size_t i = 0; i < n; i++)
		if (s->reported[i] == e->ptr) {
			s->reported[i] = 0;
			write_reject(s, LT_REJECT_HANDLED_LATE, e->ts);
			return;
		}
}

/* --- streams --- */

static struct lt_attach_stream *stream_of(struct lt_attach_events *ae, const struct lt_bpf_event *e)
{
	for (size_t i = 0; i < ae->n; i++)
		if (ae->streams[i].tid == (int)e->tid && ae->streams[i].pid == (int)e->tgid)
			return &ae->streams[i];
	if (ae->n == ae->cap) {
		size_t cap = ae->cap ? ae->cap * 2 : 8;
		struct lt_attach_stream *grown = realloc(ae->streams, cap * sizeof(*grown));
		if (!grown) {
			fail(ae, -ENOMEM);
			return NULL;
		}
		ae->streams = grown;
		ae->cap = cap;
	}
	struct lt_attach_stream *s = &ae->streams[ae->n];
	uint64_t start = ae->start_ns && ae->start_ns <= e->ts ? ae->start_ns : e->ts;
	int rc = lt_astream_open(s, ae->dir, ae->perf_map_dir, (int)e->tgid, (int)e->tid, start, ae->flight);
	if (rc != 0) {
		fail(ae, rc);
		return NULL;
	}
	ae->n++;
	return s;
}

static void poll_exit(struct lt_attach_stream *s, uint64_t ts, int32_t events)
{
	uint32_t p[3] = {0, 0, (uint32_t)events};
	lt_astream_put64(p, ts);
	lt_raw_writer_add(&s->w, LT_POLL_EXIT, 0, p, 3);
	s->polling = 0;
}

static void micro_flush(struct lt_attach_stream *s)
{
	if (!s->micro_pending)
		return;
	lt_astream_r_event(s, LT_R_BEFORE, 0, lt_astream_dispatch_resource(s, "Microtask", s->micro_begin), s->micro_begin);
	s->micro_pending = 0;
	s->micro_written = 1;
}

static void micro_end(struct lt_attach_stream *s, uint64_t ts, int force)
{
	if (s->micro_pending && (force || ts - s->micro_begin >= LT_ATTACH_MICRO_MIN_NS))
		micro_flush(s);
	if (s->micro_written)
		lt_astream_r_event(s, LT_R_AFTER, 0, lt_astream_dispatch_resource(s, "Microtask", ts), ts);
	s->micro_pending = s->micro_written = 0;
	s->micro_depth = 0;
}

/* The JavaScript frames of a sampled stack, innermost first. */
static void on_stack(struct lt_attach_events *ae, struct lt_attach_stream *s,
		     const struct lt_bpf_stack_event *e, uint64_t ts)
{
	ae->stacks++;
	if (!s->open)
		return;
	uint32_t n = e->hdr.arg > 0 && e->hdr.arg <= LT_STACK_FRAMES ? (uint32_t)e->hdr.arg : 0;
	struct lt_js_frame frames[LT_STACK_FRAMES];
	uint32_t nf = 0;
	int refreshed = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct lt_js_frame f;
		if (lt_perf_map_js_frame(&s->perf_map, e->ips[i], &f)) {
			frames[nf++] = f;
			continue;
		}
		/* Unknown code: maybe compiled since the map was read.  A reload
		 * frees the names found so far: start the stack over. */
		if (!refreshed && e->ips[i] < 0x800000000000ull) {
			refreshed = 1;
			if (lt_perf_map_refresh(&s->perf_map) == 1) {
				nf = 0;
				i = (uint32_t)-1;
			}
		}
	}
	if (!nf)
		return;
	ae->stacks_named++;
	uint32_t words[3 + 4 * LT_STACK_FRAMES];
	uint32_t stack = ++s->next_stack;
	words[0] = stack;
	words[1] = nf;
	for (uint32_t i = 0; i < nf; i++) {
		words[2 + 4 * i] = lt_astream_text(s, frames[i].function, frames[i].function_len);
		words[3 + 4 * i] = lt_astream_text(s, frames[i].file, frames[i].file_len);
		words[4 + 4 * i] = frames[i].line;
		words[5 + 4 * i] = frames[i].column;
	}
	lt_raw_writer_add(&s->w, LT_STACK, 0, words, 2 + 4 * nf);
	uint32_t id = ++s->next_id;
	uint32_t p[9] = {id, 0, s->types[lt_astream_intern(s, "JS sample")].string_id, stack, 0, 0, (uint32_t)-1, 0, 0};
	lt_astream_put64(p + 4, lt_astream_rel(s, ts));
	lt_raw_writer_add(&s->w, LT_R_INIT, 1, p, 9);
}

static void callback_end(struct lt_attach_stream *s, uint64_t ts)
{
	if (s->micro_depth)
		micro_end(s, ts, 0);
	flush_rejections(s, ts);
	lt_astream_r_event(s, LT_R_AFTER, 0, s->open_rid, ts);
	s->open = 0;
}

int lt_attach_events_add(struct lt_attach_events *ae, const struct lt_bpf_event *e)
{
	if (ae->stop_ns && e->ts > ae->stop_ns)
		return 0;
	if (e->kind >= LT_EV_WORK_SUBMIT && e->kind <= LT_EV_WORK_DONE) {
		ae->events++;
		/* pool threads get no stream of their own */
		fail(ae, lt_work_add(&ae->work, &ae->threadpool, e));
		return ae->error;
	}
	struct lt_attach_stream *s = stream_of(ae, e);
	if (!s)
		return ae->error;
	ae->events++;
	uint64_t ts = e->ts < s->last_ts ? s->last_ts : e->ts;
	s->last_ts = ts;
	if (e->kind >= LT_EV_UV_CALL) { /* a shared libuv's API, USDT probes */
		if (ae->uv)
			fail(ae, lt_attach_uv_event(ae->uv, s, e, ts));
		return fail(ae, s->w.error);
	}
	if (s->micro_pending && e->kind != LT_EV_MICRO_END && e->kind != LT_EV_MICRO_BEGIN)
		micro_flush(s);
	/* The wait ended where the loop did something again. */
	if (s->polling && e->kind != LT_EV_POLL_END && e->kind != LT_EV_GC_BEGIN &&
	    e->kind != LT_EV_GC_END)
		poll_exit(s, ts, 0);
	if (s->ends_at_next_step && (e->kind == LT_EV_CB_BEGIN || e->kind == LT_EV_POLL_BEGIN ||
				     e->kind == LT_EV_CHECK)) {
		callback_end(s, ts);
		s->ends_at_next_step = 0;
	}
	switch (e->kind) {
	case LT_EV_MAIN:
		/* The main script starts (attached before it): an LT_JS_START opens
		 * the trace's `main` dispatch, which ends where the loop starts. */
		if (!s->looped && !s->open && !s->js_base)
			lt_astream_js_start(s, ts);
		break;
	case LT_EV_POLL_BEGIN: {
		s->looped = 1;
		if (!s->open)
			flush_rejections(s, ts);
		uint32_t p[3] = {0, 0, (uint32_t)e->arg};
		lt_astream_put64(p, ts);
		lt_raw_writer_add(&s->w, LT_POLL_ENTER, 0, p, 3);
		s->polling = 1;
		break;
	}
	case LT_EV_POLL_END:
		if (!s->polling)
			break;
		poll_exit(s, ts, e->arg);
		/* Only fallback mode reports the wait's end: the callbacks that
		 * follow are not probed one by one, so the stretch up to the next
		 * probe stands for them. */
		if (!s->open && e->arg > 0) {
			s->open_rid = lt_astream_dispatch_resource(s, "io", ts);
			lt_astream_r_event(s, LT_R_BEFORE, 0, s->open_rid, ts);
			s->open = 1;
			s->ends_at_next_step = 1;
		}
		break;
	case LT_EV_CB_BEGIN: {
		s->looped = 1;
		if (s->open)
			callback_end(s, ts);
		int open_ended = e->arg >= 0 && (e->arg & LT_CB_OPEN_ENDED);
		int io_type = e->arg >= 0 ? e->arg & ~LT_CB_OPEN_ENDED : e->arg;
		s->open_rid = lt_astream_dispatch_resource(s, callback_type(e->aux, io_type), ts);
		lt_astream_r_event(s, LT_R_BEFORE, e->aux == LT_CB_CLOSE ? 1u : 0u, s->open_rid, ts);
		s->open = 1;
		s->ends_at_next_step = open_ended;
		break;
	}
	case LT_EV_CB_END:
		if (s->open && !s->ends_at_next_step)
			callback_end(s, ts);
		break;
	case LT_EV_MICRO_BEGIN:
		if (s->micro_depth++ == 0) {
			s->micro_begin = ts;
			s->micro_pending = 1;
			s->micro_written = 0;
		}
		break;
	case LT_EV_MICRO_END:
		if (s->micro_depth && --s->micro_depth == 0)
			micro_end(s, ts, 0);
		break;
	case LT_EV_HANDLE_INIT: {
		uint32_t id = ++s->next_id;
		const char *name = lt_attach_handle_name(e->arg);
		lt_astream_r_init(s, id, s->types[lt_astream_intern(s, name)].string_id, ts, 0);
		if (e->ptr && lt_handles_put(&s->handles, e->ptr, id) != 0)
			return fail(ae, -ENOMEM);
		break;
	}
	case LT_EV_HANDLE_CLOSE: {
		struct lt_handle_slot *h = e->ptr ? lt_handles_find(&s->handles, e->ptr) : NULL;
		if (h) {
			lt_astream_r_event(s, LT_R_DESTROY, 0, h->id, ts);
			lt_handles_remove(&s->handles, h);
		}
		break;
	}
	case LT_EV_REJECT:
		on_reject(s, e);
		break;
	case LT_EV_STACK:
		on_stack(ae, s, (const struct lt_bpf_stack_event *)e, ts);
		break;
	case LT_EV_GC_BEGIN:
		s->gc_begin = ts;
		break;
	case LT_EV_GC_END:
		if (s->gc_begin && ts - s->gc_begin >= 1000000u) {
			uint64_t ns = ts - s->gc_begin;
			uint32_t p[3] = {0, 0, ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns};
			lt_astream_put64(p, s->gc_begin);
			lt_raw_writer_add(&s->w, LT_BLOCKING, LT_CALL_GC, p, 3);
		}
		s->gc_begin = 0;
		break;
	default:
		break;
	}
	return fail(ae, s->w.error);
}

void lt_attach_events_flight_view(void *events, size_t i, struct lt_file_header *flat, const uint32_t **words,
				  size_t *n)
{
	const struct lt_attach_events *ae = events;
	for (size_t k = 0; k < ae->n; k++) {
		const struct lt_raw_writer *w = &ae->streams[k].w;
		if (w->flight && (size_t)w->flight_id == i) {
			lt_raw_writer_flat_header(w, 0, flat);
			*words = w->chunk;
			*n = (size_t)(w->words % LT_CHUNK_WORDS);
			return;
		}
	}
	memset(flat, 0, sizeof(*flat));
	*words = NULL;
	*n = 0;
}

int lt_attach_events_close(struct lt_attach_events *ae, uint64_t end_ns)
{
	for (size_t i = 0; i < ae->n; i++) {
		struct lt_attach_stream *s = &ae->streams[i];
		uint64_t ts = end_ns > s->last_ts ? end_ns : s->last_ts;
		/* Still running at detach: it ran at least until then. */
		if (s->micro_depth && (s->micro_written || s->open))
			micro_end(s, ts, 1);
		if (s->polling)
			poll_exit(s, ts, 0);
		if (s->open) {
			s->n_pending = 0; /* Node had not decided about them yet */
			lt_astream_r_event(s, LT_R_AFTER, 0, s->open_rid, ts);
		}
		fail(ae, lt_raw_writer_close(&s->w, ae->close_flags));
		lt_handles_free(&s->handles);
		lt_perf_map_free(&s->perf_map);
	}
	lt_work_summary(&ae->work, &ae->threadpool);
	free(ae->streams);
	ae->streams = NULL;
	ae->n = ae->cap = 0;
	return ae->error;
}
