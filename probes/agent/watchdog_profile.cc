/*
 * watchdog_profile.cc — samples inside native code for the watchdog module
 * (see watchdog.h): V8's CPU profiler kept running on each JS thread.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <vector>

#include "watchdog.h"

namespace lt_watchdog {

// --- native-code samples (V8's CPU profiler) -------------------------------
// An interrupt is served only when JavaScript runs again, so a long call
// into native code (JSON.parse of a big string, readFileSync's C++ half, a
// synchronous crypto or zlib call) gets its sample on the statement after
// it.  V8's profiler samples by signal, inside native code too, and in
// kCallerLineNumbers mode each node carries the line of its caller that
// called it: the line of the user's code that made the native call.  Its
// samples are used only where the interrupts are blind: a native function
// innermost with JavaScript under it, in a long busy period.

// Starts a profile on this thread (the JS thread).  0 when none started.
uint64_t profile_begin(slot *s)
{
	if (!s->profiler)
		return 0;
	uint64_t at = api.now_ns();
	v8::CpuProfilingResult r =
		s->profiler->Start(v8::CpuProfilingOptions(v8::kCallerLineNumbers, PROFILE_MAX_SAMPLES));
	if (r.status != v8::CpuProfilingStatus::kStarted)
		return 0;
	s->profile_id = r.id;
	return at;
}

// The line of `node`'s own function that most of its own samples in this
// profile were at (0: unknown).  V8 keeps a sample's own line only in these
// per-node counts.
int hottest_line(const v8::CpuProfileNode *node)
{
	unsigned n = node->GetHitLineCount();
	if (n == 0)
		return 0;
	std::vector<v8::CpuProfileNode::LineTick> ticks(n);
	if (!node->GetLineTicks(ticks.data(), n))
		return 0;
	unsigned best = 0;
	for (unsigned i = 1; i < n; i++)
		if (ticks[i].hit_count > ticks[best].hit_count)
			best = i;
	return ticks[best].line;
}

// The stack of a profile sample, innermost first; false for VM states with
// no script frame under them ((program), (idle), (garbage collector)).
bool profile_stack(const v8::CpuProfileNode *leaf, sample *out)
{
	if (!leaf)
		return false;
	int any_script = 0;
	out->frames = 0;
	const v8::CpuProfileNode *child = nullptr;
	for (const v8::CpuProfileNode *n = leaf; n && n->GetParent() && out->frames < MAX_FRAMES;
	     child = n, n = n->GetParent()) {
		frame *f = &out->f[out->frames++];
		copy_text(n->GetFunctionNameStr(), f->function, sizeof(f->function));
		copy_text(n->GetScriptResourceNameStr(), f->file, sizeof(f->file));
		// the line of this function that called the frame inside it
		int line = child ? child->GetLineNumber() : hottest_line(n);
		f->line = line > 0 ? line : 0;
		f->column = 0;
		any_script |= f->file[0] != '\0';
	}
	return any_script;
}

// The long busy periods a profile may hold samples of: those that ended
// after it began and the one running now if it is already long.  Under lock.
unsigned long_spans_since(slot *s, uint64_t since_ns, uint64_t now, busy_span *out)
{
	unsigned n = 0;
	unsigned first = s->n_long > MAX_LONG ? s->n_long - MAX_LONG : 0;
	for (unsigned i = first; i < s->n_long; i++) {
		const busy_span *b = &s->long_spans[i % MAX_LONG];
		if (b->end_ns >= since_ns)
			out[n++] = *b;
	}
	uint64_t busy = *s->busy_since;
	// ended since the watchdog last looked (it ended when `busy` began, or
	// now when the thread waits in poll)
	uint64_t end = busy ? busy : now;
	if (s->period && s->period != busy && end >= s->active_since && end - s->active_since >= threshold_ns &&
	    end >= since_ns)
		out[n++] = busy_span{s->active_since, end};
	uint64_t from = busy && s->period == busy ? s->active_since : busy;
	if (busy && from <= now && now - from >= threshold_ns)
		out[n++] = busy_span{from, now};
	return n;
}

// Ends the running profile (starting the next one first, so V8 keeps its
// code map) and appends its native-code samples inside long busy periods
// to `arr`, at most one per NATIVE_SPACING_NS and MAX_NATIVE_PER_PERIOD per
// period.  The JS thread.  Returns the number appended.
uint32_t harvest_profile(napi_env env, napi_value arr, uint32_t *k, slot *s, bool *ok)
{
	uint64_t began = s->profile_since_ns;
	v8::ProfilerId old_id = s->profile_id;
	if (!s->profiler || !began)
		return 0;
	uint64_t next = profile_begin(s);
	v8::CpuProfile *profile = s->profiler->Stop(old_id);
	uint64_t now = api.now_ns();
	busy_span spans[MAX_LONG + 2];
	uint64_t last_kept[MAX_LONG + 2] = {0};
	unsigned kept[MAX_LONG + 2] = {0};
	pthread_mutex_lock(&lock);
	s->profile_since_ns = next;
	unsigned n_spans = long_spans_since(s, began, now, spans);
	pthread_mutex_unlock(&lock);
	if (!profile)
		return 0;
	uint32_t added = 0;
	// V8 stamps samples in microseconds on its own monotonic origin.
	int64_t offset_ns = static_cast<int64_t>(began) - profile->GetStartTime() * 1000;
	sample *out = static_cast<sample *>(malloc(sizeof(sample)));
	int count = out ? profile->GetSamplesCount() : 0;
	for (int i = 0; *ok && i < count && n_spans; i++) {
		uint64_t ts = static_cast<uint64_t>(profile->GetSampleTimestamp(i) * 1000 + offset_ns);
		unsigned j = 0;
		while (j < n_spans && !(ts >= spans[j].begin_ns && ts <= spans[j].end_ns))
			j++;
		if (j == n_spans || kept[j] >= MAX_NATIVE_PER_PERIOD ||
		    (last_kept[j] && ts - last_kept[j] < NATIVE_SPACING_NS))
			continue;
		// A thread parked in Atomics.wait (a pool worker waiting for work)
		// or idle is not busy, whatever the busy word says.
		v8::StateTag state = profile->GetSampleState(i);
		if (state == v8::ATOMICS_WAIT || state == v8::IDLE || !profile_stack(profile->GetSample(i), out))
			continue;
		last_kept[j] = ts;
		kept[j]++;
		out->ts_ns = ts;
		out->busy_ns = ts - spans[j].begin_ns > UINT32_MAX ? UINT32_MAX
								    : static_cast<uint32_t>(ts - spans[j].begin_ns);
		out->on_cpu_ns = out->runq_ns = UINT32_MAX;
		*ok = push_sample(env, arr, k, out);
		added++;
	}
	free(out);
	profile->Delete();
	return added;
}

void profile_start(napi_env env, slot *s, double profile_us)
{
	uv_loop_t *loop = nullptr;
	if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop)
		return;
	// The profiler samples by SIGPROF, which would cut every wait in epoll
	// short (and libuv, shortening its timeout at each EINTR, would run
	// extra loop turns): libuv blocks SIGPROF while it polls, as Node does
	// for --prof.
	uv_loop_configure(loop, UV_LOOP_BLOCK_SIGNAL, SIGPROF);
	s->profiler = v8::CpuProfiler::New(s->isolate, v8::kDebugNaming, v8::kLazyLogging);
	s->profiler->SetSamplingInterval(static_cast<int>(profile_us));
	uint64_t began = profile_begin(s);
	pthread_mutex_lock(&lock);
	s->profile_since_ns = began;
	pthread_mutex_unlock(&lock);
}

// Stops this thread's profiler for good (its env is going away).
void profile_end(slot *s)
{
	if (!s->profiler)
		return;
	pthread_mutex_lock(&lock);
	uint64_t began = s->profile_since_ns;
	s->profile_since_ns = 0;
	pthread_mutex_unlock(&lock);
	if (began) {
		v8::CpuProfile *profile = s->profiler->Stop(s->profile_id);
		if (profile)
			profile->Delete();
	}
	s->profiler->Dispose();
	s->profiler = nullptr;
}

} // namespace lt_watchdog
