/*
 * watchdog.cc — looptrace-watchdog-abi<N>.node: JS stacks sampled while a
 * dispatch runs long ("in-dispatch samples").
 *
 * One watchdog thread per process polls every registered JS thread each
 * WATCH_PERIOD_MS.  The preload library keeps, per traced thread, the moment
 * it last left epoll (0 while it waits there): a thread busy for the
 * threshold or longer gets a v8::Isolate::RequestInterrupt, and the
 * interrupt callback (on the JS thread, at a safe point, running no JS)
 * copies the current stack into this module's buffer.  It never writes to
 * the capture ring — the agent may be half way through a record there — so
 * it raises a flag word that the agent reads at its next resource
 * before/after, main end and exit marks, where it calls take() and writes
 * the samples as LT_STACK + LT_SAMPLE records itself.
 *
 * JS API (N-API; the V8 calls are the only reason this is C++, and the
 * reason it is built once per Node ABI):
 *   start(thresholdMs, profileUs)
 *                      -> Int32Array flag view (flag[0] = samples waiting,
 *                         flag[1] = the CPU profile wants reading), or
 *                         undefined when the preload library is absent.
 *                         profileUs > 0 also runs V8's CPU profiler at that
 *                         interval for samples inside native code (below).
 *   take(now)          -> [n, then per sample: tsLo, tsHi, busyNs, onCpuNs,
 *                          runqNs, frames, then per frame: function, file,
 *                          line, column], or undefined when nothing waits.
 *                          onCpuNs/runqNs: the thread's time on a CPU and
 *                          waiting for one since the watchdog first saw the
 *                          busy period (4294967295: unknown).  Native-code
 *                          samples come last, their frames' lines being the
 *                          line that made the call inside (column 0).
 *   where(fn)          -> [name, file, line, column] where a function is
 *                         defined (for unhandled rejections of then/catch).
 *
 * Ownership: slots are allocated at start() and kept for the process
 * lifetime, reused by later threads once the thread that held one has
 * gone (its env cleanup hook releases it); the watchdog never frees memory
 * an interrupt in flight may still reach.  Locking: one mutex guards
 * registration, the schedule and the isolate of each slot; the samples of a
 * slot are only touched on its JS thread (interrupt callback and take()).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "watchdog.h"

namespace lt_watchdog {

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
slot *slots[MAX_SLOTS];
uint64_t threshold_ns = 40ull * 1000 * 1000;
int watching;
int exiting; // the process is exiting: request nothing more

void stop_watching()
{
	pthread_mutex_lock(&lock);
	exiting = 1;
	pthread_mutex_unlock(&lock);
}

preload_api api;

bool resolve_api()
{
	api.log_current = reinterpret_cast<lt_log *(*)(void)>(dlsym(RTLD_DEFAULT, LT_SYM_LOG_CURRENT));
	api.log_busy_since =
		reinterpret_cast<uint64_t *(*)(lt_log *)>(dlsym(RTLD_DEFAULT, LT_SYM_LOG_BUSY_SINCE));
	api.now_ns = reinterpret_cast<uint64_t (*)(void)>(dlsym(RTLD_DEFAULT, LT_SYM_NOW_NS));
	api.helper_thread = reinterpret_cast<int (*)(void *(*)(void *), void *)>(
		dlsym(RTLD_DEFAULT, LT_SYM_HELPER_THREAD));
	return api.log_current && api.log_busy_since && api.now_ns && api.helper_thread;
}

// Gap to the next sample after the k-th (k >= 1): 25 ms twice, then doubling
// up to 200 ms, so a 1 s busy period gets 8 samples and the first 3.2 s of
// a longer one 20.  A busy period is often several dispatches (a long
// start-up and the first callbacks after it): gaps that kept doubling left
// a 280 ms callback after a 1 s start-up with no sample at all.
uint64_t gap_after(unsigned k)
{
	if (k <= 2)
		return FIRST_GAP_NS;
	unsigned shift = k - 2 < 3 ? k - 2 : 3;
	return FIRST_GAP_NS << shift;
}

void copy_utf8(v8::Isolate *isolate, v8::Local<v8::String> s, char *out, size_t cap)
{
	out[0] = '\0';
	if (s.IsEmpty())
		return;
	v8::String::Utf8Value utf8(isolate, s);
	if (!*utf8)
		return;
	size_t n = static_cast<size_t>(utf8.length());
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && (static_cast<unsigned char>((*utf8)[n]) & 0xc0) == 0x80)
			n--; // do not cut a UTF-8 sequence
	}
	memcpy(out, *utf8, n);
	out[n] = '\0';
}

void copy_text(const char *text, char *out, size_t cap)
{
	size_t n = text ? strlen(text) : 0;
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80)
			n--;
	}
	if (n)
		memcpy(out, text, n);
	out[n] = '\0';
}

void on_interrupt(v8::Isolate *isolate, void *data)
{
	slot *s = static_cast<slot *>(data);
	pthread_mutex_lock(&lock);
	int mine = s->used && s->isolate == isolate;
	if (mine)
		s->requested = 0;
	uint64_t since = mine ? *s->busy_since : 0;
	// Requested just before the thread went to wait: the busy period it was
	// for is over, and this would sample the start of the next callback.
	int stale = since != s->requested_for;
	pthread_mutex_unlock(&lock);
	if (!mine || stale || since == 0 || s->taking || s->n >= MAX_PENDING)
		return;

	uint64_t now = api.now_ns();
	sample *out = &s->samples[s->n];
	out->ts_ns = now;
	out->busy_ns = now - since > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(now - since);
	pthread_mutex_lock(&lock);
	out->on_cpu_ns = s->requested_on_cpu;
	out->runq_ns = s->requested_runq;
	pthread_mutex_unlock(&lock);
	out->frames = 0;
	v8::HandleScope scope(isolate);
	v8::Local<v8::StackTrace> trace = v8::StackTrace::CurrentStackTrace(isolate, MAX_FRAMES);
	int count = trace.IsEmpty() ? 0 : trace->GetFrameCount();
	for (int i = 0; i < count && i < MAX_FRAMES; i++) {
		v8::Local<v8::StackFrame> fr = trace->GetFrame(isolate, static_cast<uint32_t>(i));
		if (fr.IsEmpty())
			continue;
		frame *f = &out->f[out->frames++];
		copy_utf8(isolate, fr->GetFunctionName(), f->function, sizeof(f->function));
		copy_utf8(isolate, fr->GetScriptName(), f->file, sizeof(f->file));
		f->line = fr->GetLineNumber();
		f->column = fr->GetColumn();
	}
	s->n++;
	s->flag[0] = static_cast<int32_t>(s->n);

	// The next one is due a gap after this one, not after a request that
	// waited (a long native call delivers the interrupt only on return).
	pthread_mutex_lock(&lock);
	if (s->used && s->isolate == isolate && s->period == since) {
		uint64_t at = now - since + gap_after(s->taken);
		if (at > s->next_due_ns)
			s->next_due_ns = at;
	}
	pthread_mutex_unlock(&lock);
}

// /proc/self/task/TID/<name> into buf (NUL-terminated); false if unreadable.
bool read_task_file(pid_t tid, const char *name, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", static_cast<int>(tid), name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

// The thread's time on a CPU and waiting on a run queue, in ns, from
// /proc/self/task/TID/schedstat (kernels with CONFIG_SCHED_INFO).  A busy
// period during which the thread mostly waited for a CPU says the machine
// was busy, not the program: the analyzer reads it from the samples.
bool read_schedstat(pid_t tid, uint64_t out[2])
{
	char buf[96];
	if (!read_task_file(tid, "schedstat", buf, sizeof(buf)))
		return false;
	char *end = nullptr;
	unsigned long long on_cpu = strtoull(buf, &end, 10);
	if (end == buf)
		return false;
	char *end2 = nullptr;
	unsigned long long runq = strtoull(end, &end2, 10);
	if (end2 == end)
		return false;
	out[0] = on_cpu;
	out[1] = runq;
	return true;
}

uint32_t capped(uint64_t v) { return v > UINT32_MAX - 1 ? UINT32_MAX - 1 : static_cast<uint32_t>(v); }

// Whether thread `tid` of this process is blocked in futex(2) right now.
// Newer V8 (Node 24+) parks Atomics.wait on a raw futex, which the preload
// library cannot see, and a worker pool waits for work there.
bool in_futex(pid_t tid)
{
	char buf[32];
	if (!read_task_file(tid, "syscall", buf, sizeof(buf)))
		return false;
	char *end = nullptr;
	long nr = strtol(buf, &end, 10);
	return end != buf && nr == SYS_futex;
}

// The busy period the watchdog was following is over (seen so at `now`,
// at most WATCH_PERIOD_NS late): a long one is kept for the profile reader
// and the agent is asked to call take().  Under lock.
void period_over(slot *s, uint64_t end_ns)
{
	if (s->period == 0 || end_ns < s->active_since || end_ns - s->active_since < threshold_ns ||
	    !s->profile_since_ns)
		return;
	busy_span *b = &s->long_spans[s->n_long++ % MAX_LONG];
	b->begin_ns = s->active_since;
	b->end_ns = end_ns;
	s->flag[1] = 1;
}

void watch_once(uint64_t now)
{
	for (int i = 0; i < MAX_SLOTS; i++) {
		slot *s = slots[i];
		if (!s || !s->used)
			continue;
		if (s->profile_since_ns && now - s->profile_since_ns > ROTATE_NS)
			s->flag[1] = 1; // bound the profile's memory
		uint64_t since = *s->busy_since;
		if (since == 0 || since > now) {
			period_over(s, now);
			s->period = 0;
			continue;
		}
		if (since != s->period) {
			period_over(s, since); // it ended when the next one began, at the latest
			s->period = since;
			s->active_since = since;
			s->taken = 0;
			s->next_due_ns = threshold_ns;
			s->sched_known = read_schedstat(s->tid, s->sched_base);
		}
		if (s->requested || s->taken >= MAX_PER_PERIOD || now - since < s->next_due_ns)
			continue;
		// A worker waiting for work in Atomics.wait is idle: start counting
		// again from now.  (On the main thread that wait is a sleep.)
		if (!s->is_main && in_futex(s->tid)) {
			s->taken = 0;
			s->next_due_ns = now - since + threshold_ns;
			s->active_since = now; // nor are its profile samples so far
			continue;
		}
		uint64_t sched[2];
		if (s->sched_known && read_schedstat(s->tid, sched) && sched[0] >= s->sched_base[0] &&
		    sched[1] >= s->sched_base[1]) {
			s->requested_on_cpu = capped(sched[0] - s->sched_base[0]);
			s->requested_runq = capped(sched[1] - s->sched_base[1]);
		} else {
			s->requested_on_cpu = s->requested_runq = UINT32_MAX;
		}
		s->taken++;
		s->next_due_ns += gap_after(s->taken);
		s->requested = 1;
		s->requested_for = since;
		s->isolate->RequestInterrupt(on_interrupt, s);
	}
}

void *watch_main(void *)
{
	struct timespec period = {0, static_cast<long>(WATCH_PERIOD_NS)};
	for (;;) {
		// The raw syscall: nanosleep is interposed by the preload library.
		syscall(SYS_nanosleep, &period, nullptr);
		pthread_mutex_lock(&lock);
		if (!exiting)
			watch_once(api.now_ns());
		pthread_mutex_unlock(&lock);
	}
	return nullptr;
}

void release(void *data)
{
	slot *s = static_cast<slot *>(data);
	profile_end(s);
	pthread_mutex_lock(&lock);
	s->used = 0;
	s->isolate = nullptr;
	s->requested = 0;
	pthread_mutex_unlock(&lock);
}

// A free slot (reusing one a finished thread left), or a new one.  Under lock.
slot *claim_slot()
{
	for (int i = 0; i < MAX_SLOTS; i++) {
		if (!slots[i])
			slots[i] = static_cast<slot *>(calloc(1, sizeof(slot)));
		if (slots[i] && !slots[i]->used)
			return slots[i];
		if (!slots[i])
			return nullptr;
	}
	return nullptr;
}

napi_value start(napi_env env, napi_callback_info info)
{
	napi_value undefined;
	napi_get_undefined(env, &undefined);
	size_t argc = 2;
	napi_value argv[2];
	double ms = 40, profile_us = 0;
	if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok)
		return undefined;
	if (argc >= 1)
		napi_get_value_double(env, argv[0], &ms);
	if (argc >= 2)
		napi_get_value_double(env, argv[1], &profile_us);
	if (!(ms >= 1 && ms <= 3600 * 1000))
		return undefined;
	if (!(profile_us >= 100 && profile_us <= 1000 * 1000))
		profile_us = 0; // no native-code samples
	lt_log *log = api.log_current ? api.log_current() : nullptr;
	uint64_t *busy = log ? api.log_busy_since(log) : nullptr;
	if (!busy)
		return undefined;

	pthread_mutex_lock(&lock);
	threshold_ns = static_cast<uint64_t>(ms * 1e6);
	slot *s = claim_slot();
	if (s) {
		s->isolate = v8::Isolate::GetCurrent();
		s->busy_since = busy;
		s->tid = static_cast<pid_t>(syscall(SYS_gettid));
		s->is_main = s->tid == getpid();
		if (*busy == 0)
			*busy = api.now_ns(); // JS starts: busy until its first poll
		s->period = 0;
		s->taken = 0;
		s->requested = 0;
		s->n = 0;
		s->taking = 0;
		s->flag[0] = s->flag[1] = 0;
		s->n_long = 0;
		s->profile_since_ns = 0;
		s->profiler = nullptr;
		s->used = s->isolate != nullptr;
	}
	int ok = s && s->used;
	if (ok && !watching) {
		watching = api.helper_thread(watch_main, nullptr) == 0 ? 1 : -1;
		if (watching == 1)
			atexit(stop_watching);
	}
	ok = ok && watching == 1;
	if (s && !ok)
		s->used = 0;
	pthread_mutex_unlock(&lock);
	if (!ok)
		return undefined;
	if (profile_us > 0)
		profile_start(env, s, profile_us);

	napi_value buffer, view;
	if (napi_add_env_cleanup_hook(env, release, s) != napi_ok ||
	    napi_create_external_arraybuffer(env, s->flag, sizeof(s->flag), nullptr, nullptr, &buffer) !=
		    napi_ok ||
	    napi_create_typedarray(env, napi_int32_array, 2, buffer, 0, &view) != napi_ok) {
		release(s);
		return undefined;
	}
	napi_set_instance_data(env, s, nullptr, nullptr);
	return view;
}

bool push_number(napi_env env, napi_value arr, uint32_t *k, double v)
{
	napi_value n;
	return napi_create_double(env, v, &n) == napi_ok && napi_set_element(env, arr, (*k)++, n) == napi_ok;
}

bool push_string(napi_env env, napi_value arr, uint32_t *k, const char *text)
{
	napi_value str;
	return napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &str) == napi_ok &&
	       napi_set_element(env, arr, (*k)++, str) == napi_ok;
}

bool push_sample(napi_env env, napi_value arr, uint32_t *k, const sample *p)
{
	bool ok = push_number(env, arr, k, static_cast<uint32_t>(p->ts_ns)) &&
		  push_number(env, arr, k, static_cast<uint32_t>(p->ts_ns >> 32)) &&
		  push_number(env, arr, k, p->busy_ns) && push_number(env, arr, k, p->on_cpu_ns) &&
		  push_number(env, arr, k, p->runq_ns) && push_number(env, arr, k, p->frames);
	for (uint32_t j = 0; ok && j < p->frames; j++)
		ok = push_string(env, arr, k, p->f[j].function) && push_string(env, arr, k, p->f[j].file) &&
		     push_number(env, arr, k, p->f[j].line) && push_number(env, arr, k, p->f[j].column);
	return ok;
}

// take(now): the interrupts' samples, then, when the watchdog asked for it
// (flag[1]) or `now` is true (main end, exit), the profile's native-code
// samples.
napi_value take(napi_env env, napi_callback_info info)
{
	napi_value undefined, arr, arg;
	napi_get_undefined(env, &undefined);
	void *data = nullptr;
	size_t argc = 1;
	bool now = false;
	if (napi_get_instance_data(env, &data) != napi_ok || !data)
		return undefined;
	if (napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr) == napi_ok && argc >= 1)
		napi_get_value_bool(env, arg, &now);
	slot *s = static_cast<slot *>(data);
	bool read_profile = s->profiler && (now || s->flag[1]);
	if ((s->n == 0 && !read_profile) || napi_create_array(env, &arr) != napi_ok)
		return undefined;
	s->taking = 1;
	uint32_t k = 1, n = s->n;
	bool ok = true;
	for (unsigned i = 0; ok && i < s->n; i++)
		ok = push_sample(env, arr, &k, &s->samples[i]);
	s->n = 0;
	s->flag[0] = 0;
	if (read_profile) {
		s->flag[1] = 0;
		n += harvest_profile(env, arr, &k, s, &ok);
	}
	s->taking = 0;
	napi_value count;
	if (!ok || n == 0 || napi_create_uint32(env, n, &count) != napi_ok ||
	    napi_set_element(env, arr, 0, count) != napi_ok)
		return undefined;
	return arr;
}

/* Node-API has no way to ask where a function is defined; its values are
 * V8 handles underneath (node_api.cc converts them by copying the handle). */
