/*
 * preload.c — libc interposers of liblooptrace-preload.so.
 *
 * Every interposer calls the real function first and records afterwards,
 * keeping errno and the return value exactly as the program would see them
 * untraced.  What is recorded:
 *   epoll_wait / epoll_pwait / epoll_pwait2   loop iterations: poll enter/exit
 *   poll / ppoll / select / pselect           the same, on a thread that uses
 *                                              the probe API (looptrace.h)
 *   write / writev on fds 1 and 2              program output (C stdio: stdio_hooks.c)
 *   fork, exec*, pthread_create                process and thread lineage
 * exec* also re-inserts LD_PRELOAD, NODE_OPTIONS and LOOPTRACE_DIR into an
 * environment that dropped them, so that children started with a custom env
 * (child_process.spawn(cmd, {env})) are traced too.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "capture.h"
#include "output.h"
#include "state.h"
#include "uv_trace.h"

#define LT_EXPORT __attribute__((visibility("default")))

#define RESOLVE(name)                                                                   \
	static __typeof__(name) *real_##name;                                           \
	if (!real_##name)                                                               \
		real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

/* --- output --- */

LT_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	RESOLVE(write);
	ssize_t r = real_write(fd, buf, count);
	if (r > 0 && (fd == 1 || fd == 2)) {
		int saved = errno;
		struct iovec iov = {(void *)buf, (size_t)r};
		lt_output_record(fd, &iov, 1, (size_t)r);
		errno = saved;
	}
	return r;
}

LT_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	RESOLVE(writev);
	ssize_t r = real_writev(fd, iov, iovcnt);
	if (r > 0 && (fd == 1 || fd == 2)) {
		int saved = errno;
		lt_output_record(fd, iov, iovcnt, (size_t)r);
		errno = saved;
	}
	return r;
}

/* --- loop iterations --- */

static void record_poll(unsigned kind, int32_t value)
{
	struct lt_log *log = looptrace_log_current();
	if (!log)
		return;
	uint64_t now = lt_now_ns();
	/* The watchdog (probes/agent/watchdog.cc) samples threads busy too long. */
	lt_capture_set_busy(log, kind == LT_POLL_ENTER ? 0 : now);
	uint32_t *rec = lt_record_begin(log, 4);
	if (!rec)
		return;
	lt_put_ts(rec + 1, now);
	rec[3] = (uint32_t)value;
	lt_record_commit(log, rec, lt_record_header(kind, 0, 4));
}

static int poll_result(int r) { return r < 0 ? -errno : r; }

/* Around the real wait, errno kept as the program would see it untraced. */
static void poll_enter(int timeout_ms)
{
	int saved = errno;
	record_poll(LT_POLL_ENTER, timeout_ms);
	errno = saved;
}

static int poll_exit(int r)
{
	int saved = errno;
	record_poll(LT_POLL_EXIT, poll_result(r));
	errno = saved;
	return r;
}

LT_EXPORT int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	RESOLVE(epoll_wait);
	poll_enter(timeout);
	return poll_exit(real_epoll_wait(epfd, events, maxevents, timeout));
}

LT_EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
			  const sigset_t *sigmask)
{
	RESOLVE(epoll_pwait);
	poll_enter(timeout);
	return poll_exit(real_epoll_pwait(epfd, events, maxevents, timeout, sigmask));
}

LT_EXPORT int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
			   const struct timespec *timeout, const sigset_t *sigmask)
{
	RESOLVE(epoll_pwait2);
	int ms = timeout ? (int)(timeout->tv_sec * 1000 + timeout->tv_nsec / 1000000) : -1;
	poll_enter(ms);
	return poll_exit(real_epoll_pwait2(epfd, events, maxevents, timeout, sigmask));
}

/* A loop of the program's own, told through the probe API, may wait in
 * poll, ppoll, select or pselect: on such a thread (and only there: Node and
 * libuv wait in epoll) those waits are its loop's iterations too.  The
 * fortified __poll_chk/__ppoll_chk are what -D_FORTIFY_SOURCE builds call. */
static int probe_loop_wait(void) { return lt_state_probe_loop(); }

