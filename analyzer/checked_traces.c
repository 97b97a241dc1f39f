/*
 * checked_traces.c — the per-user record of traces whose values passed the
 * check (see checked_traces.h for what a key proves and where it lives).
 */
#include "checked_traces.h"

#include "store_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RECORD_NAME "checked-traces"
#define RECORD_MAGIC "LTCHECK\n"
/* The record's layout (1) and the check's rules: a key recorded by a
 * looptrace whose check was weaker must not vouch for a trace. */
#define RECORD_REVISION ((uint32_t)(1u << 16 | LT_CHECK_RULES_REVISION))

struct record_header {
	char magic[8];
	uint32_t revision;
	uint32_t count;
	uint64_t checksum; /* FNV-1a 64 of the keys */
};

struct record {
	struct lt_trace_key keys[LT_CHECKED_TRACES_MAX + 1];
	size_t count;
};

#define RECORD_MAX_BYTES (sizeof(struct record_header) + LT_CHECKED_TRACES_MAX * sizeof(struct lt_trace_key))

_Static_assert(sizeof(struct lt_trace_key) == 9 * 8 + 104, "lt_trace_key has no padding");
_Static_assert(sizeof(struct record_header) == 24, "record_header has no padding");

static int turned_off(void)
{
	const char *v = getenv("LOOPTRACE_FULL_CHECK");
	return v && *v && strcmp(v, "0") != 0;
}

static uint64_t fnv1a(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = UINT64_C(14695981039346656037);
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

int lt_trace_key_read(int fd, struct lt_trace_key *key)
{
	memset(key, 0, sizeof(*key));
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	key->dev = (uint64_t)st.st_dev;
	key->ino = (uint64_t)st.st_ino;
	key->uid = (uint64_t)st.st_uid;
	key->mode = (uint64_t)st.st_mode;
	key->size = (int64_t)st.st_size;
	key->mtime_s = (int64_t)st.st_mtim.tv_sec;
	key->mtime_ns = (int64_t)st.st_mtim.tv_nsec;
	key->ctime_s = (int64_t)st.st_ctim.tv_sec;
	key->ctime_ns = (int64_t)st.st_ctim.tv_nsec;
	ssize_t got = pread(fd, key->header, 100, 0);
	if (got < 0)
		return -errno;
	return got == 100 ? 0 : -EINVAL;
}

/* Whether the directory or file on fd is the effective user's and nobody
 * else may write it. */
static int is_private(int fd, int want_dir)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return 0;
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return 0;
	return st.st_uid == geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* The directory `name` under parent (created 0700 when `create` and it is
 * missing), never through a link.  Closes parent.  Returns a descriptor or
 * -errno. */
static int step_into(int parent, const char *name, int create)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(parent, name, 0700) != 0 && errno != EEXIST) {
			int e = errno;
			close(parent);
			return -e;
		}
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	int e = errno;
	close(parent);
	if (fd < 0)
		return e == ELOOP || e == ENOTDIR ? -EPERM : -e;
	if (!is_private(fd, 1)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* The record's directory, or -errno. */
static int open_record_dir(int create)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int use_xdg = xdg && xdg[0] == '/';
	const char *base = use_xdg ? xdg : home;
	if (!base || base[0] != '/')
		return -ENOENT;
	/* The base is the user's own setting: links in its path are theirs. */
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!is_private(fd, 1)) {
		close(fd);
		return -EPERM;
	}
	if (!use_xdg && (fd = step_into(fd, ".cache", create)) < 0)
		return fd;
	return step_into(fd, "looptrace", create);
}

/* Read the record in dir into r (left empty when the record is missing,
 * short, corrupt, of another revision or not privately ours). */
static void read_record(int dir, struct record *r)
{
	r->count = 0;
	int fd = openat(dir, RECORD_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	if (!is_private(fd, 0) || fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(struct record_header) ||
	    st.st_size > (off_t)RECORD_MAX_BYTES)
		goto close_fd;
	struct record_header h;
	size_t body = (size_t)st.st_size - sizeof(h);
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h.magic, RECORD_MAGIC, 8) != 0 ||
	    h.revision != RECORD_REVISION || h.count > LT_CHECKED_TRACES_MAX ||
	    body != h.count * sizeof(struct lt_trace_key))
		goto close_fd;
	if (body && pread(fd, r->keys, body, sizeof(h)) != (ssize_t)body)
		goto close_fd;
	if (fnv1a(r->keys, body) != h.checksum)
		goto close_fd;
	r->count = h.count;
close_fd:
	close(fd);
}

int lt_checked_traces_find(const struct lt_trace_key *key)
{
	if (turned_off())
		return 0;
	int dir = open_record_dir(0);
	if (dir < 0)
		return 0;
	struct record *r = malloc(sizeof(*r));
	int found = 0;
	if (!r)
		goto close_dir;
	read_record(dir, r);
	for (size_t i = r->count; i-- > 0 && !found;)
		found = memcmp(&r->keys[i], key, sizeof(*key)) == 0;
	free(r);
close_dir:
	close(dir);
	return found;
}