v8::Local<v8::Value> v8_of(napi_value v)
{
	v8::Local<v8::Value> local;
	static_assert(sizeof(local) == sizeof(v), "napi_value is a V8 handle");
	memcpy(static_cast<void *>(&local), &v, sizeof(v));
	return local;
}

napi_value napi_of(v8::Local<v8::Value> local)
{
	napi_value v;
	memcpy(&v, static_cast<void *>(&local), sizeof(v));
	return v;
}

/* where(fn) -> [name, file, line, column] (1-based) of a function defined in
 * a script, or undefined (a builtin, a bound function, not a function).
 * The agent asks it only when a rejection goes unhandled. */
napi_value where(napi_env env, napi_callback_info info)
{
	napi_value undefined, arg, arr;
	size_t argc = 1;
	napi_valuetype type;
	napi_get_undefined(env, &undefined);
	if (napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr) != napi_ok || argc < 1 ||
	    napi_typeof(env, arg, &type) != napi_ok || type != napi_function)
		return undefined;
	v8::Local<v8::Function> fn = v8_of(arg).As<v8::Function>();
	int line = fn->GetScriptLineNumber(), column = fn->GetScriptColumnNumber();
	if (line < 0 || column < 0)
		return undefined;
	v8::Local<v8::Value> file = fn->GetScriptOrigin().ResourceName();
	v8::Local<v8::Value> name = fn->GetDebugName();
	if (file.IsEmpty() || !file->IsString() || name.IsEmpty() || napi_create_array(env, &arr) != napi_ok)
		return undefined;
	napi_value l, c;
	if (napi_set_element(env, arr, 0, name->IsString() ? napi_of(name) : undefined) != napi_ok ||
	    napi_set_element(env, arr, 1, napi_of(file)) != napi_ok ||
	    napi_create_uint32(env, static_cast<uint32_t>(line) + 1, &l) != napi_ok ||
	    napi_create_uint32(env, static_cast<uint32_t>(column) + 1, &c) != napi_ok ||
	    napi_set_element(env, arr, 2, l) != napi_ok || napi_set_element(env, arr, 3, c) != napi_ok)
		return undefined;
	return arr;
}

napi_value init(napi_env env, napi_value exports)
{
	const napi_property_descriptor locate[] = {
		{"where", nullptr, where, nullptr, nullptr, nullptr, napi_default, nullptr},
	};
	napi_define_properties(env, exports, 1, locate);
	if (!resolve_api())
		return exports; // no preload library: no start()
	const napi_property_descriptor props[] = {
		{"start", nullptr, start, nullptr, nullptr, nullptr, napi_default, nullptr},
		{"take", nullptr, take, nullptr, nullptr, nullptr, napi_default, nullptr},
	};
	napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
	return exports;
}

} // namespace lt_watchdog

NAPI_MODULE(NODE_GYP_MODULE_NAME, lt_watchdog::init)
