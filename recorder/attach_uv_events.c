/*
 * attach_uv_events.c — uvapi.bpf.c's events -> `record`'s records
 * (attach_uv_events.h).
 */
#include "attach_uv_events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../probes/wire.h"
#include "attach_stream.h"
#include "uv_loop_walk.h"

#define UV_HANDLE_ACTIVE 0x4u /* libuv 1.x's handle flag */
#define SITE_CACHE 256u
#define MODULE_CACHE 16u
#define TEXT_CACHE 64u

enum obj_kind { OBJ_UV = 1, OBJ_USDT = 2 };

struct lt_uv_object {
	uint64_t key;      /* handle or request address, or the probe API's id; 0 = empty */
	pid_t pid;
	int tid;           /* the stream holding rid */
	unsigned char kind; /* enum obj_kind; 0xff = removed */
	unsigned char api; /* enum lt_uv_api that made it */
	unsigned char closing, request, one_shot;
	unsigned char htype;  /* its uv_handle_type when a call told it, else 0 */
	unsigned char dead;   /* LT_R_DESTROY written */
	uint32_t rid;      /* its resource id in tid's stream (0: destroyed) */
	uint32_t outer;    /* probe API: the dispatch its begin interrupted */
};

struct lt_uv_thread {
	int pid, tid;
	uint32_t current; /* the open dispatch (trigger of what it creates) */
	int open_closing;  /* the open dispatch is a close callback */
	uint64_t open_key;
	struct { uint64_t addr; uint32_t stack; } sites[SITE_CACHE];
	struct { uint64_t start; uint32_t path; } modules[MODULE_CACHE];
	unsigned n_modules;
	struct { char text[LT_UV_TEXT]; uint32_t id; } texts[TEXT_CACHE];
	unsigned n_texts;
};

void lt_attach_uv_init(struct lt_attach_uv *u, lt_uv_learn_fn learn, void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->learn = learn;
	u->learn_ctx = ctx;
}

/* --- tables --- */

static int grow(void **arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return 0;
	size_t want = *cap ? *cap * 2 : 16;
	void *grown = realloc(*arr, want * size);
	if (!grown)
		return -ENOMEM;
	*arr = grown;
	*cap = want;
	return 0;
}

static struct lt_uv_proc *proc_of(struct lt_attach_uv *u, pid_t pid)
{
	for (size_t i = 0; i < u->n_procs; i++)
		if (u->procs[i].pid == pid)
			return &u->procs[i];
	void *arr = u->procs;
	if (grow(&arr, u->n_procs, &u->cap_procs, sizeof(*u->procs)) != 0)
		return NULL;
	u->procs = arr;
	struct lt_uv_proc *p = &u->procs[u->n_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	lt_proc_modules_read(&p->mods, pid);
	return p;
}

static struct lt_uv_thread *thread_of(struct lt_attach_uv *u, const struct lt_attach_stream *s)
{
	for (size_t i = 0; i < u->n_threads; i++)
		if (u->threads[i].tid == s->tid && u->threads[i].pid == s->pid)
			return &u->threads[i];
	void *arr = u->threads;
	if (grow(&arr, u->n_threads, &u->cap_threads, sizeof(*u->threads)) != 0)
		return NULL;
	u->threads = arr;
	struct lt_uv_thread *t = &u->threads[u->n_threads++];
	memset(t, 0, sizeof(*t));
	t->pid = s->pid;
	t->tid = s->tid;
	return t;
}

static size_t slot_of(uint64_t key, pid_t pid, unsigned kind, size_t cap)
{
	uint64_t k = key ^ ((uint64_t)(unsigned)pid << 40) ^ ((uint64_t)kind << 60);
	k ^= k >> 29;
	k *= 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 32) & (cap - 1);
}

static struct lt_uv_object *obj_find(struct lt_attach_uv *u, pid_t pid, unsigned kind, uint64_t key)
{
	if (!u->cap_objs || !key)
		return NULL;
	for (size_t i = slot_of(key, pid, kind, u->cap_objs), n = 0; n < u->cap_objs;
	     n++, i = (i + 1) & (u->cap_objs - 1)) {
		struct lt_uv_object *o = &u->objs[i];
		if (!o->key && o->kind != 0xff)
			return NULL;
		if (o->key == key && o->pid == pid && o->kind == kind)
			return o;
	}
	return NULL;
}