/* glibc's fortified entry points, declared by <poll.h> only in fortified builds. */
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
		const sigset_t *sigmask, size_t fdslen);

static int timespec_ms(const struct timespec *t)
{
	return t ? (int)(t->tv_sec * 1000 + t->tv_nsec / 1000000) : -1;
}

LT_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	RESOLVE(poll);
	if (!probe_loop_wait())
		return real_poll(fds, nfds, timeout);
	poll_enter(timeout);
	return poll_exit(real_poll(fds, nfds, timeout));
}

LT_EXPORT int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen)
{
	RESOLVE(__poll_chk);
	if (!probe_loop_wait())
		return real___poll_chk(fds, nfds, timeout, fdslen);
	poll_enter(timeout);
	return poll_exit(real___poll_chk(fds, nfds, timeout, fdslen));
}

LT_EXPORT int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
		    const sigset_t *sigmask)
{
	RESOLVE(ppoll);
	if (!probe_loop_wait())
		return real_ppoll(fds, nfds, timeout, sigmask);
	poll_enter(timespec_ms(timeout));
	return poll_exit(real_ppoll(fds, nfds, timeout, sigmask));
}

LT_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
			  const sigset_t *sigmask, size_t fdslen)
{
	RESOLVE(__ppoll_chk);
	if (!probe_loop_wait())
		return real___ppoll_chk(fds, nfds, timeout, sigmask, fdslen);
	poll_enter(timespec_ms(timeout));
	return poll_exit(real___ppoll_chk(fds, nfds, timeout, sigmask, fdslen));
}

LT_EXPORT int select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
		     struct timeval *timeout)
{
	RESOLVE(select);
	if (!probe_loop_wait())
		return real_select(nfds, readfds, writefds, exceptfds, timeout);
	poll_enter(timeout ? (int)(timeout->tv_sec * 1000 + timeout->tv_usec / 1000) : -1);
	return poll_exit(real_select(nfds, readfds, writefds, exceptfds, timeout));
}

LT_EXPORT int pselect(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
		      const struct timespec *timeout, const sigset_t *sigmask)
{
	RESOLVE(pselect);
	if (!probe_loop_wait())
		return real_pselect(nfds, readfds, writefds, exceptfds, timeout, sigmask);
	poll_enter(timespec_ms(timeout));
	return poll_exit(real_pselect(nfds, readfds, writefds, exceptfds, timeout, sigmask));
}

/* --- condition waits: idle time of worker threads --- */

/* A worker thread that waits for work in Atomics.wait (piscina and other
 * pools do, instead of returning to its loop) is idle, not busy: V8 waits
 * on a condition variable.  The wait ends the busy stretch the watchdog
 * samples (probes/agent/watchdog.cc).  Not on a process's main thread, where
 * Atomics.wait is a sleep that blocks the loop.  The versioned lookups: the
 * unversioned names resolve to the pre-2.3.2 ABI. */
static struct lt_log *waiting_worker(void)
{
	struct lt_log *log = lt_capture_existing_log();
	if (!log || !lt_capture_log_is_own(log) || lt_capture_log_is_main_thread(log))
		return NULL;
	return *looptrace_log_busy_since(log) ? log : NULL;
}

#define IDLE_WAIT(call)                                                                 \
	do {                                                                            \
		struct lt_log *log_ = waiting_worker();                                 \
		if (log_)                                                               \
			lt_capture_set_busy(log_, 0);                                   \
		int r_ = call;                                                          \
		if (log_)                                                               \
			lt_capture_set_busy(log_, lt_now_ns());                         \
		return r_;                                                              \
	} while (0)

#define RESOLVE_VERSION(name, version)                                                  \
	static __typeof__(name) *real_##name;                                           \
	if (!real_##name)                                                               \
		real_##name = (__typeof__(name) *)dlvsym(RTLD_NEXT, #name, version)

LT_EXPORT int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
	RESOLVE_VERSION(pthread_cond_wait, "GLIBC_2.3.2");
	IDLE_WAIT(real_pthread_cond_wait(cond, mutex));
}

