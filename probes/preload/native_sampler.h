/*
 * native_sampler.h — where a long native callback spends its time: stack
 * samples of a C program's callbacks (libuv handles, probe-API tasks), the
 * counterpart of the Node agent's watchdog (probes/agent/watchdog.cc).
 *
 * A thread that runs dispatches (uv_trace.c's lt_uv_begin/lt_uv_end) gets a
 * POSIX timer on its own CPU clock (CLOCK_THREAD_CPUTIME_ID, every 2 ms of
 * CPU) that sends it SIGPROF.  The timer only advances while the thread
 * computes, so a thread waiting in its loop's poll is never signalled.  The
 * handler does nothing unless the thread's outermost dispatch has run for
 * LOOPTRACE_SAMPLE_MS (default 40; 0 turns sampling off); then it keeps the
 * return addresses (5 ms apart, the gap doubling after every 4 samples up
 * to 200 ms) (glibc's backtrace, warmed up before the first signal) in
 * the thread's own buffer, at most LT_SAMPLER_MAX per dispatch.  The thread
 * writes them as LT_STACK (native frames) + LT_SAMPLE records when its
 * dispatch ends (lt_native_sampler_end): nothing is written from the
 * handler.
 *
 * Never in the program's way: SIGPROF is taken only when its disposition is
 * the default one; when the program installs its own SIGPROF handler later
 * (sigaction/signal, interposed here), every timer is deleted first.
 *
 * Threads: the begin/end calls on the dispatching thread; the signal on the
 * same thread.  Ownership: per-thread buffers are static TLS; the timers are
 * deleted at thread exit.
 */
#ifndef LOOPTRACE_PRELOAD_NATIVE_SAMPLER_H
#define LOOPTRACE_PRELOAD_NATIVE_SAMPLER_H

#include <stdint.h>

#define LT_SAMPLER_MAX 16   /* samples kept per dispatch */
#define LT_SAMPLER_FRAMES 24

/* The calling thread's outermost dispatch begins / ends (ends: its samples
 * are written through `write_sample`, called once per sample with the
 * frames innermost first (frame 0 the interrupted instruction, the others
 * return addresses), the sample's time and how long the dispatch had run). */
typedef void (*lt_sample_writer)(const uintptr_t *frames, int n, uint64_t ts, uint64_t busy_ns);
void lt_native_sampler_begin(void);
void lt_native_sampler_end(lt_sample_writer write_sample);

/* Whether this thread samples (its timer is armed): for LT_SAMPLING. */
int lt_native_sampler_on(void);

#endif
