/*
 * attach_events.c — eBPF loop events -> per-thread raw capture files.
 */
#include "attach_events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attach_handles.h"
#include "attach_work.h"
#include "perf_map.h"
#include "raw_writer.h"

#define C_STRING 0x80000000u
#define MAX_PENDING_REJECTS 256
#define MAX_REPORTED 256
#define MAX_TYPES 32

struct pending_reject {
	uint64_t promise;
	uint64_t ts;
};

struct named {
	const char *name; /* static string */
	uint32_t string_id;
	uint32_t resource_id; /* synthetic dispatch resource, 0 = none yet */
};

struct lt_attach_stream {
	int pid, tid;
	struct lt_raw_writer w;
	uint32_t next_string, next_id;
	struct named types[MAX_TYPES];
	size_t n_types;
	uint64_t last_ts;
	uint64_t js_base;  /* LT_JS_START's time once written: "rel64" times count from it */
	int looped;        /* the loop has run (no main script to come) */

	/* in the loop's wait: from uv__io_poll's entry to the first callback
	 * or the check phase */
	int polling;

	/* fallback mode (libuv's internals not probed): the poll phase's
	 * callbacks as one "io" dispatch from the wait's end to the next probe */
	int poll_dispatch;

	/* the open top-level callback */
	int open;
	uint32_t open_rid;

	/* the outermost microtask drain */
	int micro_depth, micro_pending, micro_written;
	uint64_t micro_begin;

	struct lt_handle_table handles;

	struct pending_reject pending[MAX_PENDING_REJECTS];
	size_t n_pending;
	uint64_t reported[MAX_REPORTED]; /* promises reported unhandled (a ring) */
	size_t n_reported;
	uint32_t reject_ordinal;

	uint64_t gc_begin;

	struct lt_perf_map perf_map;
	uint32_t next_stack;
};

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

static void put64(uint32_t *w, uint64_t v)
{
	w[0] = (uint32_t)v;
	w[1] = (uint32_t)(v >> 32);
}

static uint32_t intern(struct lt_attach_stream *s, const char *name)
{
	for (size_t i = 0; i < s->n_types; i++)
		if (s->types[i].name == name || !strcmp(s->types[i].name, name))
			return (uint32_t)i;
	if (s->n_types == MAX_TYPES)
		return 0; /* the first entry ("io") stands in */
	struct named *t = &s->types[s->n_types];
	t->name = name;
	t->string_id = C_STRING | ++s->next_string;
	t->resource_id = 0;
	lt_raw_writer_string(&s->w, t->string_id, name, strlen(name));
	return (uint32_t)s->n_types++;
}

/* A "rel64" time: relative to LT_JS_START once there is one, else absolute. */
static uint64_t rel(const struct lt_attach_stream *s, uint64_t ts)
{
	return ts - s->js_base;
}

static void r_init(struct lt_attach_stream *s, uint32_t id, uint32_t type_string, uint64_t ts, int unref)
{
	uint32_t p[9] = {id, 0, type_string, 0, 0, 0, (uint32_t)-1, 0, 0};
	put64(p + 4, rel(s, ts));
	lt_raw_writer_add(&s->w, LT_R_INIT, unref ? 1u : 0u, p, 9);
}

static void r_event(struct lt_attach_stream *s, unsigned kind, unsigned aux, uint32_t id, uint64_t ts)
{
	uint32_t p[3] = {id, 0, 0};
	put64(p + 1, rel(s, ts));
	lt_raw_writer_add(&s->w, kind, aux, p, 3);
}

/* The synthetic resource that stands for every dispatch of one type: created
 * unref'd (a dispatch type, not a handle that could leak). */
static uint32_t dispatch_resource(struct lt_attach_stream *s, const char *name, uint64_t ts)
{
	struct named *t = &s->types[intern(s, name)];
	if (!t->resource_id) {
		t->resource_id = ++s->next_id;
		r_init(s, t->resource_id, t->string_id, ts, 1);
	}
	return t->resource_id;
}