static int64_t to_ns(int64_t s, int64_t ns) { return s * 1000000000 + ns; }

static int64_t coarse_now_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	return to_ns(now.tv_sec, now.tv_nsec);
}

/* Wait until the clock that stamps ctime has passed the file's ctime, so
 * that any later write gives the file another ctime.  A whole-second ctime
 * may come from a file system with coarse timestamps: it must be 2 s old.
 * Returns 0, or -EAGAIN when that is more than the settle time away. */
static int settle(const struct lt_trace_key *key)
{
	int64_t after = to_ns(key->ctime_s, key->ctime_ns) + (key->ctime_ns == 0 ? INT64_C(2000000000) : 0);
	int64_t now = coarse_now_ns();
	if (now > after)
		return 0;
	if (after - now > (int64_t)LT_CHECKED_TRACES_SETTLE_MS * 1000000)
		return -EAGAIN;
	while ((now = coarse_now_ns()) <= after) {
		int64_t wait = after - now + 1000000;
		struct timespec ts = {(time_t)(wait / 1000000000), (long)(wait % 1000000000)};
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Write r as the record in dir: a temporary file renamed over it. */
static int write_record(int dir, const struct record *r)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), RECORD_NAME ".%ld.tmp", (long)getpid());
	unlinkat(dir, tmp, 0); /* a leftover of a dead process with our pid */
	int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	struct record_header h = {.revision = RECORD_REVISION, .count = (uint32_t)r->count};
	memcpy(h.magic, RECORD_MAGIC, 8);
	size_t body = r->count * sizeof(struct lt_trace_key);
	h.checksum = fnv1a(r->keys, body);
	int rc = 0;
	errno = 0;
	if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    (body && write(fd, r->keys, body) != (ssize_t)body))
		rc = errno ? -errno : -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dir, tmp, dir, RECORD_NAME) != 0)
		rc = -errno;
	if (rc != 0)
		unlinkat(dir, tmp, 0);
	return rc;
}

/* Lock the record's directory, waiting at most LOCK_WAIT_MS: a looptrace
 * stopped while it holds the lock must not hang every other one (the key is
 * then not recorded).  0 or -errno. */
#define LOCK_WAIT_MS 200
static int lock_briefly(int dir)
{
	for (int waited = 0;; waited++) {
		if (flock(dir, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (waited == LOCK_WAIT_MS)
			return -EWOULDBLOCK;
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
}

/* Put key last in r: an older key of the same file goes, and the oldest
 * beyond LT_CHECKED_TRACES_MAX. */
static void remember(struct record *r, const struct lt_trace_key *key)
{
	size_t kept = 0;
	for (size_t i = 0; i < r->count; i++)
		if (r->keys[i].dev != key->dev || r->keys[i].ino != key->ino)
			r->keys[kept++] = r->keys[i];
	r->keys[kept++] = *key;
	size_t drop = kept > LT_CHECKED_TRACES_MAX ? kept - LT_CHECKED_TRACES_MAX : 0;
	memmove(r->keys, r->keys + drop, (kept - drop) * sizeof(*key));
	r->count = kept - drop;
}

int lt_checked_traces_add(int fd, const struct lt_trace_key *checked)
{
	if (turned_off())
		return -ECANCELED;
	struct lt_trace_key key;
	int rc = lt_trace_key_read(fd, &key);
	if (rc != 0)
		return rc;
	if (checked && memcmp(checked, &key, sizeof(key)) != 0)
		return -ESTALE;
	/* Unchecked, vouched for as written by us: it must be a file only we
	 * can write (not one planted under the name we wrote). */
	if (!checked && (key.uid != (uint64_t)geteuid() || (key.mode & (S_IWGRP | S_IWOTH)) != 0 ||
			 !S_ISREG((mode_t)key.mode)))
		return -EPERM;
	if ((rc = settle(&key)) != 0)
		return rc;
	struct lt_trace_key settled;
	if ((rc = lt_trace_key_read(fd, &settled)) != 0)
		return rc;
	if (memcmp(&settled, &key, sizeof(key)) != 0)
		return -ESTALE;
	int dir = open_record_dir(1);
	if (dir < 0)
		return dir;
	struct record *r = malloc(sizeof(*r));
	if (!r) {
		rc = -ENOMEM;
		goto close_dir;
	}
	/* Two looptraces registering at once: one after the other. */
	if ((rc = lock_briefly(dir)) != 0)
		goto free_record;
	read_record(dir, r);
	remember(r, &key);
	rc = write_record(dir, r);
free_record:
	free(r);
close_dir:
	close(dir); /* and the lock */
	return rc;
}
