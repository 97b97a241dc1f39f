/*
 * addon.c — looptrace.node, the agent's window onto the preload library.
 *
 * The agent writes records straight into the calling thread's capture log
 * (probes/preload/capture.h) through typed arrays over the shared mapping;
 * this addon only hands out those views:
 *   attach()        -> {ctl, words, base, clock, startNs} or undefined when
 *                      the preload library is absent or capture is off.
 *                      Writes LT_JS_START, whose timestamp is the base of
 *                      every agent-relative time in this log.
 *   advance(words)  -> {words, base, lost}: views of the chunk that now holds
 *                      the cursor, with room for `words` words (the writer's
 *                      scratch chunk while records are being dropped); null
 *                      when capture stopped.
 * The preload library is found with dlsym at load time; without it the addon
 * loads fine and attach() returns undefined, so the program runs untraced.
 *
 * Ownership: the views are external ArrayBuffers over memory that lives as
 * long as the process (ring slots, control page, clock word): no finalizer.
 * Each env keeps the view of each chunk it was given (struct view_cache,
 * its instance data) and hands the same one out when the ring comes back
 * to that chunk.
 */
#include <dlfcn.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "../preload/capture.h"
#include "../wire.h"

struct preload_api {
	struct lt_log *(*log_current)(void);
	int (*log_advance)(struct lt_log *, uint32_t);
	struct lt_file_header *(*log_header)(struct lt_log *);
	uint32_t *(*log_chunk)(struct lt_log *, uint32_t *);
	const volatile uint32_t *(*coarse_clock)(void);
	uint64_t (*now_ns)(void);
};

static struct preload_api api;
static int api_ready;

static void api_resolve(void)
{
	api.log_current = (struct lt_log * (*)(void)) dlsym(RTLD_DEFAULT, LT_SYM_LOG_CURRENT);
	api.log_advance = (int (*)(struct lt_log *, uint32_t))dlsym(RTLD_DEFAULT, LT_SYM_LOG_ADVANCE);
	api.log_header = (struct lt_file_header * (*)(struct lt_log *))
		dlsym(RTLD_DEFAULT, LT_SYM_LOG_HEADER);
	api.log_chunk = (uint32_t * (*)(struct lt_log *, uint32_t *)) dlsym(RTLD_DEFAULT, LT_SYM_LOG_CHUNK);
	api.coarse_clock = (const volatile uint32_t *(*)(void))dlsym(RTLD_DEFAULT, LT_SYM_COARSE_CLOCK);
	api.now_ns = (uint64_t(*)(void))dlsym(RTLD_DEFAULT, LT_SYM_NOW_NS);
	api_ready = api.log_current && api.log_advance && api.log_header && api.log_chunk &&
		    api.coarse_clock && api.now_ns;
}

#define NAPI_OK(call)                                                                   \
	do {                                                                            \
		if ((call) != napi_ok)                                                  \
			return NULL;                                                    \
	} while (0)

static napi_value int32_view(napi_env env, void *mem, size_t words)
{
	napi_value buffer, view;
	NAPI_OK(napi_create_external_arraybuffer(env, mem, words * 4, NULL, NULL, &buffer));
	NAPI_OK(napi_create_typedarray(env, napi_int32_array, words, buffer, 0, &view));
	return view;
}

/* A ring's chunks come back at every pass over it.  A new external
 * ArrayBuffer per chunk was 4 MiB more external memory each time, which V8
 * weighs toward its next full collection: an express service writing ~20
 * MB/s of records ran a mark-compact every 0.5 s (7 in 4 s, against 1
 * untraced; `--trace-gc`).  So an env makes one view per chunk address (the
 * ring's slots and the scratch chunk: logs and their mappings are never
 * freed, so an address always means the same memory) and keeps it; past
 * VIEW_CACHE_SLOTS chunks (a ring over 1 GiB) views are made afresh. */
#define VIEW_CACHE_SLOTS 256

struct view_cache {
	const void *mem[VIEW_CACHE_SLOTS];
	napi_ref view[VIEW_CACHE_SLOTS];
	size_t n;
};

static void free_view_cache(napi_env env, void *data, void *hint)
{
	(void)hint;
	struct view_cache *c = data;
	for (size_t i = 0; i < c->n; i++)
		napi_delete_reference(env, c->view[i]);
	free(c);
}

static struct view_cache *view_cache_of(napi_env env)
{
	void *data = NULL;
	if (napi_get_instance_data(env, &data) != napi_ok)
		return NULL;
	if (data)
		return data;
	struct view_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (napi_set_instance_data(env, c, free_view_cache, NULL) != napi_ok) {
		free(c);
		return NULL;
	}
	return c;
}

/* The Int32Array over a chunk (LT_CHUNK_WORDS words at mem): the one made
 * before for the same address, else a new one, kept when there is room. */
