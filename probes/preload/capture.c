/*
 * capture.c — per-thread capture logs backed by shared file mappings.
 */
#include "capture.h"
#include "helper_thread.h"
#include "page_warmer.h"
#include "state.h"

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
#include <sys/statvfs.h>
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
	int dropping;         /* writing into scratch: no free slot (see wire.h, Loss) */
	pid_t pid;
	uint32_t slots;       /* ring slots reserved (0..LT_RING_SLOTS) */
	size_t map_bytes;
	struct lt_file_header *hdr;
	uint32_t *ring;       /* `slots` chunk slots */
	uint32_t *scratch;    /* one private chunk, mapped at the first gap */
	uint32_t chunk;       /* index of the chunk being written */
	uint32_t used;        /* slots in use (ring_first_slots, doubled at each growth) */
	uint32_t held[LT_RING_SLOTS]; /* per slot: 1 + the last chunk written there, 0: none yet */
	uint32_t populated;   /* slots handed to the page warmer */
	uint32_t next_string;
	uint64_t busy_since; /* see looptrace_log_busy_since */
	struct lt_log *next_log; /* every log of the process, for the exit count */
};

static struct lt_log *all_logs;

static __thread struct lt_log *tls_log;
static __thread int tls_creating;

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

static uint32_t slot_index(const struct lt_log *log, uint32_t chunk)
{
	return lt_ring_slot(log->hdr, log->slots, chunk);
}

static uint32_t *slot_of(struct lt_log *log, uint32_t chunk)
{
	return log->ring + (size_t)slot_index(log, chunk) * LT_CHUNK_WORDS;
}

/* During a gap the cursor counts in a range of its own, below zero as an
 * int32 (the agent's Int32Array), so that a writer holding a view of the
 * scratch chunk sees the cursor leave it when the ring comes back, and the
 * other way round. */
#define SCRATCH_BASE ((uint32_t)0 - 2u * LT_CHUNK_WORDS)

/* Where the chunk being written lives: its ring slot, or the scratch chunk
 * during a gap; and the cursor value of its first word. */
static uint32_t *current_chunk(struct lt_log *log)
{
	return log->dropping ? log->scratch : slot_of(log, log->chunk);
}

static uint32_t chunk_base(const struct lt_log *log)
{
	return log->dropping ? SCRATCH_BASE : log->chunk * LT_CHUNK_WORDS;
}

LT_EXPORT uint32_t *looptrace_log_chunk(struct lt_log *log, uint32_t *base)
{
	*base = chunk_base(log);
	return current_chunk(log);
}

/* Whether the slot of `chunk` holds no chunk the recorder has yet to drain
 * (it drains in order). */
static int slot_free(struct lt_log *log, uint32_t chunk)
{
	if (log->slots == 0)
		return 0;
	uint32_t held = log->held[slot_index(log, chunk)];
	return held == 0 || held - 1 < __atomic_load_n(&log->hdr->ring_drained, __ATOMIC_ACQUIRE);
}

static void warm_slots(struct lt_log *log);

/* The slot of `chunk` is busy: double the slots in use, if the ring has
 * more, from `chunk` on (it goes to the first new slot, which is free; see
 * lt_ring_slot).  Returns whether it did. */
static int ring_grow(struct lt_log *log, uint32_t chunk)
{
	uint32_t grown = log->hdr->ring_grown;
	if (log->used >= log->slots || grown >= LT_RING_GROWTHS)
		return 0;
	if (grown > 0 && chunk <= log->hdr->ring_grow_chunk[grown - 1])
		return 0; /* one growth per chunk: the chunk's slot is decided */
	__atomic_store_n(&log->hdr->ring_grow_chunk[grown], chunk, __ATOMIC_RELAXED);
	__atomic_store_n(&log->hdr->ring_grown, grown + 1, __ATOMIC_RELEASE);
	log->used = log->used * 2 < log->slots ? log->used * 2 : log->slots;
	warm_slots(log);
	return 1;
}

/* The slot of `chunk` now holds it (the writer is about to fill it). */
static void take_slot(struct lt_log *log, uint32_t chunk)
{
	if (log->slots > 0)
		log->held[slot_index(log, chunk)] = chunk + 1;
}

/* Up to cap bytes of a /proc file into buf (*len of them), 0 or -errno.
 * Raw system calls: read is interposed (preload.c), and the library must
 * neither record its own reads nor call back into its interposers. */
