/*
 * watchdog.h — what the two halves of the watchdog module share
 * (looptrace-watchdog-abi<N>.node): watchdog.cc (the watchdog thread, the
 * interrupts, the N-API functions) and watchdog_profile.cc (samples inside
 * native code from V8's CPU profiler).
 *
 * Ownership: slots are allocated by watchdog.cc at start() and kept for the
 * process lifetime.  Locking: `lock` guards registration, the schedule, the
 * isolate and the long busy spans of each slot; a slot's samples and its
 * profiler are only touched on its JS thread.  Functions return 0/false or
 * a count; nothing here throws into JavaScript.
 */
#ifndef LOOPTRACE_WATCHDOG_H
#define LOOPTRACE_WATCHDOG_H

#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <v8-profiler.h>
#include <v8.h>

extern "C" {
#include "../preload/capture.h"
}

namespace lt_watchdog {

constexpr int MAX_SLOTS = 256;         // JS threads watched at once
constexpr int MAX_FRAMES = 24;
constexpr int MAX_PENDING = 20;        // samples waiting for the agent
constexpr unsigned MAX_PER_PERIOD = 20; // samples per busy period
constexpr uint64_t WATCH_PERIOD_NS = 10ull * 1000 * 1000;
constexpr uint64_t FIRST_GAP_NS = 25ull * 1000 * 1000;
constexpr size_t NAME_BYTES = 128;
// Native-code samples: V8's CPU profiler, kept running (two profiles
// alternating so its code map is never rebuilt), read at each take() after a
// long busy period ended or the profile grew old.
constexpr int MAX_LONG = 32;                      // long busy periods remembered
constexpr uint64_t ROTATE_NS = 2000ull * 1000 * 1000;
constexpr unsigned PROFILE_MAX_SAMPLES = 4000;    // per profile: 40 s at 10 ms
constexpr uint64_t NATIVE_SPACING_NS = 20ull * 1000 * 1000;
constexpr unsigned MAX_NATIVE_PER_PERIOD = 64;
constexpr size_t FILE_BYTES = 256;

struct frame {
	char function[NAME_BYTES];
	char file[FILE_BYTES];
	int32_t line, column;
};

struct sample {
	uint64_t ts_ns;
	uint32_t busy_ns;
	uint32_t on_cpu_ns, runq_ns; // of the busy period so far (UINT32_MAX: unknown)
	uint32_t frames;
	frame f[MAX_FRAMES];
};

struct busy_span {
	uint64_t begin_ns, end_ns;
};

struct slot {
	// under `lock`
	int used;
	v8::Isolate *isolate;
	volatile uint64_t *busy_since; // the preload's word for the thread
	uint64_t period;               // busy_since of the period being sampled
	uint64_t active_since;         // its busy part began (later than period when
	                               // a worker sat in Atomics.wait meanwhile)
	uint64_t next_due_ns;          // busy time at which the next sample is due
	unsigned taken;
	int requested;                 // an interrupt is in flight
	uint64_t requested_for;        // ... for the busy period that began then
	uint64_t sched_base[2];        // schedstat on-CPU and run-queue ns when the period was first seen
	int sched_known;               // sched_base was read
	uint32_t requested_on_cpu, requested_runq; // period so far, at the request
	pid_t tid;                     // the JS thread
	int is_main;                   // the process's main thread
	busy_span long_spans[MAX_LONG]; // long busy periods that ended, oldest overwritten
	unsigned n_long;               // spans ever added (index modulo MAX_LONG)
	uint64_t profile_since_ns;     // the running profile began (0: no profiler)
	// flag[1] is raised by the watchdog thread, cleared on the JS thread
	int32_t flag[2];               // flag[0]: samples waiting, flag[1]: profile to read
	// on the JS thread only
	v8::CpuProfiler *profiler;
	v8::ProfilerId profile_id;
	int taking;
	unsigned n;
	sample samples[MAX_PENDING];
};

struct preload_api {
	lt_log *(*log_current)(void);
	uint64_t *(*log_busy_since)(lt_log *);
	uint64_t (*now_ns)(void);
	int (*helper_thread)(void *(*)(void *), void *);
};

extern pthread_mutex_t lock;
extern uint64_t threshold_ns; // a busy period this long is sampled
extern preload_api api;       // the preload library's exported functions

// Copy NUL-terminated text into out (cap bytes), never cutting a UTF-8
// sequence.
void copy_text(const char *text, char *out, size_t cap);
// Append one sample to the array take() returns.
bool push_sample(napi_env env, napi_value arr, uint32_t *k, const sample *p);

// --- watchdog_profile.cc: samples inside native code ---
// Start the CPU profiler on this JS thread (sampling every profile_us), and
// have libuv block SIGPROF while it polls.  The JS thread.
void profile_start(napi_env env, slot *s, double profile_us);
// Append the running profile's samples inside long busy periods to arr and
// start the next profile.  The JS thread.  Returns how many were appended.
uint32_t harvest_profile(napi_env env, napi_value arr, uint32_t *k, slot *s, bool *ok);
// Stop this thread's profiler for good.  The JS thread.
void profile_end(slot *s);

} // namespace lt_watchdog

#endif
