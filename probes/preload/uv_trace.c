/*
 * uv_trace.c — resources, dispatches and creation sites of libuv handles
 * and requests, written as the Node agent's records (see uv_trace.h).
 *
 * A creation site is one native frame: the module (its real path) and the
 * return address relative to the module's load bias, marked by a column of
 * LT_FRAME_NATIVE (probes/wire.h); the importer turns it into function,
 * file and line from the module's DWARF.  Symbolising here would stall the
 * loop the first time each site is seen.
 */
#include "uv_trace.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "native_sampler.h"

#define TABLE_SLOTS 65536u  /* power of two */
#define SITE_CACHE 256u     /* per thread, direct mapped */
#define CALLBACK_CACHE 64u  /* per thread, direct mapped */
#define TYPE_CACHE 16u      /* per thread, direct mapped */
#define TYPE_CACHED_BYTES 40u
#define MOVED_MAX 256u      /* resources left on another thread, not yet destroyed there */
#define MODULE_CACHE 16u    /* per thread */
#define NAME_BYTES PATH_MAX

static struct lt_uv_entry table[TABLE_SLOTS];
static const void *const TOMBSTONE = &table;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static _Thread_local uint32_t tls_next_id, tls_next_stack, tls_current;
static _Thread_local int tls_started;
static _Thread_local uint64_t tls_base; /* LT_JS_START's time */
static _Thread_local struct {
	uintptr_t addr;
	uint32_t stack;
} tls_sites[SITE_CACHE];
static _Thread_local struct {
	uintptr_t bias;
	uint32_t path_id;
} tls_modules[MODULE_CACHE];
static _Thread_local unsigned tls_n_modules;
static _Thread_local struct {
	uintptr_t addr;
	uint32_t name;
} tls_callbacks[CALLBACK_CACHE];
static _Thread_local struct {
	const char *ptr;
	uint32_t id;
	char text[TYPE_CACHED_BYTES];
} tls_types[TYPE_CACHE];

/* Resources whose handle moved to another thread's loop (lt_uv_id_here):
 * their own thread writes their destroy.  Under table_lock. */
static struct {
	const void *thread;
	uint32_t id;
	uint64_t at_ns;
} moved[MOVED_MAX];
static unsigned n_moved;
static _Atomic unsigned moved_pending;
static _Atomic int made_resources; /* lt_uv_program */
static unsigned image; /* forks survived: an entry of an older image has no id in this process's logs */

int lt_uv_enabled(void)
{
	static int state; /* 0 unknown, 1 on, 2 off */
	if (!state) {
		/* Node's agent writes its own resources for the same handles. */
		int node = dlsym(RTLD_DEFAULT, "napi_module_register") != NULL;
		state = node || !looptrace_log_current() ? 2 : 1;
	}
	return state == 1 && looptrace_log_current() != NULL;
}

int lt_uv_program(void)
{
	static _Atomic int linked; /* 0 unknown, 1 yes, 2 no */
	/* lt_uv_enabled last: it makes the thread's log, which a process that
	 * is not a libuv program (a shell about to exec) must not get here */
	if (atomic_load_explicit(&made_resources, memory_order_relaxed))
		return 1;
	int l = atomic_load_explicit(&linked, memory_order_relaxed);
	if (!l) {
		void *libuv = dlopen("libuv.so.1", RTLD_LAZY | RTLD_NOLOAD);
		if (libuv)
			dlclose(libuv);
		l = libuv ? 1 : 2;
		atomic_store_explicit(&linked, l, memory_order_relaxed);
	}
	return l == 1 && lt_uv_enabled();
}

void *lt_uv_real(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);
	if (fn)
		return fn;
	void *libuv = dlopen("libuv.so.1", RTLD_LAZY | RTLD_NOLOAD);
	if (!libuv)
		return NULL;
	fn = dlsym(libuv, name);
	dlclose(libuv);
	return fn;
}

/* The address range of libuv's loaded segments, found once (dladdr per
 * call cost a loader lock and a walk of the link maps). */