static int read_proc_file(const char *path, char *buf, size_t cap, size_t *len)
{
	*len = 0;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = 0;
	while (*len < cap && (n = syscall(SYS_read, fd, buf + *len, cap - *len)) > 0)
		*len += (size_t)n;
	int err = n < 0 ? -errno : 0;
	syscall(SYS_close, fd);
	return err;
}

/* Whether the recorder process still lives: a zombie (killed, not yet
 * reaped by its parent) does not. */
static int recorder_alive(void)
{
	pid_t recorder_pid = lt_state_settings()->recorder_pid;
	if (recorder_pid <= 0)
		return 1;
	if (kill(recorder_pid, 0) != 0 && errno != EPERM)
		return 0;
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)recorder_pid);
	size_t n;
	if (read_proc_file(path, buf, sizeof(buf) - 1, &n) != 0 || n == 0)
		return 1; /* no /proc: trust kill() */
	buf[n] = '\0';
	const char *state = strrchr(buf, ')'); /* "pid (comm) S ..." */
	return !(state && state[1] == ' ' && state[2] == 'Z');
}

/* Wait (at most the settings' wait_ns, or while the recorder lives when lossless) until
 * the recorder has drained the chunk that last used the slot of `chunk`.
 * Returns 0, or the enum lt_loss_reason why not. */
static uint32_t wait_for_slot(struct lt_log *log, uint32_t chunk)
{
	if (log->slots == 0)
		return LT_LOSS_NO_RING;
	if (slot_free(log, chunk))
		return 0;
	int saved = errno;
	uint64_t start = lt_now_ns(), checked = start;
	uint32_t why = 0;
	if (ring_grow(log, chunk))
		goto out;
	if (!recorder_alive()) {
		why = LT_LOSS_RECORDER;
		goto out;
	}
	struct timespec nap = {0, 50 * 1000};
	while (!slot_free(log, chunk)) {
		uint64_t now = lt_now_ns();
		uint64_t wait_ns = lt_state_settings()->wait_ns;
		if (wait_ns != LT_WAIT_LOSSLESS && now - start >= wait_ns) {
			why = LT_LOSS_BEHIND;
			break;
		}
		if (now - checked >= 50ull * 1000 * 1000) {
			checked = now;
			if (!recorder_alive()) {
				why = LT_LOSS_RECORDER;
				break;
			}
		}
		/* The raw syscall: nanosleep itself is interposed (preload.c). */
		syscall(SYS_nanosleep, &nap, NULL);
		if (nap.tv_nsec < 1000 * 1000)
			nap.tv_nsec *= 2;
	}
out:
	errno = saved;
	return why;
}

static struct lt_gap *current_gap(struct lt_loss *L)
{
	uint32_t i = L->gaps ? L->gaps - 1 : 0;
	return &L->gap[i < LT_LOSS_GAPS ? i : LT_LOSS_GAPS - 1];
}

static void gap_begin(struct lt_log *log, uint32_t why)
{
	struct lt_loss *L = &log->hdr->loss;
	uint64_t now = lt_now_ns();
	L->gaps++;
	L->reasons |= why;
	if (!L->first_ns)
		L->first_ns = now;
	L->last_ns = now;
	struct lt_gap *g = current_gap(L);
	if (L->gaps <= LT_LOSS_GAPS)
		g->begin_ns = now;
	g->end_ns = now;
	log->dropping = 1;
	log->hdr->flags |= LT_FILE_DROPPING | LT_FILE_LOST;
}

/* Count the records of the scratch chunk's first `words` words as dropped. */
static void count_dropped(struct lt_log *log, uint32_t words)
{
	struct lt_loss *L = &log->hdr->loss;
	if (words > LT_CHUNK_WORDS)
		words = LT_CHUNK_WORDS;
	size_t i;
	uint64_t n = lt_count_records(log->scratch, words, L->by_kind, &i);
	uint64_t now = lt_now_ns();
	L->events += n;
	L->words += i;
	L->last_ns = now;
	struct lt_gap *g = current_gap(L);
	g->events += n;
	g->end_ns = now;
}

/* Have the pages of the slots in use touched (by the page warmer's
 * thread) before this thread writes there: a first write to a page of the
 * ring costs 5-15 us on a paravirtualized VM (bench/page-touch.sh), and the
 * 8192 pages of a 32 MiB ring were more than the whole untraced run of the
 * promise microbench.  Slots come into use in index order (lt_ring_slot):
 * two at first, the new ones at each growth. */