LT_EXPORT int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
				     const struct timespec *abstime)
{
	RESOLVE_VERSION(pthread_cond_timedwait, "GLIBC_2.3.2");
	IDLE_WAIT(real_pthread_cond_timedwait(cond, mutex, abstime));
}

LT_EXPORT int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
				     const struct timespec *abstime)
{
	RESOLVE_VERSION(pthread_cond_clockwait, "GLIBC_2.30");
	IDLE_WAIT(real_pthread_cond_clockwait(cond, mutex, clock, abstime));
}

/* --- blocking calls on traced threads --- */

/* A call that may block, timed only on a thread that already has a log (the
 * loop threads of traced programs); recorded when it took >= 1 ms. */
#define BLOCKING_MIN_NS 1000000u

static void record_blocking(struct lt_log *log, unsigned call, uint64_t begin)
{
	uint64_t ns = lt_now_ns() - begin;
	if (ns < BLOCKING_MIN_NS)
		return;
	int saved = errno;
	uint32_t *rec = lt_record_begin(log, 4);
	if (rec) {
		lt_put_ts(rec + 1, begin);
		rec[3] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
		lt_record_commit(log, rec, lt_record_header(LT_BLOCKING, call, 4));
	}
	errno = saved;
}

#define TIMED_CALL(call, expr)                                                          \
	do {                                                                            \
		struct lt_log *log_ = lt_capture_existing_log();                        \
		if (!log_)                                                              \
			return expr;                                                    \
		uint64_t begin_ = lt_now_ns();                                          \
		__typeof__(expr) r_ = expr;                                             \
		record_blocking(log_, call, begin_);                                    \
		return r_;                                                              \
	} while (0)

LT_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	RESOLVE(read);
	TIMED_CALL(LT_CALL_READ, real_read(fd, buf, n));
}

LT_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	RESOLVE(pread64);
	TIMED_CALL(LT_CALL_READ, real_pread64(fd, buf, n, off));
}

LT_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	RESOLVE(readv);
	TIMED_CALL(LT_CALL_READ, real_readv(fd, iov, cnt));
}

LT_EXPORT int fsync(int fd)
{
	RESOLVE(fsync);
	TIMED_CALL(LT_CALL_FSYNC, real_fsync(fd));
}

LT_EXPORT int fdatasync(int fd)
{
	RESOLVE(fdatasync);
	TIMED_CALL(LT_CALL_FSYNC, real_fdatasync(fd));
}

LT_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	RESOLVE(nanosleep);
	TIMED_CALL(LT_CALL_SLEEP, real_nanosleep(req, rem));
}

LT_EXPORT int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
			      struct timespec *rem)
{
	RESOLVE(clock_nanosleep);
	TIMED_CALL(LT_CALL_SLEEP, real_clock_nanosleep(clock, flags, req, rem));
}

LT_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	RESOLVE(waitpid);
	TIMED_CALL(LT_CALL_WAIT, real_waitpid(pid, status, options));
}

/* --- processes and threads --- */

LT_EXPORT pid_t fork(void)
{
	RESOLVE(fork);
	pid_t r = real_fork();
	if (r > 0) {
		int saved = errno;
		struct lt_log *log = looptrace_log_current();
		uint32_t *rec = lt_record_begin(log, 4);
		if (rec) {
			lt_put_ts(rec + 1, lt_now_ns());
			rec[3] = (uint32_t)r;
			lt_record_commit(log, rec, lt_record_header(LT_FORK, 0, 4));
		}
		errno = saved;
	}
	return r;
}

struct thread_start {
	void *(*fn)(void *);
	void *arg;
	pid_t parent_tid;
};

static void *thread_trampoline(void *p)
{
	struct thread_start start = *(struct thread_start *)p;
	free(p);
	lt_state_set_parent_tid(start.parent_tid);
	return start.fn(start.arg);
}