struct module_range {
	uintptr_t bias, lo, hi;
};

static int range_of(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct module_range *r = data;
	if (info->dlpi_addr != r->bias)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (!r->lo || lo < r->lo)
			r->lo = lo;
		if (hi > r->hi)
			r->hi = hi;
	}
	return 1;
}

int lt_uv_internal(const void *caller, const void *real_fn)
{
	static _Atomic uintptr_t lo, hi; /* libuv is never unloaded while its handles live */
	uintptr_t c = (uintptr_t)caller, f = (uintptr_t)real_fn;
	if (!real_fn)
		return 0;
	uintptr_t l = atomic_load_explicit(&lo, memory_order_relaxed), h = atomic_load_explicit(&hi, memory_order_relaxed);
	if (!(l && f >= l && f < h)) {
		struct link_map *map = NULL;
		Dl_info info;
		if (!dladdr1(real_fn, &info, (void **)&map, RTLD_DL_LINKMAP) || !map)
			return 0;
		struct module_range r = {map->l_addr, 0, 0};
		dl_iterate_phdr(range_of, &r);
		if (!(f >= r.lo && f < r.hi))
			return 0;
		atomic_store_explicit(&lo, r.lo, memory_order_relaxed);
		atomic_store_explicit(&hi, r.hi, memory_order_relaxed);
		l = r.lo;
		h = r.hi;
	}
	return c >= l && c < h;
}

static size_t slot_of(const void *key)
{
	uintptr_t k = (uintptr_t)key;
	k ^= k >> 17;
	k *= 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 40) & (TABLE_SLOTS - 1u);
}

struct lt_uv_entry *lt_uv_lookup(const void *key, int create)
{
	struct lt_uv_entry *found = NULL, *free_slot = NULL;
	pthread_mutex_lock(&table_lock);
	size_t i = slot_of(key);
	for (size_t n = 0; n < TABLE_SLOTS; n++, i = (i + 1) & (TABLE_SLOTS - 1u)) {
		struct lt_uv_entry *e = &table[i];
		if (e->key == key) {
			found = e;
			break;
		}
		if (e->key == TOMBSTONE && !free_slot)
			free_slot = e;
		if (!e->key) {
			if (!free_slot)
				free_slot = e;
			break;
		}
	}
	if (!found && create && free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		free_slot->key = key;
		found = free_slot;
	}
	pthread_mutex_unlock(&table_lock);
	return found;
}

void lt_uv_forget(const void *key)
{
	struct lt_uv_entry *e = lt_uv_lookup(key, 0);
	if (!e)
		return;
	pthread_mutex_lock(&table_lock);
	e->key = TOMBSTONE;
	pthread_mutex_unlock(&table_lock);
}

/* The thread's LT_JS_START (the base of the times below), before its first
 * resource: the loop's thread starts being a loop. */
static void ensure_started(struct lt_log *log)
{
	if (tls_started)
		return;
	tls_started = 1;
	char exe[NAME_BYTES];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	uint32_t script = lt_record_string(log, exe, n > 0 ? (size_t)n : 0);
	uint32_t *rec = lt_record_begin(log, 6);
	if (!rec)
		return;
	tls_base = lt_now_ns();
	lt_put_ts(rec + 1, tls_base);
	pid_t pid = getpid(), tid = gettid();
	rec[3] = pid == tid ? 0u : (uint32_t)tid;
	rec[4] = script;
	rec[5] = 0;
	lt_record_commit(log, rec, lt_record_header(LT_JS_START, 0, 6));
}

/* The real path of a module (the main program's l_name is empty). */
static void module_path(const Dl_info *info, const struct link_map *map, char path[NAME_BYTES])
{
	const char *name = info->dli_fname && info->dli_fname[0] && map->l_name[0] ? info->dli_fname : "/proc/self/exe";
	if (!realpath(name, path))
		snprintf(path, NAME_BYTES, "%s", name);
}