static void warm_slots(struct lt_log *log)
{
	uint32_t want = log->used;
	if (log->populated >= want)
		return;
	char *from = (char *)(log->ring + (size_t)log->populated * LT_CHUNK_WORDS);
	size_t bytes = (size_t)(want - log->populated) * CHUNK_BYTES;
	log->populated = want;
	lt_warm_pages(from, bytes);
}

/* Map the scratch chunk (private memory: it never touches the ring file). */
static int scratch_ready(struct lt_log *log)
{
	if (log->scratch)
		return 0;
	void *m = mmap(NULL, CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	log->scratch = m;
	return 0;
}

LT_EXPORT int looptrace_log_advance(struct lt_log *log, uint32_t words)
{
	if (log->disabled)
		return -ENOSPC;
	if (words > LT_CHUNK_WORDS)
		return -EINVAL;
	uint32_t cursor = (uint32_t)log->hdr->cursor;
	uint32_t base = chunk_base(log);
	uint32_t end = base + LT_CHUNK_WORDS;
	if (cursor >= base && cursor + words <= end)
		return 0;

	if (log->dropping) {
		/* The scratch chunk is full: count it, and go back to the ring
		 * if the recorder freed the slot meanwhile. */
		count_dropped(log, cursor >= base && cursor <= end ? cursor - base : 0);
		if (slot_free(log, log->chunk) || ring_grow(log, log->chunk)) {
			take_slot(log, log->chunk);
			log->dropping = 0;
			log->hdr->cursor = (int32_t)(log->chunk * LT_CHUNK_WORDS);
			log->hdr->flags &= ~(uint32_t)LT_FILE_DROPPING;
		} else {
			log->hdr->cursor = (int32_t)SCRATCH_BASE;
		}
		return 0;
	}

	/* Close this chunk with padding, publish it, move to the next slot. */
	uint32_t rest = end - cursor;
	if (rest > 0)
		current_chunk(log)[cursor - base] = lt_record_header(LT_PAD, 0, rest);
	log->hdr->cursor = (int32_t)end;
	__atomic_store_n(&log->hdr->ring_written, log->chunk + 1, __ATOMIC_RELEASE);
	uint32_t why = wait_for_slot(log, log->chunk + 1);
	log->chunk++;
	if (why == 0) {
		take_slot(log, log->chunk);
		return 0;
	}
	if (scratch_ready(log) != 0) {
		log->disabled = 1;
		log->hdr->flags |= LT_FILE_LOST;
		return -ENOSPC;
	}
	gap_begin(log, why);
	log->hdr->cursor = (int32_t)SCRATCH_BASE;
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
	if (read_proc_file("/proc/self/cmdline", buf, cap, len) != 0)
		*len = 0;
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

/* Reserve the file's pages: a page tmpfs could not give later would be a
 * SIGBUS in the program, so a ring is never sparse. */
static int reserve(int fd, size_t bytes)
{
	if (fallocate(fd, 0, 0, (off_t)bytes) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return -errno;
	int rc = posix_fallocate(fd, 0, (off_t)bytes);
	return -rc;
}


/* Create, reserve and map a ring of `slots` slots in `dir`.  Returns 0 or
 * -errno; on failure nothing is left behind. */
static int ring_create(struct lt_log *log, const char *dir, uint32_t slots, pid_t pid, pid_t tid)
{
	char path[4096];
	/* <pid>-<tid>.ring, or <pid>-<tid>.<n>.ring when an image this process
	 * exec'd from (a shell running `exec node ...`) has the first name. */
	int fd = -1;
	for (int n = 0; fd < 0 && n < MAX_IMAGES; n++) {
		int w = n ? snprintf(path, sizeof(path), "%s/%d-%d.%d.ring", dir, (int)pid, (int)tid, n)
			  : snprintf(path, sizeof(path), "%s/%d-%d.ring", dir, (int)pid, (int)tid);
		if (w < 0 || w >= (int)sizeof(path))
			return -ENAMETOOLONG;
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, LT_FD_FLOOR);
	if (high >= 0) {
		close(fd);
		fd = high;
	}
	size_t bytes = LT_HEADER_BYTES + (size_t)slots * CHUNK_BYTES;
	int rc = reserve(fd, bytes);
	if (rc != 0)
		goto close_fd;
	void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		goto close_fd;
	}
	log->hdr = map;
	log->ring = (uint32_t *)((char *)map + LT_HEADER_BYTES);
	log->slots = slots;
	log->map_bytes = bytes;
	log->fd = fd;
	log->populated = 0;
	log->used = slots < LT_RING_FIRST_SLOTS ? slots : LT_RING_FIRST_SLOTS;
	warm_slots(log);
	return 0;

close_fd:
	close(fd);
	unlink(path);
	return rc;
}

static struct lt_log *log_create(void)
{
	const char *dir = getenv("LOOPTRACE_DIR");
	if (!dir || !*dir)
		return NULL;
	pid_t pid = getpid(), tid = current_tid();
	struct lt_log *log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	/* The full ring on tmpfs (8 slots, 32 MiB reserved, 8 MiB of it written
	 * until it grows (wire.h), where it has a GiB free:
	 * more time for the recorder to be scheduled; else 4); fewer slots
	 * when it has no room; a ring on disk; the control page alone (every
	 * record then dropped, counted). */
	static const uint32_t shm_slots[] = {LT_RING_SLOTS, 4, 2, 1};
	const char *spill_dir = lt_state_settings()->spill_dir;
	struct statvfs vfs;
	size_t first = statvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize >= (1ull << 30) ? 0 : 1;
	int rc = -ENOSPC, on_disk = 0;
	for (size_t i = first; rc != 0 && i < sizeof(shm_slots) / sizeof(shm_slots[0]); i++)
		rc = ring_create(log, dir, shm_slots[i], pid, tid);
	if (rc != 0 && spill_dir[0] && (rc = ring_create(log, spill_dir, 2, pid, tid)) == 0)
		on_disk = 1;
	if (rc != 0)
		rc = ring_create(log, dir, 0, pid, tid);
	if (rc != 0 && spill_dir[0] && (rc = ring_create(log, spill_dir, 0, pid, tid)) == 0)
		on_disk = 1;
	if (rc != 0)
		goto free_log;

	struct lt_file_header *h = log->hdr;
	uint64_t start_ns = lt_now_ns();
	lt_file_header_init(h, pid, tid, getppid(), start_ns, realtime_ns());
	h->parent_tid = lt_state_parent_tid();
	h->flags |= on_disk ? LT_FILE_ON_DISK : 0;
	h->cursor = 0;
	h->ring_slots = log->slots;
	h->ring_first_slots = log->used;
	take_slot(log, 0);
	log->pid = pid;
	if (log->slots == 0) {
		if (scratch_ready(log) != 0) {
			munmap(log->hdr, log->map_bytes);
			close(log->fd);
			goto free_log;
		}
		gap_begin(log, LT_LOSS_NO_RING);
		h->cursor = (int32_t)SCRATCH_BASE;
	}
	memcpy(h->magic, LT_MAGIC, sizeof(h->magic)); /* last: marks the page valid */
	/* Every log of the process, for the count of the last scratch chunk at
	 * exit (logs are never freed, so the list never dangles). */
	log->next_log = __atomic_load_n(&all_logs, __ATOMIC_ACQUIRE);
	while (!__atomic_compare_exchange_n(&all_logs, &log->next_log, log, 0, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE))
		;
	return log;

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
	return current_chunk(log) + ((uint32_t)log->hdr->cursor - chunk_base(log));
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

void lt_capture_after_fork_child(void)
{
	/* The parent's log and its mappings stay the parent's: forget them
	 * (without unmapping: the agent may still hold views) and start anew on
	 * first use.  The clock thread did not survive the fork. */
	tls_log = NULL;
	atomic_store(&clock_state, 0);
	lt_warm_after_fork_child();
}

void lt_capture_at_exit(void)
{
	struct lt_log *log = tls_log;
	if (log && log->pid == getpid())
		log->hdr->flags |= LT_FILE_CLOSED;
	/* What sits in a scratch chunk now is lost too: count it.  Another
	 * thread may still be writing; its last few records may be missed. */
	pid_t pid = getpid();
	for (struct lt_log *l = __atomic_load_n(&all_logs, __ATOMIC_ACQUIRE); l; l = l->next_log) {
		if (l->pid != pid || !l->dropping)
			continue;
		uint32_t cursor = (uint32_t)l->hdr->cursor;
		if (cursor >= SCRATCH_BASE && cursor <= SCRATCH_BASE + LT_CHUNK_WORDS)
			count_dropped(l, cursor - SCRATCH_BASE);
		l->hdr->cursor = (int32_t)SCRATCH_BASE;
	}
}

struct lt_log *lt_capture_existing_log(void) { return tls_log; }

int lt_capture_log_is_own(const struct lt_log *log) { return log->pid == getpid(); }

int lt_capture_log_is_main_thread(const struct lt_log *log)
{
	return (log->hdr->flags & LT_FILE_MAIN_THREAD) != 0;
}
