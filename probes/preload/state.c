/*
 * state.c — the preload library's process state (state.h).
 */
#include "state.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_WAIT_NS (40ull * 1000 * 1000)

static struct lt_trace_env trace_env;
static struct lt_preload_settings settings = {.wait_ns = DEFAULT_WAIT_NS};
static pid_t own_pid; /* this process, as of load time or its fork */
static __thread pid_t tls_parent_tid;
static __thread int tls_probe_loop;

static void copy_var(char *dst, size_t cap, const char *name)
{
	const char *v = getenv(name);
	if (v && strlen(v) < cap)
		strcpy(dst, v);
}

void lt_state_load(void)
{
	own_pid = getpid();
	copy_var(trace_env.dir, sizeof(trace_env.dir), "LOOPTRACE_DIR");
	copy_var(trace_env.preload, sizeof(trace_env.preload), "LOOPTRACE_PRELOAD");
	copy_var(trace_env.node_options, sizeof(trace_env.node_options), "LOOPTRACE_NODE_OPTIONS");
	copy_var(settings.spill_dir, sizeof(settings.spill_dir), "LOOPTRACE_RING_SPILL");
	const char *v = getenv("LOOPTRACE_LOSSLESS");
	if (v && *v == '1')
		settings.wait_ns = LT_WAIT_LOSSLESS;
	else if ((v = getenv("LOOPTRACE_WAIT_MS")) && *v)
		settings.wait_ns = strtoull(v, NULL, 10) * 1000ull * 1000ull;
	v = getenv("LOOPTRACE_RECORDER_PID");
	settings.recorder_pid = v && *v ? (pid_t)strtol(v, NULL, 10) : 0;
}

void lt_state_after_fork_child(void)
{
	own_pid = getpid();
	tls_parent_tid = 0;
}

const struct lt_trace_env *lt_state_trace_env(void) { return &trace_env; }

const struct lt_preload_settings *lt_state_settings(void) { return &settings; }

int lt_state_in_own_process(void) { return own_pid == getpid(); }

void lt_state_set_parent_tid(pid_t tid) { tls_parent_tid = tid; }

pid_t lt_state_parent_tid(void) { return tls_parent_tid; }

void lt_state_set_probe_loop(void) { tls_probe_loop = 1; }

int lt_state_probe_loop(void) { return tls_probe_loop; }