/* The string id of the module path holding `addr`, and its load bias. */
static uint32_t module_of(struct lt_log *log, const void *addr, uintptr_t *bias)
{
	Dl_info info;
	struct link_map *map = NULL;
	if (!dladdr1(addr, &info, (void **)&map, RTLD_DL_LINKMAP) || !map)
		return 0;
	*bias = map->l_addr;
	for (unsigned i = 0; i < tls_n_modules; i++)
		if (tls_modules[i].bias == map->l_addr)
			return tls_modules[i].path_id;
	char path[NAME_BYTES];
	module_path(&info, map, path);
	uint32_t id = lt_record_string(log, path, strlen(path));
	if (id && tls_n_modules < MODULE_CACHE) {
		tls_modules[tls_n_modules].bias = map->l_addr;
		tls_modules[tls_n_modules++].path_id = id;
	}
	return id;
}

/* One LT_STACK of native frames, innermost first: frame 0 is the
 * interrupted instruction itself when `first_exact`, every other frame a
 * return address (its call instruction is the byte before).  0: not written. */
static uint32_t native_stack(struct lt_log *log, const uintptr_t *frames, int n, int first_exact)
{
	uint32_t fn[LT_SAMPLER_FRAMES], path[LT_SAMPLER_FRAMES], addr[LT_SAMPLER_FRAMES];
	int kept = 0;
	for (int i = 0; i < n && kept < LT_SAMPLER_FRAMES; i++) {
		uintptr_t bias = 0;
		uint32_t module = module_of(log, (const void *)frames[i], &bias);
		if (!module)
			continue;
		Dl_info info;
		const char *sym = dladdr((const void *)frames[i], &info) && info.dli_sname ? info.dli_sname : "";
		fn[kept] = lt_record_string(log, sym, strlen(sym));
		path[kept] = module;
		addr[kept] = (uint32_t)(frames[i] - bias - (i == 0 && first_exact ? 0u : 1u));
		kept++;
	}
	if (!kept)
		return 0;
	uint32_t words = 3u + 4u * (uint32_t)kept;
	uint32_t *rec = lt_record_begin(log, words);
	if (!rec)
		return 0;
	uint32_t id = ++tls_next_stack;
	rec[1] = id;
	rec[2] = (uint32_t)kept;
	for (int i = 0; i < kept; i++) {
		rec[3 + 4 * i] = fn[i];
		rec[4 + 4 * i] = path[i];
		rec[5 + 4 * i] = addr[i];
		rec[6 + 4 * i] = LT_FRAME_NATIVE;
	}
	lt_record_commit(log, rec, lt_record_header(LT_STACK, 0, words));
	return id;
}

/* One LT_STACK of the native frame at return address `caller`. */
static uint32_t site_of(struct lt_log *log, const void *caller)
{
	uintptr_t a = (uintptr_t)caller;
	unsigned slot = (unsigned)((a >> 2) ^ (a >> 11)) & (SITE_CACHE - 1u);
	if (tls_sites[slot].addr == a && tls_sites[slot].stack)
		return tls_sites[slot].stack;
	uint32_t id = native_stack(log, &a, 1, 0);
	if (!id)
		return 0;
	tls_sites[slot].addr = a;
	tls_sites[slot].stack = id;
	return id;
}

/* The callback as its address in its module (LT_NATIVE_CALLBACK): a static
 * function has no dynamic symbol to name it by here. */
static uint32_t callback_name(struct lt_log *log, const void *callback)
{
	Dl_info info;
	struct link_map *map = NULL;
	if (!callback)
		return 0;
	/* the string once per thread and callback: dladdr and realpath cost
	 * microseconds, and a timer restarted from its callback is a resource
	 * per run */
	uintptr_t a = (uintptr_t)callback;
	unsigned slot = (unsigned)((a >> 2) ^ (a >> 9)) & (CALLBACK_CACHE - 1u);
	if (tls_callbacks[slot].addr == a && tls_callbacks[slot].name)
		return tls_callbacks[slot].name;
	if (!dladdr1(callback, &info, (void **)&map, RTLD_DL_LINKMAP) || !map)
		return 0;
	char path[NAME_BYTES], text[NAME_BYTES + 32];
	module_path(&info, map, path);
	int n = snprintf(text, sizeof(text), "%c%lx %s", LT_NATIVE_CALLBACK,
			 (unsigned long)((uintptr_t)callback - map->l_addr), path);
	uint32_t id = n > 0 ? lt_record_string(log, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1) : 0;
	if (id) {
		tls_callbacks[slot].addr = a;
		tls_callbacks[slot].name = id;
	}
	return id;
}