LT_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			     void *(*fn)(void *), void *arg)
{
	RESOLVE(pthread_create);
	struct thread_start *start = malloc(sizeof(*start));
	if (!start)
		return real_pthread_create(thread, attr, fn, arg);
	start->fn = fn;
	start->arg = arg;
	start->parent_tid = (pid_t)syscall(SYS_gettid);
	int r = real_pthread_create(thread, attr, thread_trampoline, start);
	if (r != 0) {
		free(start);
		return r;
	}
	struct lt_log *log = lt_capture_existing_log();
	uint32_t *rec = lt_record_begin(log, 3);
	if (rec) {
		lt_put_ts(rec + 1, lt_now_ns());
		lt_record_commit(log, rec, lt_record_header(LT_THREAD_CREATE, 0, 3));
	}
	return 0;
}

/* exec*: record the attempt in this process's own log (never in a log
 * inherited through vfork, which still belongs to the parent), then run the
 * real execve with the tracing variables put back if the new env lost them. */

#define MAX_ENV 8192
#define VAR_BYTES 8192

/* A process without a log yet (a shell about to exec a command) gets one:
 * what it became is worth a line in the trace.  Not in a vfork child, which
 * shares the parent's memory (thread-local log pointer included). */
static struct lt_log *exec_log(void)
{
	struct lt_log *log = lt_capture_existing_log();
	if (!log && lt_state_in_own_process())
		log = looptrace_log_current();
	return log && lt_capture_log_is_own(log) ? log : NULL;
}

static void record_exec(struct lt_log *log, const char *path)
{
	uint32_t path_id = lt_record_string(log, path, strlen(path));
	uint32_t *rec = lt_record_begin(log, 4);
	if (!rec)
		return;
	lt_put_ts(rec + 1, lt_now_ns());
	rec[3] = path_id;
	lt_record_commit(log, rec, lt_record_header(LT_EXEC, 0, 4));
}

/* The exec just attempted returned: it failed (the importer drops it). */
static void record_exec_failed(struct lt_log *log, int err)
{
	uint32_t *rec = lt_record_begin(log, 4);
	if (!rec)
		return;
	lt_put_ts(rec + 1, lt_now_ns());
	rec[3] = (uint32_t)err;
	lt_record_commit(log, rec, lt_record_header(LT_EXEC, LT_EXEC_FAILED, 4));
}

static const char *env_find(char *const envp[], const char *name, size_t len)
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
			return envp[i] + len + 1;
	return NULL;
}

/* Build in `out` the env to exec with: envp plus the tracing variables it
 * lacks.  `bufs` holds rebuilt "NAME=value" strings.  Returns envp itself
 * when nothing is missing or the env is too large to rebuild. */
static char *const *traced_env(char *const envp[], char **out, char bufs[][VAR_BYTES])
{
	const struct lt_trace_env *want = lt_state_trace_env();
	size_t n = 0;
	while (envp && envp[n])
		n++;
	if (!want->dir[0] || n + LT_TRACE_VARS + 1 > MAX_ENV)
		return envp;

	const char *names[LT_TRACE_VARS] = {"LOOPTRACE_DIR", "LD_PRELOAD", "NODE_OPTIONS"};
	const char *values[LT_TRACE_VARS] = {want->dir, want->preload, want->node_options};
	int changed = 0;
	size_t k = 0;
	const char *fixed[LT_TRACE_VARS] = {0};
	for (int v = 0; v < LT_TRACE_VARS; v++) {
		size_t len = strlen(names[v]);
		const char *have = env_find(envp, names[v], len);
		if (!values[v][0] || (have && (v == 0 || strstr(have, values[v]))))
			continue;
		/* Missing or lacking our part: prepend ours to what is there. */
		int w = have ? snprintf(bufs[v], VAR_BYTES, "%s=%s %s", names[v], values[v], have)
			     : snprintf(bufs[v], VAR_BYTES, "%s=%s", names[v], values[v]);
		if (w < 0 || w >= VAR_BYTES)
			continue;
		if (have && v == 1) /* LD_PRELOAD entries are separated by ':' or ' ' */
			bufs[v][len + 1 + strlen(values[v])] = ':';
		fixed[v] = bufs[v];
		changed = 1;
	}
	if (!changed)
		return envp;
	for (size_t i = 0; i < n; i++) {
		int skip = 0;
		for (int v = 0; v < LT_TRACE_VARS; v++) {
			size_t len = strlen(names[v]);
			if (fixed[v] && strncmp(envp[i], names[v], len) == 0 && envp[i][len] == '=')
				skip = 1;
		}
		if (!skip)
			out[k++] = envp[i];
	}
	for (int v = 0; v < LT_TRACE_VARS; v++)
		if (fixed[v])
			out[k++] = (char *)fixed[v];
	out[k] = NULL;
	return out;
}

