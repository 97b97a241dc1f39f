/*
 * capture.c — per-thread capture logs backed by shared file mappings.
 */
#include "capture.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LT_EXPORT __attribute__((visibility("default")))
#define CHUNK_BYTES ((size_t)LT_CHUNK_WORDS * 4u)
/* Capture fds are moved up here so they never collide with the program's. */
#define LT_FD_FLOOR 900
/* Capture files one thread id may have: one per image it exec'd into. */
#define MAX_IMAGES 16

_Static_assert(offsetof(struct lt_file_header, cursor) == LT_CURSOR_WORD * 4,
	       "cursor must sit at the word the agent reads");
_Static_assert(sizeof(struct lt_file_header) <= LT_HEADER_BYTES, "header fits its page");

struct lt_log {
	int fd;
	int disabled;
	int busy;
	pid_t pid;
	struct lt_file_header *hdr;
	uint32_t *ring;       /* LT_RING_SLOTS chunk slots */
	uint32_t chunk;       /* index of the chunk being written */
	uint32_t next_string;
	uint64_t busy_since; /* see looptrace_log_busy_since */
};

#define RING_BYTES ((size_t)LT_RING_SLOTS * CHUNK_BYTES)
/* How long a writer waits for the recorder to drain a slot before it stops
 * capturing (the recorder is gone or hopelessly behind). */
#define DRAIN_WAIT_NS (2ull * 1000 * 1000 * 1000)

static __thread struct lt_log *tls_log;
static __thread int tls_creating;
static __thread pid_t tls_parent_tid;

static volatile uint32_t coarse_us;
static atomic_int clock_state; /* 0 stopped, 1 starting/running */

uint64_t lt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

LT_EXPORT uint64_t looptrace_now_ns(void) { return lt_now_ns(); }

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static pid_t current_tid(void) { return (pid_t)syscall(SYS_gettid); }

/* --- the ring --- */

static uint32_t *slot_of(struct lt_log *log, uint32_t chunk)
{
	return log->ring + (size_t)(chunk % LT_RING_SLOTS) * LT_CHUNK_WORDS;
}

LT_EXPORT uint32_t *looptrace_log_chunk(struct lt_log *log, uint32_t *base)
{
	*base = log->chunk * LT_CHUNK_WORDS;
	return slot_of(log, log->chunk);
}

/* Wait until the recorder has drained the chunk that last used the slot of
 * `chunk`.  Returns 0, or -ETIMEDOUT. */
static int wait_for_slot(struct lt_log *log, uint32_t chunk)
{
	uint64_t deadline = lt_now_ns() + DRAIN_WAIT_NS;
	struct timespec nap = {0, 50 * 1000};
	while (chunk >= __atomic_load_n(&log->hdr->ring_drained, __ATOMIC_ACQUIRE) + LT_RING_SLOTS) {
		if (lt_now_ns() > deadline)
			return -ETIMEDOUT;
		/* The raw syscall: nanosleep itself is interposed (preload.c). */
		syscall(SYS_nanosleep, &nap, NULL);
	}
	return 0;
}

LT_EXPORT int looptrace_log_advance(struct lt_log *log, uint32_t words)
{
	if (log->disabled)
		return -ENOSPC;
	if (words > LT_CHUNK_WORDS)
		return -EINVAL;
	uint32_t cursor = (uint32_t)log->hdr->cursor;
	uint32_t base = log->chunk * LT_CHUNK_WORDS;
	uint32_t end = base + LT_CHUNK_WORDS;
	if (cursor + words <= end)
		return 0;

	/* Close this chunk with padding, publish it, move to the next slot. */
	uint32_t rest = end - cursor;
	if (rest > 0)
		slot_of(log, log->chunk)[cursor - base] = lt_record_header(LT_PAD, 0, rest);
	log->hdr->cursor = (int32_t)end;
	__atomic_store_n(&log->hdr->ring_written, log->chunk + 1, __ATOMIC_RELEASE);
	if (wait_for_slot(log, log->chunk + 1) != 0) {
		log->disabled = 1;
		log->hdr->flags |= LT_FILE_LOST;
		return -ENOSPC;
	}
	log->chunk++;
	return 0;
}

LT_EXPORT struct lt_file_header *looptrace_log_header(struct lt_log *log) { return log->hdr; }