static uint64_t rel_now(void) { return lt_now_ns() - tls_base; }

/* The string id of a resource type, written once per thread and type (the
 * probe API's types are built in a buffer: the text is compared too). */
static uint32_t type_string(struct lt_log *log, const char *type)
{
	size_t n = strlen(type);
	uintptr_t a = (uintptr_t)type;
	unsigned slot = (unsigned)((a >> 3) ^ (a >> 11)) & (TYPE_CACHE - 1u);
	if (tls_types[slot].ptr == type && tls_types[slot].id && n < TYPE_CACHED_BYTES &&
	    memcmp(tls_types[slot].text, type, n + 1) == 0)
		return tls_types[slot].id;
	uint32_t id = lt_record_string(log, type, n);
	if (id && n < TYPE_CACHED_BYTES) {
		tls_types[slot].ptr = type;
		tls_types[slot].id = id;
		memcpy(tls_types[slot].text, type, n + 1);
	}
	return id;
}

static void write_destroy(struct lt_log *log, uint32_t id, uint64_t rel)
{
	uint32_t *rec = lt_record_begin(log, 4);
	if (!rec)
		return;
	rec[1] = id;
	lt_put_ts(rec + 2, rel);
	lt_record_commit(log, rec, lt_record_header(LT_R_DESTROY, 0, 4));
}

/* The destroys this thread owes for resources that moved away. */
static void settle_moved(struct lt_log *log)
{
	if (!atomic_load_explicit(&moved_pending, memory_order_relaxed) || !tls_started)
		return;
	pthread_mutex_lock(&table_lock);
	for (unsigned i = 0; i < n_moved;) {
		if (moved[i].thread != &tls_started) {
			i++;
			continue;
		}
		write_destroy(log, moved[i].id, moved[i].at_ns > tls_base ? moved[i].at_ns - tls_base : 0);
		moved[i] = moved[--n_moved];
	}
	atomic_store_explicit(&moved_pending, n_moved, memory_order_relaxed);
	pthread_mutex_unlock(&table_lock);
}

static void note_moved(const void *thread, uint32_t id)
{
	uint64_t now = lt_now_ns();
	pthread_mutex_lock(&table_lock);
	if (n_moved < MOVED_MAX) {
		moved[n_moved].thread = thread;
		moved[n_moved].id = id;
		moved[n_moved++].at_ns = now;
		atomic_store_explicit(&moved_pending, n_moved, memory_order_relaxed);
	}
	pthread_mutex_unlock(&table_lock);
}

void lt_uv_at_exit(void)
{
	/* never a log made here: a process that traced no handle (a shell's
	 * exec'd command) must leave no capture behind */
	struct lt_log *log = tls_started ? lt_capture_existing_log() : NULL;
	if (log)
		settle_moved(log);
}

uint32_t lt_uv_resource(const char *type, const void *caller, const void *callback, int64_t delay_ms, unsigned flags)
{
	if (!lt_uv_enabled())
		return 0;
	struct lt_log *log = looptrace_log_current();
	ensure_started(log);
	settle_moved(log);
	uint32_t type_id = type_string(log, type);
	uint32_t stack = site_of(log, caller);
	uint32_t cb = callback_name(log, callback);
	uint32_t *rec = lt_record_begin(log, 10);
	if (!rec)
		return 0;
	uint32_t id = ++tls_next_id;
	if (id == 1)
		atomic_store_explicit(&made_resources, 1, memory_order_relaxed);
	rec[1] = id;
	rec[2] = tls_current;
	rec[3] = type_id;
	rec[4] = stack;
	lt_put_ts(rec + 5, rel_now());
	rec[7] = (uint32_t)(int32_t)(delay_ms > INT32_MAX ? INT32_MAX : delay_ms);
	rec[8] = cb;
	rec[9] = 0;
	lt_record_commit(log, rec, lt_record_header(LT_R_INIT, flags & (LT_UV_UNREF | LT_UV_REPEAT), 10));
	return id;
}

