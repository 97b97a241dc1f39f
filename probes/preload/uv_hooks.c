/*
 * uv_hooks.c — interposers of the libuv API for programs that link the
 * shared libuv.so.1 (C programs, uvloop, luv, neovim, distro Node builds).
 *
 * Each interposer calls the real function with the program's callback
 * replaced by a trampoline of ours; the trampoline records the dispatch
 * begin and end around the program's callback (uv_trace.h).  A handle is
 * a resource from its first start (timers, idle/prepare/check, signals,
 * polls) or its init (streams, UDP, async) to uv_close; a request from its
 * submission to its callback.  When capture is off, or the process is Node,
 * the interposers only forward.  libuv calls some of its exported functions
 * itself (uv_fs_poll -> uv_timer_start): a callback that is already a
 * trampoline is never wrapped twice, and a handle is a resource once.
 * Requests (writes, connects, fs, DNS, work) are in uv_requests.c.
 */
#include <dlfcn.h>
#include <uv.h>

#include "uv_interpose.h"
#include "uv_trace.h"


/* The entry of a handle, made a resource of `type` on first sight. */
static struct lt_uv_entry *handle_entry(const void *h, const char *type, const void *caller, void *cb)
{
	struct lt_uv_entry *e = lt_uv_lookup(h, 1);
	if (!e)
		return NULL;
	if (!e->id)
		lt_uv_open(e, type, caller, cb, -1, 0);
	return e;
}

/* The callback to hand libuv for handle `h`: `trampoline`, once `h` is a
 * resource of `type` that remembers `cb`; `cb` itself when it is not traced
 * (capture off, no callback, already wrapped, or libuv's own handle). */
static void *wrap_handle(const void *h, const char *type, const void *caller, void *cb, void *trampoline,
			 void *real_fn)
{
	if (!lt_uv_enabled() || !cb || cb == trampoline || lt_uv_internal(caller, real_fn))
		return cb;
	struct lt_uv_entry *e = handle_entry(h, type, caller, cb);
	if (!e)
		return cb;
	e->cb = cb;
	return trampoline;
}

/* The program's callback of `key` and the resource id, or NULL. */
static void *callback_of(const void *key, uint32_t *id)
{
	struct lt_uv_entry *e = lt_uv_lookup(key, 0);
	*id = e ? lt_uv_id_here(e) : 0;
	return e ? e->cb : NULL;
}

/* A trampoline: the program's callback of handle `h` between a dispatch's
 * begin and end. */
#define TRAMPOLINE(name, cb_type, params, args)                    \
	static void name params                                    \
	{                                                          \
		uint32_t id;                                       \
		cb_type cb = (cb_type)callback_of(h, &id);         \
		uint32_t outer = lt_uv_begin(id, 0);               \
		if (cb)                                            \
			cb args;                                   \
		lt_uv_end(id, outer);                              \
	}

TRAMPOLINE(idle_trampoline, uv_idle_cb, (uv_idle_t *h), (h))
TRAMPOLINE(prepare_trampoline, uv_prepare_cb, (uv_prepare_t *h), (h))
TRAMPOLINE(check_trampoline, uv_check_cb, (uv_check_t *h), (h))
TRAMPOLINE(timer_trampoline, uv_timer_cb, (uv_timer_t *h), (h))
TRAMPOLINE(async_trampoline, uv_async_cb, (uv_async_t *h), (h))
TRAMPOLINE(signal_trampoline, uv_signal_cb, (uv_signal_t *h, int signum), (h, signum))
TRAMPOLINE(poll_trampoline, uv_poll_cb, (uv_poll_t *h, int status, int events), (h, status, events))
TRAMPOLINE(read_trampoline, uv_read_cb, (uv_stream_t *h, ssize_t n, const uv_buf_t *buf), (h, n, buf))
TRAMPOLINE(connection_trampoline, uv_connection_cb, (uv_stream_t *h, int status), (h, status))
TRAMPOLINE(fs_event_trampoline, uv_fs_event_cb, (uv_fs_event_t *h, const char *file, int events, int status),
	   (h, file, events, status))
TRAMPOLINE(fs_poll_trampoline, uv_fs_poll_cb,
	   (uv_fs_poll_t *h, int status, const uv_stat_t *prev, const uv_stat_t *curr), (h, status, prev, curr))
