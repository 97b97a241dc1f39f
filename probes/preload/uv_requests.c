/*
 * uv_requests.c — interposers of libuv's requests: stream writes, connects,
 * shutdowns, UDP sends, and the threadpool's (uv_queue_work, every uv_fs_*
 * with a callback, uv_getaddrinfo, uv_getnameinfo, uv_random).  A request
 * is a resource from its submission to its callback (a dispatch), done
 * after it; a threadpool request also writes its times (LT_WORK,
 * uv_trace.h) as its callback begins.  A request without a callback is a
 * synchronous call: not traced.  Handles are in uv_hooks.c.
 */
#include <uv.h>

#include "capture.h"
#include "uv_interpose.h"
#include "uv_trace.h"

/* --- requests: one resource per submission, done after its callback --- */

/* A request's entry, made a resource of `type` at its submission (pool: a
 * threadpool request's enum lt_pool_work, 0 for others).  NULL: not traced
 * (capture off, no callback, libuv's own request, table full). */
static struct lt_uv_entry *request_entry(const void *req, const char *type, void *cb, const void *caller,
					 void *real_fn, unsigned pool)
{
	if (!lt_uv_enabled() || !cb || lt_uv_internal(caller, real_fn))
		return NULL;
	struct lt_uv_entry *e = lt_uv_lookup(req, 1);
	if (!e)
		return NULL;
	e->cb = cb;
	lt_uv_open(e, type, caller, cb, -1, 0);
	if (pool)
		lt_uv_pool_submitted(e, pool);
	return e;
}

/* The done trampolines' body: `call` runs the program's callback d.cb
 * between the dispatch's begin and end; the request is gone after it. */
#define REQUEST_DONE(req, call)                                   \
	do {                                                      \
		struct lt_uv_done d;                              \
		lt_uv_take_done((req), &d);                       \
		lt_uv_pool_done(&d);                              \
		uint32_t outer = lt_uv_begin(d.id, 0);            \
		if (d.cb)                                         \
			call;                                     \
		lt_uv_end(d.id, outer);                           \
		lt_uv_destroyed(d.id);                            \
	} while (0)