static void write_reject(struct lt_attach_stream *s, unsigned kind, uint64_t ts)
{
	static const char reason[] = "(reason not captured: attached with eBPF)";
	uint32_t reason_id = kind == LT_REJECT_UNHANDLED ? s->types[intern(s, reason)].string_id : 0;
	uint32_t p[6] = {0, reason_id, 0, 0, 0, ++s->reject_ordinal};
	put64(p + 3, rel(s, ts));
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

static void read_proc(int pid, const char *what, char *buf, size_t cap, size_t *len)
{
	char path[64];
	*len = 0;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	*len = fread(buf, 1, cap - 1, f);
	buf[*len] = '\0';
	fclose(f);
}

static int parent_of(int pid)
{
	char stat[512];
	size_t n;
	read_proc(pid, "stat", stat, sizeof(stat), &n);
	const char *close_paren = strrchr(stat, ')');
	int ppid = 0;
	if (close_paren && sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	return ppid;
}

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
	memset(s, 0, sizeof(*s));
	s->pid = (int)e->tgid;
	s->tid = (int)e->tid;
	char path[4200];
	snprintf(path, sizeof(path), "%s/%d-%d.ltr", ae->dir, s->pid, s->tid);
	uint64_t start = ae->start_ns && ae->start_ns <= e->ts ? ae->start_ns : e->ts;
	int rc = lt_raw_writer_open(&s->w, path, s->pid, s->tid, parent_of(s->pid), start);
	if (rc != 0) {
		fail(ae, rc);
		return NULL;
	}
	ae->n++;
	if (ae->perf_map_dir[0])
		snprintf(path, sizeof(path), "%s/perf-%d.map", ae->perf_map_dir, s->pid);
	else
		lt_perf_map_path(s->pid, path, sizeof(path));
	lt_perf_map_init(&s->perf_map, path);
	/* The map of the process's own user (or root): /tmp is everybody's. */
	char proc[64];
	struct stat pst;
	snprintf(proc, sizeof(proc), "/proc/%d", s->pid);
	if (!ae->perf_map_dir[0] && stat(proc, &pst) == 0)
		lt_perf_map_set_owner(&s->perf_map, pst.st_uid);
	intern(s, "io"); /* entry 0: the stand-in type */
	/* The process's command line (NUL-separated, as on the wire). */
	static char argv[4096];
	size_t len;
	read_proc(s->pid, "cmdline", argv, sizeof(argv), &len);
	while (len && argv[len - 1] == '\0')
		len--;
	uint32_t argv_id = C_STRING | ++s->next_string;
	lt_raw_writer_string(&s->w, argv_id, argv, len);
	uint32_t p[3] = {0, 0, argv_id};
	put64(p, start);
	lt_raw_writer_add(&s->w, LT_PROC_START, 0, p, 3);
	s->last_ts = start;
	return s;
}

static void poll_exit(struct lt_attach_stream *s, uint64_t ts, int32_t events)
{
	uint32_t p[3] = {0, 0, (uint32_t)events};
	put64(p, ts);
	lt_raw_writer_add(&s->w, LT_POLL_EXIT, 0, p, 3);
	s->polling = 0;
}

static uint32_t text_id(struct lt_attach_stream *s, const char *text, size_t len);

/* The main script's name, as node takes it from its command line: the
 * first argument that is neither an option nor an option's value; "[eval]"
 * for -e/-p. */
static const char *main_script_of(char *argv, size_t len)
{
	static const char *const with_value[] = {"-r", "--require", "--import", "--loader",
						 "--experimental-loader", "--title", "--input-type"};
	for (size_t at = strlen(argv) + 1; at < len; at += strlen(argv + at) + 1) {
		const char *a = argv + at;
		if (!strcmp(a, "-e") || !strcmp(a, "--eval") || !strcmp(a, "-p") || !strcmp(a, "--print"))
			return "[eval]";
		if (a[0] != '-')
			return a;
		for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
			if (!strcmp(a, with_value[k]) && at + strlen(a) + 1 < len)
				at += strlen(a) + 1; /* skip the value too */
	}
	return "";
}

static void js_start(struct lt_attach_stream *s, uint64_t ts)
{
	static char argv[4096];
	size_t len;
	read_proc(s->pid, "cmdline", argv, sizeof(argv), &len);
	const char *script = s->tid == s->pid && len ? main_script_of(argv, len) : "";
	uint32_t script_id = text_id(s, script, strlen(script));
	uint32_t p[4] = {0, 0, s->tid == s->pid ? 0u : (uint32_t)s->tid, script_id};
	put64(p, ts);
	lt_raw_writer_add(&s->w, LT_JS_START, 0, p, 4);
	s->js_base = ts;
}

static void micro_flush(struct lt_attach_stream *s)
{
	if (!s->micro_pending)
		return;
	r_event(s, LT_R_BEFORE, 0, dispatch_resource(s, "Microtask", s->micro_begin), s->micro_begin);
	s->micro_pending = 0;
	s->micro_written = 1;
}

static void micro_end(struct lt_attach_stream *s, uint64_t ts, int force)
{
	if (s->micro_pending && (force || ts - s->micro_begin >= LT_ATTACH_MICRO_MIN_NS))
		micro_flush(s);
	if (s->micro_written)
		r_event(s, LT_R_AFTER, 0, dispatch_resource(s, "Microtask", ts), ts);
	s->micro_pending = s->micro_written = 0;
	s->micro_depth = 0;
}

/* A string written once per stream for each distinct text (function and
 * file names of samples repeat). */
static uint32_t text_id(struct lt_attach_stream *s, const char *text, size_t len)
{
	uint32_t id = C_STRING | ++s->next_string;
	lt_raw_writer_string(&s->w, id, text, len);
	return id;
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
		words[2 + 4 * i] = text_id(s, frames[i].function, frames[i].function_len);
		words[3 + 4 * i] = text_id(s, frames[i].file, frames[i].file_len);
		words[4 + 4 * i] = frames[i].line;
		words[5 + 4 * i] = frames[i].column;
	}
	lt_raw_writer_add(&s->w, LT_STACK, 0, words, 2 + 4 * nf);
	uint32_t id = ++s->next_id;
	uint32_t p[9] = {id, 0, s->types[intern(s, "JS sample")].string_id, stack, 0, 0, (uint32_t)-1, 0, 0};
	put64(p + 4, rel(s, ts));
	lt_raw_writer_add(&s->w, LT_R_INIT, 1, p, 9);
}