static int obj_rehash(struct lt_attach_uv *u, size_t cap)
{
	struct lt_uv_object *old = u->objs, *fresh = calloc(cap, sizeof(*fresh));
	size_t old_cap = u->cap_objs;
	if (!fresh)
		return -ENOMEM;
	u->objs = fresh;
	u->cap_objs = cap;
	u->n_objs = 0;
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].key)
			continue;
		size_t j = slot_of(old[i].key, old[i].pid, old[i].kind, cap);
		while (fresh[j].key)
			j = (j + 1) & (cap - 1);
		fresh[j] = old[i];
		u->n_objs++;
	}
	free(old);
	return 0;
}

/* The object of key, made (zeroed but for its identity) when absent. */
static struct lt_uv_object *obj_get(struct lt_attach_uv *u, pid_t pid, unsigned kind, uint64_t key)
{
	struct lt_uv_object *o = obj_find(u, pid, kind, key);
	if (o || !key)
		return o;
	if ((u->n_objs + 1) * 2 > u->cap_objs && obj_rehash(u, u->cap_objs ? u->cap_objs * 2 : 1024) != 0)
		return NULL;
	size_t i = slot_of(key, pid, kind, u->cap_objs);
	while (u->objs[i].key)
		i = (i + 1) & (u->cap_objs - 1);
	o = &u->objs[i];
	memset(o, 0, sizeof(*o));
	o->key = key;
	o->pid = pid;
	o->kind = (unsigned char)kind;
	u->n_objs++;
	return o;
}

/* Removed slots stay as markers that keep probe chains whole until the
 * next rehash. */
static void obj_forget(struct lt_attach_uv *u, struct lt_uv_object *o)
{
	(void)u;
	o->key = 0;
	o->kind = 0xff;
}

/* --- records --- */

static uint32_t module_path_string(struct lt_uv_thread *t, struct lt_attach_stream *s, const struct lt_proc_module *m)
{
	for (unsigned i = 0; i < t->n_modules; i++)
		if (t->modules[i].start == m->start)
			return t->modules[i].path;
	uint32_t id = lt_astream_text(s, m->path, strlen(m->path));
	if (t->n_modules < MODULE_CACHE) {
		t->modules[t->n_modules].start = m->start;
		t->modules[t->n_modules++].path = id;
	}
	return id;
}

/* One LT_STACK of the native frame at `addr` (a return address when
 * `returned`: the call instruction is the byte before it); 0 when the
 * address is in no mapped file. */
static uint32_t site_of(struct lt_uv_proc *p, struct lt_uv_thread *t, struct lt_attach_stream *s, uint64_t addr,
			int returned)
{
	if (!addr)
		return 0;
	unsigned slot = (unsigned)((addr >> 2) ^ (addr >> 11)) & (SITE_CACHE - 1u);
	if (t->sites[slot].addr == addr && t->sites[slot].stack)
		return t->sites[slot].stack;
	struct lt_proc_module *m = lt_proc_modules_find(&p->mods, addr);
	if (!m)
		return 0;
	uint64_t link = lt_proc_module_link_address(&p->mods, m, addr);
	if (!link)
		return 0;
	uint32_t path = module_path_string(t, s, m);
	uint32_t fn = lt_astream_text(s, "", 0);
	uint32_t stack = ++s->next_stack;
	uint32_t words[6] = {stack, 1, fn, path, (uint32_t)(link - (returned ? 1u : 0u)), LT_FRAME_NATIVE};
	lt_raw_writer_add(&s->w, LT_STACK, 0, words, 6);
	t->sites[slot].addr = addr;
	t->sites[slot].stack = stack;
	return stack;
}