#define REQUEST(kind, req_type, type_name, pool)                                      \
	static void kind##_trampoline(req_type *req, int status)                      \
	{                                                                             \
		REQUEST_DONE(req, ((uv_##kind##_cb)d.cb)(req, status));               \
	}                                                                             \
	static uv_##kind##_cb kind##_wrap(req_type *req, uv_##kind##_cb cb, const void *caller, void *real_fn) \
	{                                                                             \
		return request_entry(req, type_name, (void *)cb, caller, real_fn, pool) ? kind##_trampoline : cb; \
	}

REQUEST(write, uv_write_t, "WRITEWRAP", 0)
REQUEST(connect, uv_connect_t, "TCPCONNECTWRAP", 0)
REQUEST(shutdown, uv_shutdown_t, "SHUTDOWNWRAP", 0)
REQUEST(udp_send, uv_udp_send_t, "SENDWRAP", 0)
REQUEST(after_work, uv_work_t, "uv_work", LT_POOL_QUEUE)

LT_EXPORT int uv_write(uv_write_t *req, uv_stream_t *s, const uv_buf_t bufs[], unsigned n, uv_write_cb cb)
{
	RESOLVE(uv_write);
	uv_write_cb w = write_wrap(req, cb, CALLER, (void *)real_uv_write);
	int rc = real_uv_write(req, s, bufs, n, w);
	if (rc != 0 && w != cb)
		lt_uv_forget(req);
	return rc;
}

LT_EXPORT int uv_tcp_connect(uv_connect_t *req, uv_tcp_t *h, const struct sockaddr *addr, uv_connect_cb cb)
{
	RESOLVE(uv_tcp_connect);
	uv_connect_cb w = connect_wrap(req, cb, CALLER, (void *)real_uv_tcp_connect);
	int rc = real_uv_tcp_connect(req, h, addr, w);
	if (rc != 0 && w != cb)
		lt_uv_forget(req);
	return rc;
}

LT_EXPORT int uv_shutdown(uv_shutdown_t *req, uv_stream_t *s, uv_shutdown_cb cb)
{
	RESOLVE(uv_shutdown);
	uv_shutdown_cb w = shutdown_wrap(req, cb, CALLER, (void *)real_uv_shutdown);
	int rc = real_uv_shutdown(req, s, w);
	if (rc != 0 && w != cb)
		lt_uv_forget(req);
	return rc;
}

LT_EXPORT int uv_udp_send(uv_udp_send_t *req, uv_udp_t *h, const uv_buf_t bufs[], unsigned n,
			  const struct sockaddr *addr, uv_udp_send_cb cb)
{
	RESOLVE(uv_udp_send);
	uv_udp_send_cb w = udp_send_wrap(req, cb, CALLER, (void *)real_uv_udp_send);
	int rc = real_uv_udp_send(req, h, bufs, n, addr, w);
	if (rc != 0 && w != cb)
		lt_uv_forget(req);
	return rc;
}

/* uv_queue_work's work callback on a pool thread: its start and end. */
static void work_trampoline(uv_work_t *req)
{
	struct lt_uv_entry *e = lt_uv_lookup(req, 0);
	uv_work_cb work = e ? (uv_work_cb)e->work_cb : NULL;
	if (!work)
		return; /* not reached: the entry lives until the done callback */
	e->start_ns = lt_now_ns();
	work(req);
	e->end_ns = lt_now_ns();
}

LT_EXPORT int uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work, uv_after_work_cb cb)
{
	RESOLVE(uv_queue_work);
	uv_after_work_cb w = after_work_wrap(req, cb, CALLER, (void *)real_uv_queue_work);
	uv_work_cb run = work;
	struct lt_uv_entry *e = w != cb && work ? lt_uv_lookup(req, 0) : NULL;
	if (e) {
		e->work_cb = (void *)work;
		run = work_trampoline;
	}
	int rc = real_uv_queue_work(loop, req, run, w);
	if (rc != 0 && w != cb)
		lt_uv_forget(req);
	return rc;
}

/* --- DNS and random bytes on the threadpool --- */

static void getaddrinfo_trampoline(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	REQUEST_DONE(req, ((uv_getaddrinfo_cb)d.cb)(req, status, res));
}

LT_EXPORT int uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req, uv_getaddrinfo_cb cb, const char *node,
			     const char *service, const struct addrinfo *hints)
{
	RESOLVE(uv_getaddrinfo);
	/* without a callback the lookup is synchronous: not a task */
	int traced = request_entry(req, "GETADDRINFOREQWRAP", (void *)cb, CALLER, (void *)real_uv_getaddrinfo,
				   LT_POOL_DNS) != NULL;
	int rc = real_uv_getaddrinfo(loop, req, traced ? getaddrinfo_trampoline : cb, node, service, hints);
	if (rc != 0 && traced)
		lt_uv_forget(req);
	return rc;
}

static void getnameinfo_trampoline(uv_getnameinfo_t *req, int status, const char *host, const char *service)
{
	REQUEST_DONE(req, ((uv_getnameinfo_cb)d.cb)(req, status, host, service));
}

LT_EXPORT int uv_getnameinfo(uv_loop_t *loop, uv_getnameinfo_t *req, uv_getnameinfo_cb cb,
			     const struct sockaddr *addr, int flags)
{
	RESOLVE(uv_getnameinfo);
	int traced = request_entry(req, "GETNAMEINFOREQWRAP", (void *)cb, CALLER, (void *)real_uv_getnameinfo,
				   LT_POOL_DNS) != NULL;
	int rc = real_uv_getnameinfo(loop, req, traced ? getnameinfo_trampoline : cb, addr, flags);
	if (rc != 0 && traced)
		lt_uv_forget(req);
	return rc;
}

static void random_trampoline(uv_random_t *req, int status, void *buf, size_t n)
{
	REQUEST_DONE(req, ((uv_random_cb)d.cb)(req, status, buf, n));
}

LT_EXPORT int uv_random(uv_loop_t *loop, uv_random_t *req, void *buf, size_t n, unsigned flags, uv_random_cb cb)
{
	RESOLVE(uv_random);
	int traced = request_entry(req, "RANDOMBYTESREQUEST", (void *)cb, CALLER, (void *)real_uv_random,
				   LT_POOL_RANDOM) != NULL;
	int rc = real_uv_random(loop, req, buf, n, flags, traced ? random_trampoline : cb);
	if (rc != 0 && traced)
		lt_uv_forget(req);
	return rc;
}

/* --- fs requests: the callback takes the request alone; a NULL callback is
 * a synchronous call, not traced.  One interposer per call of libuv 1.44's
 * uv.h, by the number of arguments between the request and the callback;
 * libuv's own (uv_fs_poll's stats) are not traced. --- */

static void fs_trampoline(uv_fs_t *req) { REQUEST_DONE(req, ((uv_fs_cb)d.cb)(req)); }

/* `args` pass `w`, the callback to give libuv. */
#define FS_REQUEST(name, params, args)                                                          \
	LT_EXPORT int name params                                                               \
	{                                                                                       \
		RESOLVE(name);                                                                  \
		int traced = request_entry(req, "FSREQCALLBACK", (void *)cb, CALLER, (void *)real_##name, \
					   LT_POOL_FS) != NULL;                                 \
		uv_fs_cb w = traced ? fs_trampoline : cb;                                       \
		int rc = real_##name args;                                                      \
		if (rc < 0 && traced)                                                           \
			lt_uv_forget(req);                                                      \
		return rc;                                                                      \
	}

#define FS1(name, T1) FS_REQUEST(name, (uv_loop_t * loop, uv_fs_t * req, T1 a1, uv_fs_cb cb), (loop, req, a1, w))
#define FS2(name, T1, T2) \
	FS_REQUEST(name, (uv_loop_t * loop, uv_fs_t * req, T1 a1, T2 a2, uv_fs_cb cb), (loop, req, a1, a2, w))
#define FS3(name, T1, T2, T3)                                                                    \
	FS_REQUEST(name, (uv_loop_t * loop, uv_fs_t * req, T1 a1, T2 a2, T3 a3, uv_fs_cb cb), \
		   (loop, req, a1, a2, a3, w))
#define FS4(name, T1, T2, T3, T4)                                                                       \
	FS_REQUEST(name, (uv_loop_t * loop, uv_fs_t * req, T1 a1, T2 a2, T3 a3, T4 a4, uv_fs_cb cb), \
		   (loop, req, a1, a2, a3, a4, w))

typedef const char *path_t;
typedef const uv_buf_t *bufs_t;

FS1(uv_fs_close, uv_file)
FS3(uv_fs_open, path_t, int, int)
FS4(uv_fs_read, uv_file, bufs_t, unsigned, int64_t)
FS4(uv_fs_write, uv_file, bufs_t, unsigned, int64_t)
FS1(uv_fs_unlink, path_t)
FS3(uv_fs_copyfile, path_t, path_t, int)
FS2(uv_fs_mkdir, path_t, int)
FS1(uv_fs_mkdtemp, path_t)
FS1(uv_fs_mkstemp, path_t)
FS1(uv_fs_rmdir, path_t)
FS2(uv_fs_scandir, path_t, int)
FS1(uv_fs_opendir, path_t)
FS1(uv_fs_readdir, uv_dir_t *)
FS1(uv_fs_closedir, uv_dir_t *)
FS1(uv_fs_stat, path_t)
FS1(uv_fs_fstat, uv_file)
FS1(uv_fs_lstat, path_t)
FS1(uv_fs_statfs, path_t)
FS2(uv_fs_rename, path_t, path_t)
FS1(uv_fs_fsync, uv_file)
FS1(uv_fs_fdatasync, uv_file)
FS2(uv_fs_ftruncate, uv_file, int64_t)
FS4(uv_fs_sendfile, uv_file, uv_file, int64_t, size_t)
FS2(uv_fs_access, path_t, int)
FS2(uv_fs_chmod, path_t, int)
FS2(uv_fs_fchmod, uv_file, int)
FS3(uv_fs_utime, path_t, double, double)
FS3(uv_fs_futime, uv_file, double, double)
FS3(uv_fs_lutime, path_t, double, double)
FS2(uv_fs_link, path_t, path_t)
FS3(uv_fs_symlink, path_t, path_t, int)
FS1(uv_fs_readlink, path_t)
FS1(uv_fs_realpath, path_t)
FS3(uv_fs_chown, path_t, uv_uid_t, uv_gid_t)
FS3(uv_fs_fchown, uv_file, uv_uid_t, uv_gid_t)
FS3(uv_fs_lchown, path_t, uv_uid_t, uv_gid_t)