LT_EXPORT uint64_t *looptrace_log_busy_since(struct lt_log *log) { return &log->busy_since; }

void lt_capture_set_busy(struct lt_log *log, uint64_t since)
{
	if (log)
		__atomic_store_n(&log->busy_since, since, __ATOMIC_RELAXED);
}

/* --- the coarse clock --- */

static void *clock_main(void *arg)
{
	(void)arg;
	struct timespec period = {0, (long)LT_COARSE_PERIOD_US * 1000};
	for (;;) {
		coarse_us = (uint32_t)(lt_now_ns() / 1000u);
		syscall(SYS_nanosleep, &period, NULL);
	}
	return NULL;
}

LT_EXPORT int looptrace_helper_thread(void *(*fn)(void *), void *arg)
{
	pthread_t thread;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* A helper must not trace itself or take signals the program relies on. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* The real pthread_create: the thread is ours, not the program's. */
	__typeof__(pthread_create) *create =
		(__typeof__(pthread_create) *)dlsym(RTLD_NEXT, "pthread_create");
	int rc = create ? create(&thread, &attr, fn, arg) : ENOSYS;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}

LT_EXPORT const volatile uint32_t *looptrace_coarse_clock(void)
{
	int expected = 0;
	if (atomic_compare_exchange_strong(&clock_state, &expected, 1)) {
		coarse_us = (uint32_t)(lt_now_ns() / 1000u);
		if (looptrace_helper_thread(clock_main, NULL) != 0)
			atomic_store(&clock_state, 0);
	}
	return &coarse_us;
}

/* --- logs --- */