/* A record of resource `id`: its id, then (with_time) the rel64 time. */
void lt_uv_open(struct lt_uv_entry *e, const char *type, const void *caller, const void *callback,
		int64_t delay_ms, unsigned flags)
{
	e->type = type;
	e->caller = caller;
	e->callback = callback;
	e->delay_ms = delay_ms;
	e->flags = flags;
	e->thread = &tls_started;
	e->image = image;
	e->id = lt_uv_resource(type, caller, callback, delay_ms, flags);
}

uint32_t lt_uv_id_here(struct lt_uv_entry *e)
{
	if (e->type && (e->thread != &tls_started || e->image != image)) {
		if (e->id && e->image == image)
			note_moved(e->thread, e->id);
		lt_uv_open(e, e->type, e->caller, e->callback, e->delay_ms, e->flags);
	}
	return e->id;
}

static void resource_event_of(unsigned kind, unsigned aux, uint32_t id, int with_time)
{
	if (!id || !lt_uv_enabled())
		return;
	struct lt_log *log = looptrace_log_current();
	settle_moved(log);
	uint32_t words = with_time ? 4u : 2u;
	uint32_t *rec = lt_record_begin(log, words);
	if (!rec)
		return;
	rec[1] = id;
	if (with_time)
		lt_put_ts(rec + 2, rel_now());
	lt_record_commit(log, rec, lt_record_header(kind, aux, words));
}

static void resource_event(unsigned kind, unsigned aux, uint32_t id) { resource_event_of(kind, aux, id, 1); }

/* An LT_SAMPLE of a long native callback (native_sampler.h): its frames
 * as one stack, its time, how long the callback had run. */
static void write_sample(const uintptr_t *frames, int n, uint64_t ts, uint64_t busy_ns)
{
	struct lt_log *log = looptrace_log_current();
	if (!log)
		return;
	uint32_t stack = native_stack(log, frames, n, 1);
	uint32_t *rec = lt_record_begin(log, 7);
	if (!rec)
		return;
	lt_put_ts(rec + 1, ts);
	rec[3] = stack;
	rec[4] = busy_ns > UINT32_MAX ? UINT32_MAX : (uint32_t)busy_ns;
	rec[5] = UINT32_MAX; /* on-CPU and run-queue time: not known here */
	rec[6] = UINT32_MAX;
	lt_record_commit(log, rec, lt_record_header(LT_SAMPLE, 0, 7));
}

/* LT_SAMPLING, once per thread: whether its long callbacks are sampled. */
static void note_sampling(void)
{
	static _Thread_local int noted;
	struct lt_log *log = looptrace_log_current();
	if (noted || !log)
		return;
	noted = 1;
	const char *v = getenv("LOOPTRACE_SAMPLE_MS");
	int off = v && *v && strtol(v, NULL, 10) <= 0;
	uint32_t *rec = lt_record_begin(log, 3);
	if (!rec)
		return;
	rec[1] = 0; /* no Node ABI */
	rec[2] = off ? 0u : v && *v ? (uint32_t)strtol(v, NULL, 10) : 40u;
	unsigned state = off ? LT_SAMPLING_OFF : lt_native_sampler_on() ? LT_SAMPLING_ON : LT_SAMPLING_UNAVAILABLE;
	lt_record_commit(log, rec, lt_record_header(LT_SAMPLING, state, 3));
}