TRAMPOLINE(exit_trampoline, uv_exit_cb, (uv_process_t *h, int64_t exit_status, int term_signal),
	   (h, exit_status, term_signal))

#define WRAP(h, type, cb, trampoline, real) \
	wrap_handle((h), (type), CALLER, (void *)(cb), (void *)(trampoline), (void *)(real))

/* --- idle, prepare, check: the callback takes the handle alone --- */

#define SIMPLE_HANDLE(kind, type_name)                                                           \
	LT_EXPORT int uv_##kind##_start(uv_##kind##_t *h, uv_##kind##_cb cb)                     \
	{                                                                                        \
		RESOLVE(uv_##kind##_start);                                                      \
		return real_uv_##kind##_start(                                                   \
			h, (uv_##kind##_cb)WRAP(h, type_name, cb, kind##_trampoline, real_uv_##kind##_start)); \
	}

SIMPLE_HANDLE(idle, "uv_idle")
SIMPLE_HANDLE(prepare, "uv_prepare")
SIMPLE_HANDLE(check, "uv_check")

/* --- timers --- */

/* uv_timer_again and uv_timer_set_repeat in progress on this thread: the
 * uv_timer_stop and uv_timer_start libuv makes inside them are not the
 * program's. */
static _Thread_local int tls_in_timer_call;

LT_EXPORT int uv_timer_start(uv_timer_t *h, uv_timer_cb cb, uint64_t timeout, uint64_t repeat)
{
	RESOLVE(uv_timer_start);
	if (!lt_uv_enabled() || !cb || cb == timer_trampoline || tls_in_timer_call ||
	    lt_uv_internal(CALLER, (void *)real_uv_timer_start))
		return real_uv_timer_start(h, cb, timeout, repeat);
	struct lt_uv_entry *e = lt_uv_lookup(h, 1);
	if (!e)
		return real_uv_timer_start(h, cb, timeout, repeat);
	/* a restarted timer is a new task (as a new setTimeout), scheduled here */
	lt_uv_open(e, "Timeout", CALLER, (void *)cb, (int64_t)timeout, repeat ? LT_UV_REPEAT : 0);
	e->cb = (void *)cb;
	return real_uv_timer_start(h, timer_trampoline, timeout, repeat);
}

LT_EXPORT int uv_timer_stop(uv_timer_t *h)
{
	RESOLVE(uv_timer_stop);
	RESOLVE(uv_is_active);
	/* libuv stops every timer it runs (uv__run_timers): not a clear */
	struct lt_uv_entry *e = lt_uv_enabled() && !tls_in_timer_call && real_uv_is_active((uv_handle_t *)h) &&
					!lt_uv_internal(CALLER, (void *)real_uv_timer_stop)
				? lt_uv_lookup(h, 0)
				: NULL;
	if (e)
		lt_uv_destroyed(lt_uv_id_here(e)); /* a live timer cleared: clearTimeout */
	return real_uv_timer_stop(h);
}

/* A timer's task restarted at `caller` with its own callback: a new
 * resource (as uv_timer_start), the old one cleared if it was live. */
static void timer_restarted(uv_timer_t *h, struct lt_uv_entry *e, int was_active, const void *caller)
{
	RESOLVE(uv_timer_get_repeat);
	uint64_t repeat = real_uv_timer_get_repeat(h);
	if (was_active)
		lt_uv_destroyed(lt_uv_id_here(e));
	lt_uv_open(e, "Timeout", caller, e->cb, (int64_t)repeat, repeat ? LT_UV_REPEAT : 0);
}

/* uv_timer_again: on a live repeating timer a refresh (the same task, as
 * Node's timer.refresh()); on a stopped or fired one with a repeat, the task
 * started again here (a new resource). */
LT_EXPORT int uv_timer_again(uv_timer_t *h)
{
	RESOLVE(uv_timer_again);
	RESOLVE(uv_is_active);
	/* libuv's own (uv__run_timers re-arms a repeating timer that way) */
	struct lt_uv_entry *e = lt_uv_enabled() && !lt_uv_internal(CALLER, (void *)real_uv_timer_again)
					? lt_uv_lookup(h, 0)
					: NULL;
	if (!e || !e->cb)
		return real_uv_timer_again(h);
	int was_active = real_uv_is_active((uv_handle_t *)h);
	tls_in_timer_call++;
	int rc = real_uv_timer_again(h);
	tls_in_timer_call--;
	if (rc == 0 && !was_active && real_uv_is_active((uv_handle_t *)h))
		timer_restarted(h, e, 0, CALLER);
	return rc;
}

/* uv_timer_set_repeat on a live timer that turns it from one-shot into
 * repeating (or back): the task is another one from here on, flagged as
 * such (a repeating timer left running is a leak, a one-shot one is not). */
LT_EXPORT void uv_timer_set_repeat(uv_timer_t *h, uint64_t repeat)
{
	RESOLVE(uv_timer_set_repeat);
	RESOLVE(uv_timer_get_repeat);
	RESOLVE(uv_is_active);
	struct lt_uv_entry *e = lt_uv_enabled() ? lt_uv_lookup(h, 0) : NULL;
	int flips = e && e->cb && real_uv_is_active((uv_handle_t *)h) &&
		    !real_uv_timer_get_repeat(h) != !repeat;
	real_uv_timer_set_repeat(h, repeat);
	if (flips)
		timer_restarted(h, e, 1, CALLER);
}

/* --- async, signals, polls --- */

LT_EXPORT int uv_async_init(uv_loop_t *loop, uv_async_t *h, uv_async_cb cb)
{
	RESOLVE(uv_async_init);
	return real_uv_async_init(loop, h, (uv_async_cb)WRAP(h, "uv_async", cb, async_trampoline, real_uv_async_init));
}

LT_EXPORT int uv_signal_start(uv_signal_t *h, uv_signal_cb cb, int signum)
{
	RESOLVE(uv_signal_start);
	return real_uv_signal_start(
		h, (uv_signal_cb)WRAP(h, "SIGNALWRAP", cb, signal_trampoline, real_uv_signal_start), signum);
}

LT_EXPORT int uv_poll_start(uv_poll_t *h, int events, uv_poll_cb cb)
{
	RESOLVE(uv_poll_start);
	return real_uv_poll_start(h, events, (uv_poll_cb)WRAP(h, "uv_poll", cb, poll_trampoline, real_uv_poll_start));
}

LT_EXPORT int uv_fs_event_start(uv_fs_event_t *h, uv_fs_event_cb cb, const char *path, unsigned flags)
{
	RESOLVE(uv_fs_event_start);
	return real_uv_fs_event_start(
		h, (uv_fs_event_cb)WRAP(h, "FSEVENTWRAP", cb, fs_event_trampoline, real_uv_fs_event_start), path, flags);
}

/* fs_poll runs on a timer and uv_fs_stat of libuv's own: those are not
 * traced (lt_uv_internal), the program's callback is. */
LT_EXPORT int uv_fs_poll_start(uv_fs_poll_t *h, uv_fs_poll_cb cb, const char *path, unsigned interval)
{
	RESOLVE(uv_fs_poll_start);
	return real_uv_fs_poll_start(
		h, (uv_fs_poll_cb)WRAP(h, "STATWATCHER", cb, fs_poll_trampoline, real_uv_fs_poll_start), path, interval);
}

/* --- child processes: a resource from uv_spawn to uv_close, its exit
 * callback a dispatch; the child's exec is recorded by the exec interposers
 * (preload.c) in the child --- */

LT_EXPORT int uv_spawn(uv_loop_t *loop, uv_process_t *h, const uv_process_options_t *options)
{
	RESOLVE(uv_spawn);
	if (!lt_uv_enabled() || !options || lt_uv_internal(CALLER, (void *)real_uv_spawn))
		return real_uv_spawn(loop, h, options);
	uv_process_options_t traced = *options;
	struct lt_uv_entry *e = handle_entry(h, "PROCESSWRAP", CALLER, (void *)options->exit_cb);
	if (e && options->exit_cb) {
		e->cb = (void *)options->exit_cb;
		traced.exit_cb = exit_trampoline;
	}
	return real_uv_spawn(loop, h, &traced);
}

/* --- streams: TCP, pipes, TTYs --- */

/* A stream or UDP handle is a resource from its init. */
static void opened(const void *h, const char *type, const void *caller, void *real_fn)
{
	if (lt_uv_enabled() && !lt_uv_internal(caller, real_fn))
		handle_entry(h, type, caller, NULL);
}

#define OPENED_AT_INIT(name, type_name, params, args)                         \
	LT_EXPORT int name params                                              \
	{                                                                      \
		RESOLVE(name);                                                 \
		int rc = real_##name args;                                     \
		if (rc == 0)                                                   \
			opened(h, type_name, CALLER, (void *)real_##name);     \
		return rc;                                                     \
	}

OPENED_AT_INIT(uv_tcp_init, "TCPWRAP", (uv_loop_t *loop, uv_tcp_t *h), (loop, h))
OPENED_AT_INIT(uv_pipe_init, "PIPEWRAP", (uv_loop_t *loop, uv_pipe_t *h, int ipc), (loop, h, ipc))
OPENED_AT_INIT(uv_udp_init, "UDPWRAP", (uv_loop_t *loop, uv_udp_t *h), (loop, h))
OPENED_AT_INIT(uv_tty_init, "TTYWRAP", (uv_loop_t *loop, uv_tty_t *h, uv_file fd, int readable), (loop, h, fd, readable))

LT_EXPORT int uv_read_start(uv_stream_t *s, uv_alloc_cb alloc_cb, uv_read_cb cb)
{
	RESOLVE(uv_read_start);
	return real_uv_read_start(s, alloc_cb, (uv_read_cb)WRAP(s, "PIPEWRAP", cb, read_trampoline, real_uv_read_start));
}

LT_EXPORT int uv_listen(uv_stream_t *s, int backlog, uv_connection_cb cb)
{
	RESOLVE(uv_listen);
	if (!lt_uv_enabled() || !cb || cb == connection_trampoline)
		return real_uv_listen(s, backlog, cb);
	/* a listening TCP handle is a server (TCPSERVERWRAP in Node) */
	struct lt_uv_entry *e = lt_uv_lookup(s, 1);
	if (!e)
		return real_uv_listen(s, backlog, cb);
	uint32_t old = e->id;
	lt_uv_open(e, s->type == UV_TCP ? "TCPSERVERWRAP" : "PIPESERVERWRAP", CALLER, (void *)cb, -1, 0);
	if (old)
		lt_uv_destroyed(old); /* the plain socket it was became the server */
	e->cb = (void *)cb;
	return real_uv_listen(s, backlog, connection_trampoline);
}

/* --- close, ref state, the loop --- */

static void close_trampoline(uv_handle_t *h)
{
	struct lt_uv_entry *e = lt_uv_lookup(h, 0);
	uint32_t id = e ? lt_uv_id_here(e) : 0;
	uv_close_cb cb = e ? (uv_close_cb)e->close_cb : NULL;
	lt_uv_forget(h);
	uint32_t outer = lt_uv_begin(id, 1);
	if (cb)
		cb(h);
	lt_uv_end(id, outer);
}

LT_EXPORT void uv_close(uv_handle_t *h, uv_close_cb cb)
{
	RESOLVE(uv_close);
	struct lt_uv_entry *e = lt_uv_enabled() ? lt_uv_lookup(h, 0) : NULL;
	if (!e) {
		real_uv_close(h, cb);
		return;
	}
	lt_uv_destroyed(lt_uv_id_here(e));
	if (!cb) {
		lt_uv_forget(h);
		real_uv_close(h, cb);
		return;
	}
	e->close_cb = (void *)cb;
	real_uv_close(h, close_trampoline);
}

static void ref_changed(const uv_handle_t *h, int ref)
{
	struct lt_uv_entry *e = lt_uv_enabled() ? lt_uv_lookup(h, 0) : NULL;
	if (e)
		lt_uv_ref(lt_uv_id_here(e), ref);
}

LT_EXPORT void uv_ref(uv_handle_t *h)
{
	RESOLVE(uv_ref);
	real_uv_ref(h);
	ref_changed(h, 1);
}

LT_EXPORT void uv_unref(uv_handle_t *h)
{
	RESOLVE(uv_unref);
	real_uv_unref(h);
	ref_changed(h, 0);
}

LT_EXPORT int uv_run(uv_loop_t *loop, uv_run_mode mode)
{
	RESOLVE(uv_run);
	RESOLVE(uv_default_loop);
	int rc = real_uv_run(loop, mode);
	if (rc == 0 && mode == UV_RUN_DEFAULT && loop == real_uv_default_loop())
		lt_uv_ran_dry();
	return rc;
}