static void read_cmdline(char *buf, size_t cap, size_t *len)
{
	*len = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n;
	while (*len < cap && (n = read(fd, buf + *len, cap - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	while (*len > 0 && buf[*len - 1] == '\0')
		(*len)--;
}

static void write_proc_start(struct lt_log *log)
{
	char argv[4096];
	size_t n;
	read_cmdline(argv, sizeof(argv), &n);
	uint32_t argv_id = lt_record_string(log, argv, n);
	uint32_t *rec = lt_record_begin(log, 4);
	if (!rec)
		return;
	lt_put_ts(rec + 1, lt_now_ns());
	rec[3] = argv_id;
	lt_record_commit(log, rec, lt_record_header(LT_PROC_START, 0, 4));
}

static struct lt_log *log_create(void)
{
	const char *dir = getenv("LOOPTRACE_DIR");
	if (!dir || !*dir)
		return NULL;
	pid_t pid = getpid(), tid = current_tid();
	char path[4096];
	struct lt_log *log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	/* <pid>-<tid>.ring, or <pid>-<tid>.<n>.ring when an image this process
	 * exec'd from (a shell running `exec node ...`) has the first name. */
	int fd = -1;
	for (int n = 0; fd < 0 && n < MAX_IMAGES; n++) {
		int w = n ? snprintf(path, sizeof(path), "%s/%d-%d.%d.ring", dir, (int)pid, (int)tid, n)
			  : snprintf(path, sizeof(path), "%s/%d-%d.ring", dir, (int)pid, (int)tid);
		if (w < 0 || w >= (int)sizeof(path))
			goto free_log;
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			goto free_log;
	}
	if (fd < 0)
		goto free_log;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, LT_FD_FLOOR);
	if (high >= 0) {
		close(fd);
		fd = high;
	}
	/* Sparse: tmpfs gives pages on first touch, and the ring is reused. */
	if (ftruncate(fd, (off_t)(LT_HEADER_BYTES + RING_BYTES)) != 0)
		goto close_fd;
	log->hdr = mmap(NULL, LT_HEADER_BYTES + RING_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (log->hdr == MAP_FAILED)
		goto close_fd;
	log->ring = (uint32_t *)((char *)log->hdr + LT_HEADER_BYTES);

	struct lt_file_header *h = log->hdr;
	h->version = LT_WIRE_VERSION;
	h->header_bytes = LT_HEADER_BYTES;
	h->chunk_words = LT_CHUNK_WORDS;
	h->pid = pid;
	h->tid = tid;
	h->ppid = getppid();
	h->parent_tid = tls_parent_tid;
	h->start_ns = lt_now_ns();
	h->start_realtime_ns = realtime_ns();
	h->flags = pid == tid ? LT_FILE_MAIN_THREAD : 0;
	h->cursor = 0;
	h->ring_slots = LT_RING_SLOTS;
	memcpy(h->magic, LT_MAGIC, sizeof(h->magic)); /* last: marks the page valid */
	log->fd = fd;
	log->pid = pid;
	return log;

close_fd:
	close(fd);
	unlink(path);
free_log:
	free(log);
	return NULL;
}

LT_EXPORT struct lt_log *looptrace_log_current(void)
{
	struct lt_log *log = tls_log;
	if (log || tls_creating)
		return log;
	tls_creating = 1; /* open/mmap below must not recurse into a new log */
	log = log_create();
	tls_log = log;
	if (log && (log->hdr->flags & LT_FILE_MAIN_THREAD))
		write_proc_start(log);
	tls_creating = 0;
	return log;
}

uint32_t *lt_record_begin(struct lt_log *log, uint32_t words)
{
	if (!log || log->busy || log->disabled)
		return NULL;
	if (looptrace_log_advance(log, words) != 0)
		return NULL;
	log->busy = 1;
	uint32_t base = log->chunk * LT_CHUNK_WORDS;
	return slot_of(log, log->chunk) + ((uint32_t)log->hdr->cursor - base);
}

void lt_record_commit(struct lt_log *log, uint32_t *rec, uint32_t header)
{
	rec[0] = header;
	log->hdr->cursor += (int32_t)lt_record_words(header);
	log->busy = 0;
}

uint32_t lt_record_string(struct lt_log *log, const char *bytes, size_t n)
{
	if (n > (LT_MAX_RECORD_WORDS - 3u) * 4u)
		n = (LT_MAX_RECORD_WORDS - 3u) * 4u;
	uint32_t words = 3u + (uint32_t)((n + 3u) / 4u);
	uint32_t *rec = lt_record_begin(log, words);
	if (!rec)
		return 0;
	uint32_t id = 0x80000000u | ++log->next_string;
	rec[1] = id;
	rec[2] = (uint32_t)n;
	rec[words - 1] = 0; /* zero the padding of the last word */
	memcpy(rec + 3, bytes, n);
	lt_record_commit(log, rec, lt_record_header(LT_STRING, 0, words));
	return id;
}

/* --- process lifecycle --- */

void lt_capture_set_parent_tid(pid_t tid) { tls_parent_tid = tid; }

static pid_t own_pid; /* this process, as of load time or its fork */

int lt_capture_in_own_process(void) { return own_pid == getpid(); }

void lt_capture_after_fork_child(void)
{
	own_pid = getpid();
	/* The parent's log and its mappings stay the parent's: forget them
	 * (without unmapping: the agent may still hold views) and start anew on
	 * first use.  The clock thread did not survive the fork. */
	tls_log = NULL;
	tls_parent_tid = 0;
	atomic_store(&clock_state, 0);
}

void lt_capture_at_exit(void)
{
	struct lt_log *log = tls_log;
	if (log && log->pid == getpid())
		log->hdr->flags |= LT_FILE_CLOSED;
}

static struct lt_trace_env trace_env;

static void copy_var(char *dst, size_t cap, const char *name)
{
	const char *v = getenv(name);
	if (v && strlen(v) < cap)
		strcpy(dst, v);
}

void lt_capture_save_trace_env(void)
{
	own_pid = getpid();
	copy_var(trace_env.dir, sizeof(trace_env.dir), "LOOPTRACE_DIR");
	copy_var(trace_env.preload, sizeof(trace_env.preload), "LOOPTRACE_PRELOAD");
	copy_var(trace_env.node_options, sizeof(trace_env.node_options), "LOOPTRACE_NODE_OPTIONS");
}

const struct lt_trace_env *lt_capture_trace_env(void) { return &trace_env; }

struct lt_log *lt_capture_existing_log(void) { return tls_log; }

int lt_capture_log_is_own(const struct lt_log *log) { return log->pid == getpid(); }

int lt_capture_log_is_main_thread(const struct lt_log *log)
{
	return (log->hdr->flags & LT_FILE_MAIN_THREAD) != 0;
}