/* What execvp would run for `file`: the first executable of that name on
 * PATH (as the C library searches it), or `file` itself. */
static const char *search_path(const char *file, char *buf, size_t cap)
{
	if (strchr(file, '/'))
		return file;
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		int w = len ? snprintf(buf, cap, "%.*s/%s", (int)len, path, file) : snprintf(buf, cap, "%s", file);
		if (w > 0 && (size_t)w < cap && access(buf, X_OK) == 0)
			return buf;
		path += len + (end ? 1 : 0);
	}
	return file;
}

static int exec_traced(const char *file, char *const argv[], char *const envp[], int search)
{
	RESOLVE(execve);
	RESOLVE(execvpe);
	int saved = errno;
	struct lt_log *log = exec_log();
	char found[4096];
	if (log)
		record_exec(log, search ? search_path(file, found, sizeof(found)) : file);
	errno = saved;
	char *env[MAX_ENV];
	char bufs[LT_TRACE_VARS][VAR_BYTES];
	char *const *use = traced_env(envp, env, bufs);
	int r = search ? real_execvpe(file, argv, use) : real_execve(file, argv, use);
	if (log) {
		saved = errno;
		record_exec_failed(log, saved);
		errno = saved;
	}
	return r;
}

LT_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return exec_traced(path, argv, envp, 0);
}

LT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return exec_traced(file, argv, envp, 1);
}

LT_EXPORT int execv(const char *path, char *const argv[])
{
	return exec_traced(path, argv, environ, 0);
}

LT_EXPORT int execvp(const char *file, char *const argv[])
{
	return exec_traced(file, argv, environ, 1);
}

/* execl, execlp, execle: gather the variadic list into an argv. */
#define MAX_ARGS 4096

static int collect_args(const char *arg0, va_list ap, char **argv)
{
	int n = 0;
	argv[n++] = (char *)arg0;
	while (arg0 && n < MAX_ARGS) {
		argv[n] = va_arg(ap, char *);
		if (!argv[n])
			return 0;
		n++;
	}
	argv[n < MAX_ARGS ? n : MAX_ARGS - 1] = NULL;
	return n >= MAX_ARGS ? -E2BIG : 0;
}

/* The list after `arg` (and, with `with_env`, the envp after its NULL) as
 * an argv, then exec. */
static int exec_list(const char *file, const char *arg, va_list ap, int search, int with_env)
{
	char *argv[MAX_ARGS + 1];
	int r = collect_args(arg, ap, argv);
	char *const *envp = r == 0 && with_env ? va_arg(ap, char *const *) : environ;
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return exec_traced(file, argv, envp, search);
}

/* execl, execlp, execle: the same body, the list handed to exec_list. */
#define EXEC_LIST(name, search, with_env)                                      \
	LT_EXPORT int name(const char *file, const char *arg, ...)             \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, arg);                                             \
		int r = exec_list(file, arg, ap, search, with_env);            \
		va_end(ap);                                                    \
		return r;                                                      \
	}

EXEC_LIST(execl, 0, 0)
EXEC_LIST(execlp, 1, 0)
EXEC_LIST(execle, 0, 1)

/* --- load and unload --- */

static void after_fork_child(void)
{
	lt_state_after_fork_child();
	lt_capture_after_fork_child();
	lt_uv_after_fork_child();
}

__attribute__((constructor)) static void preload_init(void)
{
	lt_state_load();
	pthread_atfork(NULL, NULL, after_fork_child);
}

__attribute__((destructor)) static void preload_fini(void)
{
	lt_uv_at_exit();
	lt_capture_at_exit();
}
