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
 * itself (uv_timer_again -> uv_timer_start): a callback that is already a
 * trampoline is never wrapped twice, and a handle is a resource once.
 */
#include <dlfcn.h>
#include <uv.h>

#include "uv_trace.h"

#define LT_EXPORT __attribute__((visibility("default")))

#define RESOLVE(name)                                                                   \
	static __typeof__(name) *real_##name;                                           \
	if (!real_##name)                                                               \
		real_##name = (__typeof__(name) *)lt_uv_real(#name)

#define CALLER __builtin_return_address(0)

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

LT_EXPORT int uv_timer_start(uv_timer_t *h, uv_timer_cb cb, uint64_t timeout, uint64_t repeat)
{
	RESOLVE(uv_timer_start);
	if (!lt_uv_enabled() || !cb || cb == timer_trampoline)
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
	struct lt_uv_entry *e = lt_uv_enabled() && real_uv_is_active((uv_handle_t *)h) ? lt_uv_lookup(h, 0) : NULL;
	if (e)
		lt_uv_destroyed(lt_uv_id_here(e)); /* a live timer cleared: clearTimeout */
	return real_uv_timer_stop(h);
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

/* --- requests: one resource per submission, done after its callback --- */

#define REQUEST(kind, req_type, type_name)                                            \
	static void kind##_trampoline(req_type *req, int status)                      \
	{                                                                             \
		uint32_t id;                                                          \
		uv_##kind##_cb cb = (uv_##kind##_cb)callback_of(req, &id);            \
		lt_uv_forget(req);                                                    \
		uint32_t outer = lt_uv_begin(id, 0);                                  \
		if (cb)                                                               \
			cb(req, status);                                              \
		lt_uv_end(id, outer);                                                 \
		lt_uv_destroyed(id);                                                  \
	}                                                                             \
	static uv_##kind##_cb kind##_wrap(req_type *req, uv_##kind##_cb cb, const void *caller) \
	{                                                                             \
		if (!lt_uv_enabled() || !cb)                                          \
			return cb;                                                    \
		struct lt_uv_entry *e = lt_uv_lookup(req, 1);                         \
		if (!e)                                                               \
			return cb;                                                    \
		e->cb = (void *)cb;                                                   \
		lt_uv_open(e, type_name, caller, (void *)cb, -1, 0);                  \
		return kind##_trampoline;                                             \
	}

REQUEST(write, uv_write_t, "WRITEWRAP")
REQUEST(connect, uv_connect_t, "TCPCONNECTWRAP")
REQUEST(shutdown, uv_shutdown_t, "SHUTDOWNWRAP")
REQUEST(udp_send, uv_udp_send_t, "SENDWRAP")
REQUEST(after_work, uv_work_t, "uv_work")

LT_EXPORT int uv_write(uv_write_t *req, uv_stream_t *s, const uv_buf_t bufs[], unsigned n, uv_write_cb cb)
{
	RESOLVE(uv_write);
	uv_write_cb w = write_wrap(req, cb, CALLER);
	int rc = real_uv_write(req, s, bufs, n, w);
	if (rc != 0 && w != cb)
		lt_uv_forget(req);
	return rc;
}

LT_EXPORT int uv_tcp_connect(uv_connect_t *req, uv_tcp_t *h, const struct sockaddr *addr, uv_connect_cb cb)
{
	RESOLVE(uv_tcp_connect);
	uv_connect_cb w = connect_wrap(req, cb, CALLER);
	int rc = real_uv_tcp_connect(req, h, addr, w);
	if (rc != 0 && w != cb)
		lt_uv_forget(req);
	return rc;
}

LT_EXPORT int uv_shutdown(uv_shutdown_t *req, uv_stream_t *s, uv_shutdown_cb cb)
{
	RESOLVE(uv_shutdown);
	uv_shutdown_cb w = shutdown_wrap(req, cb, CALLER);
	int rc = real_uv_shutdown(req, s, w);
	if (rc != 0 && w != cb)
		lt_uv_forget(req);
	return rc;
}

LT_EXPORT int uv_udp_send(uv_udp_send_t *req, uv_udp_t *h, const uv_buf_t bufs[], unsigned n,
			  const struct sockaddr *addr, uv_udp_send_cb cb)
{
	RESOLVE(uv_udp_send);
	uv_udp_send_cb w = udp_send_wrap(req, cb, CALLER);
	int rc = real_uv_udp_send(req, h, bufs, n, addr, w);
	if (rc != 0 && w != cb)
		lt_uv_forget(req);
	return rc;
}

LT_EXPORT int uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work, uv_after_work_cb cb)
{
	RESOLVE(uv_queue_work);
	uv_after_work_cb w = after_work_wrap(req, cb, CALLER);
	int rc = real_uv_queue_work(loop, req, work, w);
	if (rc != 0 && w != cb)
		lt_uv_forget(req);
	return rc;
}

/* --- fs requests: the callback takes the request alone; a NULL callback is
 * a synchronous call, not traced --- */

static void fs_trampoline(uv_fs_t *req)
{
	uint32_t id;
	uv_fs_cb cb = (uv_fs_cb)callback_of(req, &id);
	lt_uv_forget(req);
	uint32_t outer = lt_uv_begin(id, 0);
	if (cb)
		cb(req);
	lt_uv_end(id, outer);
	lt_uv_destroyed(id);
}

static uv_fs_cb fs_wrap(uv_fs_t *req, uv_fs_cb cb, const void *caller)
{
	if (!lt_uv_enabled() || !cb)
		return cb;
	struct lt_uv_entry *e = lt_uv_lookup(req, 1);
	if (!e)
		return cb;
	e->cb = (void *)cb;
	lt_uv_open(e, "FSREQCALLBACK", caller, (void *)cb, -1, 0);
	return fs_trampoline;
}

/* `args` pass `w`, the callback to give libuv. */
#define FS_REQUEST(name, params, args)                          \
	LT_EXPORT int name params                               \
	{                                                       \
		RESOLVE(name);                                  \
		uv_fs_cb w = fs_wrap(req, cb, CALLER);          \
		int rc = real_##name args;                      \
		if (rc < 0 && w != cb)                          \
			lt_uv_forget(req);                      \
		return rc;                                      \
	}

FS_REQUEST(uv_fs_open, (uv_loop_t *loop, uv_fs_t *req, const char *path, int flags, int mode, uv_fs_cb cb),
	   (loop, req, path, flags, mode, w))
FS_REQUEST(uv_fs_close, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb), (loop, req, file, w))
FS_REQUEST(uv_fs_read,
	   (uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t bufs[], unsigned n, int64_t offset, uv_fs_cb cb),
	   (loop, req, file, bufs, n, offset, w))
FS_REQUEST(uv_fs_write,
	   (uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t bufs[], unsigned n, int64_t offset, uv_fs_cb cb),
	   (loop, req, file, bufs, n, offset, w))
FS_REQUEST(uv_fs_stat, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb), (loop, req, path, w))
FS_REQUEST(uv_fs_fstat, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb), (loop, req, file, w))
FS_REQUEST(uv_fs_unlink, (uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb), (loop, req, path, w))
FS_REQUEST(uv_fs_fsync, (uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb), (loop, req, file, w))

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