uint32_t lt_uv_begin(uint32_t id, int closing)
{
	uint32_t outer = tls_current;
	resource_event(LT_R_BEFORE, closing ? 1u : 0u, id);
	tls_current = id;
	if (!outer && id && lt_uv_enabled()) {
		lt_native_sampler_begin();
		note_sampling();
	}
	return outer;
}

void lt_uv_end(uint32_t id, uint32_t outer)
{
	if (!outer && id && lt_uv_enabled())
		lt_native_sampler_end(write_sample);
	resource_event(LT_R_AFTER, 0, id);
	tls_current = outer;
}

void lt_uv_destroyed(uint32_t id) { resource_event(LT_R_DESTROY, 0, id); }

void lt_uv_ref(uint32_t id, int ref) { resource_event_of(LT_R_REF, ref ? 1u : 0u, id, 0); }

/* A record of a rel64 time and one more word (LT_EXIT_EMIT, LT_EXIT_DONE). */
static void time_record(struct lt_log *log, unsigned kind, unsigned aux)
{
	uint32_t *rec = lt_record_begin(log, 4);
	if (!rec)
		return;
	lt_put_ts(rec + 1, rel_now());
	rec[3] = 0;
	lt_record_commit(log, rec, lt_record_header(kind, aux, 4));
}

void lt_uv_ran_dry(void)
{
	if (!tls_started || !lt_uv_enabled())
		return;
	struct lt_log *log = looptrace_log_current();
	time_record(log, LT_EXIT_EMIT, 0); /* 'beforeExit' */
	time_record(log, LT_EXIT_DONE, 0);
}

void lt_uv_pool_submitted(struct lt_uv_entry *e, unsigned kind)
{
	e->pool = kind;
	e->submit_ns = lt_now_ns();
	e->start_ns = e->end_ns = 0;
}

void lt_uv_take_done(const void *key, struct lt_uv_done *d)
{
	memset(d, 0, sizeof(*d));
	struct lt_uv_entry *e = lt_uv_lookup(key, 0);
	if (!e)
		return;
	d->id = lt_uv_id_here(e);
	d->cb = e->cb;
	d->pool = e->pool;
	d->submit_ns = e->submit_ns;
	d->start_ns = e->start_ns;
	d->end_ns = e->end_ns;
	lt_uv_forget(key);
}

static uint32_t capped_ns(uint64_t from, uint64_t to)
{
	if (!from || to < from)
		return LT_WORK_UNSEEN;
	uint64_t ns = to - from;
	return ns >= LT_WORK_UNSEEN ? LT_WORK_UNSEEN - 1u : (uint32_t)ns;
}

void lt_uv_pool_done(const struct lt_uv_done *d)
{
	if (!d->pool || !d->submit_ns || !lt_uv_enabled())
		return;
	struct lt_log *log = looptrace_log_current();
	uint32_t *rec = lt_record_begin(log, 7);
	if (!rec)
		return;
	int ran = d->start_ns && d->end_ns >= d->start_ns;
	lt_put_ts(rec + 1, d->submit_ns);
	rec[3] = ran ? capped_ns(d->submit_ns, d->start_ns) : LT_WORK_UNSEEN;
	rec[4] = ran ? capped_ns(d->start_ns, d->end_ns) : LT_WORK_UNSEEN;
	rec[5] = capped_ns(d->submit_ns, lt_now_ns());
	rec[6] = d->id;
	lt_record_commit(log, rec, lt_record_header(LT_WORK, d->pool, 7));
}

void lt_uv_after_fork_child(void)
{
	image++;
	tls_started = 0;
	tls_next_id = tls_next_stack = tls_current = 0;
	tls_n_modules = 0;
	memset(tls_sites, 0, sizeof(tls_sites));
	memset(tls_callbacks, 0, sizeof(tls_callbacks));
	memset(tls_types, 0, sizeof(tls_types));
	/* the parent's threads are not here to settle their moves */
	n_moved = 0;
	atomic_store_explicit(&moved_pending, 0, memory_order_relaxed);
	pthread_mutex_init(&table_lock, NULL);
}