static void callback_end(struct lt_attach_stream *s, uint64_t ts)
{
	if (s->micro_depth)
		micro_end(s, ts, 0);
	flush_rejections(s, ts);
	r_event(s, LT_R_AFTER, 0, s->open_rid, ts);
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
	if (s->micro_pending && e->kind != LT_EV_MICRO_END && e->kind != LT_EV_MICRO_BEGIN)
		micro_flush(s);
	/* The wait ended where the loop did something again. */
	if (s->polling && e->kind != LT_EV_POLL_END && e->kind != LT_EV_GC_BEGIN &&
	    e->kind != LT_EV_GC_END)
		poll_exit(s, ts, 0);
	if (s->poll_dispatch && (e->kind == LT_EV_CB_BEGIN || e->kind == LT_EV_POLL_BEGIN ||
				 e->kind == LT_EV_CHECK)) {
		callback_end(s, ts);
		s->poll_dispatch = 0;
	}
	switch (e->kind) {
	case LT_EV_MAIN:
		/* The main script starts (attached before it): an LT_JS_START opens
		 * the trace's `main` dispatch, which ends where the loop starts. */
		if (!s->looped && !s->open && !s->js_base)
			js_start(s, ts);
		break;
	case LT_EV_POLL_BEGIN: {
		s->looped = 1;
		if (!s->open)
			flush_rejections(s, ts);
		uint32_t p[3] = {0, 0, (uint32_t)e->arg};
		put64(p, ts);
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
			s->open_rid = dispatch_resource(s, "io", ts);
			r_event(s, LT_R_BEFORE, 0, s->open_rid, ts);
			s->open = 1;
			s->poll_dispatch = 1;
		}
		break;
	case LT_EV_CB_BEGIN:
		s->looped = 1;
		if (s->open)
			callback_end(s, ts);
		s->open_rid = dispatch_resource(s, callback_type(e->aux, e->arg), ts);
		r_event(s, LT_R_BEFORE, e->aux == LT_CB_CLOSE ? 1u : 0u, s->open_rid, ts);
		s->open = 1;
		break;
	case LT_EV_CB_END:
		if (s->open && !s->poll_dispatch)
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
		r_init(s, id, s->types[intern(s, name)].string_id, ts, 0);
		if (e->ptr && lt_handles_put(&s->handles, e->ptr, id) != 0)
			return fail(ae, -ENOMEM);
		break;
	}
	case LT_EV_HANDLE_CLOSE: {
		struct lt_handle_slot *h = e->ptr ? lt_handles_find(&s->handles, e->ptr) : NULL;
		if (h) {
			r_event(s, LT_R_DESTROY, 0, h->id, ts);
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
			put64(p, s->gc_begin);
			lt_raw_writer_add(&s->w, LT_BLOCKING, LT_CALL_GC, p, 3);
		}
		s->gc_begin = 0;
		break;
	default:
		break;
	}
	return fail(ae, s->w.error);
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
			r_event(s, LT_R_AFTER, 0, s->open_rid, ts);
		}
		fail(ae, lt_raw_writer_close(&s->w, 0));
		lt_handles_free(&s->handles);
		lt_perf_map_free(&s->perf_map);
	}
	lt_work_summary(&ae->work, &ae->threadpool);
	free(ae->streams);
	ae->streams = NULL;
	ae->n = ae->cap = 0;
	return ae->error;
}