/* The callback as LT_NATIVE_CALLBACK "<hex link address> <module>". */
static uint32_t callback_string(struct lt_uv_proc *p, struct lt_attach_stream *s, uint64_t cb)
{
	struct lt_proc_module *m = cb ? lt_proc_modules_find(&p->mods, cb) : NULL;
	uint64_t link = m ? lt_proc_module_link_address(&p->mods, m, cb) : 0;
	if (!link)
		return 0;
	char text[PATH_MAX + 32];
	int n = snprintf(text, sizeof(text), "%c%llx %s", LT_NATIVE_CALLBACK, (unsigned long long)link, m->path);
	if (n <= 0)
		return 0;
	return lt_astream_text(s, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}

/* A type string: static names are interned by the stream, probe API types
 * (the program's text) through a small cache. */
static uint32_t type_string(struct lt_uv_thread *t, struct lt_attach_stream *s, const char *name, int dynamic)
{
	if (!dynamic)
		return s->types[lt_astream_intern(s, name)].string_id;
	for (unsigned i = 0; i < t->n_texts; i++)
		if (!strcmp(t->texts[i].text, name))
			return t->texts[i].id;
	uint32_t id = lt_astream_text(s, name, strlen(name));
	if (t->n_texts < TEXT_CACHE) {
		snprintf(t->texts[t->n_texts].text, LT_UV_TEXT, "%s", name);
		t->texts[t->n_texts++].id = id;
	}
	return id;
}

#define INIT_UNREF 1u
#define INIT_REPEAT 2u

static uint32_t resource(struct lt_uv_thread *t, struct lt_attach_stream *s, uint32_t type, uint32_t stack,
			 uint32_t cb, int64_t delay_ms, unsigned flags, uint64_t ts)
{
	uint32_t id = ++s->next_id;
	uint32_t p[9] = {id, t->current, type, stack, 0, 0,
			 (uint32_t)(int32_t)(delay_ms > INT32_MAX ? INT32_MAX : delay_ms), cb, 0};
	lt_astream_put64(p + 4, lt_astream_rel(s, ts));
	lt_raw_writer_add(&s->w, LT_R_INIT, flags, p, 9);
	return id;
}

static void destroyed(struct lt_attach_stream *s, uint32_t rid, uint64_t ts)
{
	if (rid)
		lt_astream_r_event(s, LT_R_DESTROY, 0, rid, ts);
}

/* --- libuv --- */

/* What `record` calls a handle or request made by `api` (htype: the
 * handle's uv_handle_type when it is already set). */
static const char *type_name(unsigned api, unsigned htype)
{
	switch (api) {
	case LT_API_TIMER_START: case LT_API_TIMER_STOP: return "Timeout";
	case LT_API_IDLE_START: return "uv_idle";
	case LT_API_PREPARE_START: return "uv_prepare";
	case LT_API_CHECK_START: return "uv_check";
	case LT_API_ASYNC_INIT: return "uv_async";
	case LT_API_SIGNAL_START: return "SIGNALWRAP";
	case LT_API_POLL_START: return "uv_poll";
	case LT_API_TCP_INIT: return "TCPWRAP";
	case LT_API_PIPE_INIT: return "PIPEWRAP";
	case LT_API_UDP_INIT: case LT_API_UDP_RECV_START: return "UDPWRAP";
	case LT_API_READ_START: return htype == 12 ? "TCPWRAP" : htype == 14 ? "TTYWRAP" : "PIPEWRAP";
	case LT_API_LISTEN: return htype == 7 ? "PIPESERVERWRAP" : "TCPSERVERWRAP";
	case LT_API_WRITE: return "WRITEWRAP";
	case LT_API_CONNECT: return "TCPCONNECTWRAP";
	case LT_API_SHUTDOWN: return "SHUTDOWNWRAP";
	case LT_API_UDP_SEND: return "SENDWRAP";
	case LT_API_QUEUE_WORK: return "uv_work";
	case LT_API_FS: return "FSREQCALLBACK";
	case LT_API_GETADDRINFO: return "GETADDRINFOREQWRAP";
	default: return "uv_handle";
	}
}

/* ... and by its uv_handle_type (a handle first seen when it closes). */
static const char *type_of_handle(unsigned htype)
{
	static const char *const names[] = {
		[1] = "uv_async", [2] = "uv_check", [3] = "FSEVENTWRAP", [4] = "STATWATCHER", [6] = "uv_idle",
		[7] = "PIPEWRAP", [8] = "uv_poll", [9] = "uv_prepare", [10] = "PROCESSWRAP", [12] = "TCPWRAP",
		[13] = "Timeout", [14] = "TTYWRAP", [15] = "UDPWRAP", [16] = "SIGNALWRAP",
	};
	return htype < sizeof(names) / sizeof(names[0]) && names[htype] ? names[htype] : "uv_handle";
}

static int is_request(unsigned api)
{
	return api >= LT_API_WRITE && api <= LT_API_GETADDRINFO;
}

/* A callback address: known, or learnt now (its probes attached). */
static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void note_callback(struct lt_attach_uv *u, struct lt_uv_proc *p, uint64_t cb, unsigned api, uint64_t seen_ns)
{
	if (!cb)
		return;
	for (size_t i = 0; i < p->n_cb; i++)
		if (p->cb_addr[i] == cb)
			return;
	void *a = p->cb_addr;
	size_t cap = p->cap_cb;
	if (grow(&a, p->n_cb, &cap, sizeof(*p->cb_addr)) != 0)
		return;
	p->cb_addr = a;
	if (cap != p->cap_cb) {
		unsigned char *grown = realloc(p->cb_api, cap);
		if (!grown)
			return;
		p->cb_api = grown;
		p->cap_cb = cap;
	}
	p->cb_addr[p->n_cb] = cb;
	p->cb_api[p->n_cb] = (unsigned char)api;
	p->n_cb++;
	if (u->learn && u->learn(u->learn_ctx, p->pid, cb, (uint32_t)p->n_cb) == 0) {
		u->callbacks_learnt++;
		uint64_t now = mono_ns(), took = now > seen_ns ? now - seen_ns : 0;
		u->learn_ns_sum += took;
		if (took > u->learn_ns_max)
			u->learn_ns_max = took;
	} else if (u->learn) {
		u->callbacks_failed++;
	}
}

/* A handle or request opened by a call of the program's at `caller`. */
static void open_object(struct lt_attach_uv *u, struct lt_uv_proc *p, struct lt_uv_thread *t,
			struct lt_attach_stream *s, const struct lt_bpf_uv_event *e, uint64_t ts)
{
	unsigned api = e->hdr.aux;
	struct lt_uv_object *o = obj_get(u, p->pid, OBJ_UV, e->hdr.ptr);
	if (!o)
		return;
	int restart = api == LT_API_TIMER_START || api == LT_API_LISTEN || is_request(api);
	if (o->rid && !restart && o->tid == s->tid)
		return; /* started again: the same handle */
	if (o->rid && o->tid == s->tid && !o->closing)
		destroyed(s, o->rid, ts); /* a timer restarted, a socket become a server */
	unsigned flags = 0;
	int64_t delay = -1;
	if (api == LT_API_TIMER_START) {
		delay = (int64_t)e->x1;
		flags |= e->x2 ? INIT_REPEAT : 0;
	}
	uint32_t stack = site_of(p, t, s, e->caller, 1);
	uint32_t cb = callback_string(p, s, e->cb);
	o->rid = resource(t, s, type_string(t, s, type_name(api, e->htype), 0), stack, cb, delay, flags, ts);
	o->tid = s->tid;
	o->api = (unsigned char)api;
	o->request = (unsigned char)is_request(api);
	o->closing = o->dead = 0;
}

static int walk_loop(struct lt_attach_uv *u, struct lt_uv_proc *p, uint64_t loop)
{
	if (!loop)
		return 0;
	for (unsigned i = 0; i < p->n_loops; i++)
		if (p->loops[i] == loop)
			return 0;
	if (p->n_loops < sizeof(p->loops) / sizeof(p->loops[0]))
		p->loops[p->n_loops++] = loop;
	static struct lt_uv_walked seen[4096];
	int n = lt_uv_loop_handles(p->pid, loop, seen, sizeof(seen) / sizeof(seen[0]));
	uint64_t now = mono_ns();
	for (int i = 0; i < n; i++) {
		const struct lt_uv_walked *w = &seen[i];
		struct lt_uv_object *o = obj_get(u, p->pid, OBJ_UV, w->handle);
		if (!o || o->rid || o->api)
			continue;
		int server = (w->type == 12 || w->type == 7) && w->cb[1] && !w->cb[0];
		o->htype = server ? 0 : (unsigned char)w->type;
		o->api = server ? LT_API_LISTEN : LT_API_STOP; /* typed by htype */
		note_callback(u, p, w->cb[0], o->api, now);
		note_callback(u, p, w->cb[1], LT_API_LISTEN, now);
	}
	return n;
}

int lt_attach_uv_walk_loop(struct lt_attach_uv *u, pid_t pid, uint64_t loop)
{
	struct lt_uv_proc *p = proc_of(u, pid);
	return p ? walk_loop(u, p, loop) : -ENOMEM;
}

static void on_call(struct lt_attach_uv *u, struct lt_uv_proc *p, struct lt_uv_thread *t,
		    struct lt_attach_stream *s, const struct lt_bpf_uv_event *e, uint64_t ts)
{
	unsigned api = e->hdr.aux;
	int internal = e->hdr.arg != 0;
	note_callback(u, p, e->cb, api == LT_API_TIMER_STOP ? LT_API_TIMER_START : api, e->hdr.ts);
	struct lt_uv_object *o = obj_find(u, p->pid, OBJ_UV, e->hdr.ptr);
	if (api == LT_API_RUN && u->learn)
		walk_loop(u, p, e->hdr.ptr); /* a loop not seen yet: its handles */
	else if (!p->n_loops && u->learn && e->htype >= 1 && e->htype <= 16 && !is_request(api) &&
		 api != LT_API_TCP_INIT && api != LT_API_PIPE_INIT && api != LT_API_UDP_INIT &&
		 api != LT_API_ASYNC_INIT)
		/* not the default loop (uvloop, luv's own): the first handle tells it */
		walk_loop(u, p, lt_uv_handle_loop(p->pid, e->hdr.ptr));
	if (internal)
		return; /* libuv's own handles and re-arms: the program did not ask */
	switch (api) {
	case LT_API_TIMER_START: case LT_API_IDLE_START: case LT_API_PREPARE_START: case LT_API_CHECK_START:
	case LT_API_ASYNC_INIT: case LT_API_SIGNAL_START: case LT_API_POLL_START: case LT_API_READ_START:
	case LT_API_LISTEN: case LT_API_UDP_RECV_START: case LT_API_TCP_INIT: case LT_API_PIPE_INIT:
	case LT_API_UDP_INIT:
		open_object(u, p, t, s, e, ts);
		break;
	case LT_API_WRITE: case LT_API_CONNECT: case LT_API_SHUTDOWN: case LT_API_UDP_SEND:
	case LT_API_QUEUE_WORK: case LT_API_FS: case LT_API_GETADDRINFO:
		if (e->cb) /* no callback: a synchronous call */
			open_object(u, p, t, s, e, ts);
		break;
	case LT_API_CLOSE:
		if (!o && e->cb) {
			/* made before the session: its close callback makes it known */
			o = obj_get(u, p->pid, OBJ_UV, e->hdr.ptr);
			if (!o)
				break;
			o->api = LT_API_CLOSE;
			o->htype = (unsigned char)e->htype;
			o->closing = 1;
			break;
		}
		if (!o)
			break;
		if (o->tid == s->tid && !o->dead) {
			destroyed(s, o->rid, ts);
			o->dead = 1;
		}
		o->rid = o->tid == s->tid ? o->rid : 0;
		if (e->cb)
			o->closing = 1; /* its close callback is still to come */
		else
			obj_forget(u, o);
		break;
	case LT_API_TIMER_STOP: /* a live timer cleared */
		if (o && o->rid && o->tid == s->tid && !o->dead && (e->hflags & UV_HANDLE_ACTIVE)) {
			destroyed(s, o->rid, ts);
			o->rid = 0;
		}
		break;
	case LT_API_REF: case LT_API_UNREF:
		if (o && o->rid && o->tid == s->tid) {
			uint32_t w[1] = {o->rid};
			lt_raw_writer_add(&s->w, LT_R_REF, api == LT_API_REF ? 1u : 0u, w, 1);
		}
		break;
	default:
		break;
	}
}

static void cb_begin(struct lt_attach_uv *u, struct lt_uv_proc *p, struct lt_uv_thread *t,
		     struct lt_attach_stream *s, const struct lt_bpf_event *e, uint64_t ts)
{
	unsigned index = (unsigned)e->arg;
	unsigned api = index >= 1 && index <= p->n_cb ? p->cb_api[index - 1] : 0;
	struct lt_uv_object *o = obj_get(u, p->pid, OBJ_UV, e->ptr);
	if (!o)
		return;
	if (!o->rid || o->tid != s->tid) {
		/* made before the session (or on another thread): learnt now */
		unsigned a = o->api ? o->api : api;
		const char *type = o->htype ? type_of_handle(o->htype) : type_name(a, 0);
		uint64_t cb = index >= 1 && index <= p->n_cb && !o->closing ? p->cb_addr[index - 1] : 0;
		o->rid = resource(t, s, type_string(t, s, type, 0), 0, callback_string(p, s, cb), -1, 0, ts);
		o->tid = s->tid;
		o->dead = 0;
		if (o->closing) { /* closed before we knew it */
			destroyed(s, o->rid, ts);
			o->dead = 1;
		}
		o->api = (unsigned char)a;
		o->request = (unsigned char)is_request(a);
	}
	if (s->polling) {
		uint32_t w[3] = {0, 0, 0};
		lt_astream_put64(w, ts);
		lt_raw_writer_add(&s->w, LT_POLL_EXIT, 0, w, 3);
		s->polling = 0;
	}
	lt_astream_r_event(s, LT_R_BEFORE, o->closing ? 1u : 0u, o->rid, ts);
	s->open = 1;
	s->open_rid = o->rid;
	t->current = o->rid;
	t->open_key = e->ptr;
	t->open_closing = o->closing;
	u->dispatches++;
}

static void cb_end(struct lt_attach_uv *u, struct lt_uv_proc *p, struct lt_uv_thread *t, struct lt_attach_stream *s,
		   uint64_t ts)
{
	if (!s->open)
		return;
	lt_astream_r_event(s, LT_R_AFTER, 0, s->open_rid, ts);
	struct lt_uv_object *o = obj_find(u, p->pid, OBJ_UV, t->open_key);
	if (o && o->rid == s->open_rid && o->tid == s->tid) {
		if (o->request && !o->dead)
			destroyed(s, o->rid, ts);
		/* (a handle closed inside its own callback waits for its close callback) */
		if (o->request || t->open_closing)
			obj_forget(u, o);
	}
	s->open = 0;
	t->current = 0;
	t->open_key = 0;
}

/* --- the probe API (probes/looptrace.h) --- */

enum { USDT_TASK_ENQUEUE = 1, USDT_HANDLE_OPEN, USDT_HANDLE_CLOSE, USDT_BEGIN, USDT_END, USDT_MARK };

static void on_usdt(struct lt_attach_uv *u, struct lt_uv_proc *p, struct lt_uv_thread *t,
		    struct lt_attach_stream *s, const struct lt_bpf_uv_event *e, uint64_t ts)
{
	char type[LT_UV_TEXT + 16];
	char text[LT_UV_TEXT];
	memcpy(text, e->text, sizeof(text));
	text[sizeof(text) - 1] = '\0';
	if (!text[0] && e->x1)
		(void)lt_uv_remote_string(p->pid, e->x1, text, sizeof(text));
	unsigned kind = e->hdr.aux;
	uint64_t key = e->hdr.ptr;
	struct lt_uv_object *o;
	switch (kind) {
	case USDT_TASK_ENQUEUE: case USDT_HANDLE_OPEN: {
		if (!key)
			break;
		int one_shot = kind == USDT_TASK_ENQUEUE;
		snprintf(type, sizeof(type), "usdt:%s", text[0] ? text : one_shot ? "task" : "handle");
		o = obj_get(u, p->pid, OBJ_USDT, key);
		if (!o)
			break;
		if (o->rid && o->one_shot && o->tid == s->tid)
			destroyed(s, o->rid, ts); /* enqueued again before it ran */
		o->rid = resource(t, s, type_string(t, s, type, 1), site_of(p, t, s, e->caller, 0), 0, -1, 0, ts);
		o->tid = s->tid;
		o->one_shot = (unsigned char)one_shot;
		break;
	}
	case USDT_HANDLE_CLOSE:
		o = obj_find(u, p->pid, OBJ_USDT, key);
		if (o) {
			if (o->tid == s->tid)
				destroyed(s, o->rid, ts);
			obj_forget(u, o);
		}
		break;
	case USDT_BEGIN:
		o = obj_find(u, p->pid, OBJ_USDT, key);
		if (!o || !o->rid || o->tid != s->tid)
			break;
		if (s->polling) {
			uint32_t w[3] = {0, 0, 0};
			lt_astream_put64(w, ts);
			lt_raw_writer_add(&s->w, LT_POLL_EXIT, 0, w, 3);
			s->polling = 0;
		}
		o->outer = t->current;
		lt_astream_r_event(s, LT_R_BEFORE, 0, o->rid, ts);
		t->current = o->rid;
		s->open = 1;
		s->open_rid = o->rid;
		u->dispatches++;
		break;
	case USDT_END:
		o = obj_find(u, p->pid, OBJ_USDT, key);
		if (!o || !o->rid || o->tid != s->tid)
			break;
		lt_astream_r_event(s, LT_R_AFTER, 0, o->rid, ts);
		t->current = o->outer;
		s->open = t->current != 0;
		s->open_rid = t->current;
		if (o->one_shot) {
			destroyed(s, o->rid, ts);
			obj_forget(u, o);
		}
		break;
	case USDT_MARK:
		snprintf(type, sizeof(type), "usdt:mark %s", text);
		destroyed(s, resource(t, s, type_string(t, s, type, 1), site_of(p, t, s, e->caller, 0), 0, -1,
				      INIT_UNREF, ts), ts);
		break;
	default:
		break;
	}
}

/* --- the loop --- */

static void ran_dry(struct lt_attach_stream *s, uint64_t ts)
{
	uint32_t w[3] = {0, 0, 0};
	lt_astream_put64(w, lt_astream_rel(s, ts));
	lt_raw_writer_add(&s->w, LT_EXIT_EMIT, 0, w, 3); /* 'beforeExit' */
	lt_raw_writer_add(&s->w, LT_EXIT_DONE, 0, w, 3);
}

int lt_attach_uv_event(struct lt_attach_uv *u, struct lt_attach_stream *s, const struct lt_bpf_event *e,
		       uint64_t ts)
{
	struct lt_uv_proc *p = proc_of(u, (pid_t)e->tgid);
	struct lt_uv_thread *t = thread_of(u, s);
	if (!p || !t)
		return -ENOMEM;
	const struct lt_bpf_uv_event *ue = (const struct lt_bpf_uv_event *)e;
	switch (e->kind) {
	case LT_EV_UV_CALL:
		on_call(u, p, t, s, ue, ts);
		break;
	case LT_EV_USDT:
		on_usdt(u, p, t, s, ue, ts);
		break;
	case LT_EV_UV_CB_BEGIN:
		if (s->open)
			cb_end(u, p, t, s, ts);
		cb_begin(u, p, t, s, e, ts);
		break;
	case LT_EV_UV_CB_END:
		cb_end(u, p, t, s, ts);
		break;
	case LT_EV_UV_WAIT_BEGIN: {
		if (s->polling)
			break;
		uint32_t w[3] = {0, 0, (uint32_t)e->arg};
		lt_astream_put64(w, ts);
		lt_raw_writer_add(&s->w, LT_POLL_ENTER, 0, w, 3);
		s->polling = 1;
		break;
	}
	case LT_EV_UV_WAIT_END: {
		if (!s->polling)
			break;
		uint32_t w[3] = {0, 0, (uint32_t)e->arg};
		lt_astream_put64(w, ts);
		lt_raw_writer_add(&s->w, LT_POLL_EXIT, 0, w, 3);
		s->polling = 0;
		break;
	}
	case LT_EV_UV_RUN_END:
		if (e->arg == 0 && e->aux == 0) /* UV_RUN_DEFAULT ran dry */
			ran_dry(s, ts);
		break;
	default:
		break;
	}
	return 0;
}

void lt_attach_uv_summary(const struct lt_attach_uv *u, char *buf, size_t len)
{
	snprintf(buf, len, "%llu callbacks probed (%llu not), registration to probe: mean %.2f ms, max %.2f ms",
		 (unsigned long long)u->callbacks_learnt, (unsigned long long)u->callbacks_failed,
		 u->callbacks_learnt ? (double)u->learn_ns_sum / (double)u->callbacks_learnt / 1e6 : 0.0,
		 (double)u->learn_ns_max / 1e6);
}

void lt_attach_uv_free(struct lt_attach_uv *u)
{
	for (size_t i = 0; i < u->n_procs; i++) {
		lt_proc_modules_free(&u->procs[i].mods);
		free(u->procs[i].cb_addr);
		free(u->procs[i].cb_api);
	}
	free(u->procs);
	free(u->objs);
	free(u->threads);
	memset(u, 0, sizeof(*u));
}