static napi_value chunk_view(napi_env env, void *mem)
{
	struct view_cache *c = view_cache_of(env);
	napi_value view;
	for (size_t i = 0; c && i < c->n; i++)
		if (c->mem[i] == mem && napi_get_reference_value(env, c->view[i], &view) == napi_ok && view)
			return view;
	view = int32_view(env, mem, LT_CHUNK_WORDS);
	if (view && c && c->n < VIEW_CACHE_SLOTS && napi_create_reference(env, view, 1, &c->view[c->n]) == napi_ok)
		c->mem[c->n++] = mem;
	return view;
}

static napi_status set_number(napi_env env, napi_value obj, const char *key, double v)
{
	napi_value n;
	napi_status s = napi_create_double(env, v, &n);
	return s == napi_ok ? napi_set_named_property(env, obj, key, n) : s;
}

/* {words, base, lost} for the chunk holding the cursor.  base is the
 * cursor value of the chunk's first word as an int32 (negative for the
 * writer's scratch chunk during a gap); lost changes whenever records were
 * dropped, so the agent knows its string and stack ids may be undefined. */
static napi_value chunk_object(napi_env env, struct lt_log *log)
{
	uint32_t base;
	uint32_t *words = api.log_chunk(log, &base);
	const struct lt_file_header *hdr = api.log_header(log);
	napi_value obj, view = chunk_view(env, words);
	if (!view)
		return NULL;
	NAPI_OK(napi_create_object(env, &obj));
	NAPI_OK(napi_set_named_property(env, obj, "words", view));
	NAPI_OK(set_number(env, obj, "base", (double)(int32_t)base));
	NAPI_OK(set_number(env, obj, "lost", (double)(hdr->loss.events + hdr->loss.gaps)));
	return obj;
}

static napi_value attach(napi_env env, napi_callback_info info)
{
	(void)info;
	napi_value undefined;
	NAPI_OK(napi_get_undefined(env, &undefined));
	struct lt_log *log = api_ready ? api.log_current() : NULL;
	if (!log)
		return undefined;
	if (api.log_advance(log, 3) != 0)
		return undefined;

	struct lt_file_header *hdr = api.log_header(log);
	napi_value obj = chunk_object(env, log);
	if (!obj)
		return undefined;
	napi_value ctl = int32_view(env, hdr, LT_HEADER_BYTES / 4);
	napi_value clock = int32_view(env, (void *)api.coarse_clock(), 1);
	if (!ctl || !clock)
		return undefined;
	NAPI_OK(napi_set_named_property(env, obj, "ctl", ctl));
	NAPI_OK(napi_set_named_property(env, obj, "clock", clock));
	return obj;
}

/* startNs(): now, for the agent's LT_JS_START record (as two 32-bit halves
 * so no precision is lost in a double). */
static napi_value start_ns(napi_env env, napi_callback_info info)
{
	(void)info;
	uint64_t now = api_ready ? api.now_ns() : 0;
	napi_value arr, lo, hi;
	NAPI_OK(napi_create_array_with_length(env, 2, &arr));
	NAPI_OK(napi_create_uint32(env, (uint32_t)now, &lo));
	NAPI_OK(napi_create_uint32(env, (uint32_t)(now >> 32), &hi));
	NAPI_OK(napi_set_element(env, arr, 0, lo));
	NAPI_OK(napi_set_element(env, arr, 1, hi));
	return arr;
}

/* CPU time of the calling thread in ms: what the agent's stack captures
 * cost it, whatever else the machine or the process's other threads do. */
static napi_value thread_cpu_ms(napi_env env, napi_callback_info info)
{
	(void)info;
	struct timespec ts;
	double ms = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0
			    ? (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6
			    : 0;
	napi_value v;
	NAPI_OK(napi_create_double(env, ms, &v));
	return v;
}

static napi_value advance(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1], null;
	NAPI_OK(napi_get_null(env, &null));
	NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	uint32_t words = 0;
	if (argc < 1 || napi_get_value_uint32(env, argv[0], &words) != napi_ok)
		return null;
	struct lt_log *log = api_ready ? api.log_current() : NULL;
	if (!log || api.log_advance(log, words) != 0)
		return null;
	napi_value obj = chunk_object(env, log);
	return obj ? obj : null;
}

static napi_value init(napi_env env, napi_value exports)
{
	if (!api_ready)
		api_resolve();
	const napi_property_descriptor props[] = {
		{"attach", NULL, attach, NULL, NULL, NULL, napi_default, NULL},
		{"advance", NULL, advance, NULL, NULL, NULL, napi_default, NULL},
		{"startNs", NULL, start_ns, NULL, NULL, NULL, napi_default, NULL},
		{"threadCpuMs", NULL, thread_cpu_ms, NULL, NULL, NULL, napi_default, NULL},
	};
	NAPI_OK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
