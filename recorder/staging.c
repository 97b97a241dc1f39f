/*
 * staging.c — capture directories of a recording, their budget, leftovers.
 */
#include "staging.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "notice.h"
#include "trace_writer.h"

#define MIB (1024ull * 1024ull)
/* Room left on the ring file system for the rings themselves (16 MiB per
 * thread at most; they shrink when there is less). */
#define RING_RESERVE (48 * MIB)
/* Below this, staging in RAM is not worth a spill: write to disk. */
#define MIN_STAGE (16 * MIB)
/* When the output's file system has less than this free, the raw
 * directory goes to $TMPDIR if that has more. */
#define LOW_OUTPUT_SPACE (256 * MIB)

static const char *ring_parent(void)
{
	const char *v = getenv("LOOPTRACE_RING_DIR");
	return v && *v ? v : "/dev/shm";
}

static const char *tmp_parent(void)
{
	const char *v = getenv("TMPDIR");
	return v && *v ? v : "/tmp";
}

static uint64_t free_bytes(const char *dir)
{
	struct statvfs v;
	if (statvfs(dir, &v) != 0)
		return 0;
	return (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
}

/* A quarter of the memory available, at most 4 GiB (LOOPTRACE_RAM_MB
 * overrides). */
static uint64_t ram_budget(void)
{
	const char *env = getenv("LOOPTRACE_RAM_MB");
	if (env && *env)
		return strtoull(env, NULL, 10) * MIB;
	uint64_t avail_kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &avail_kb) == 1)
			break;
	if (f)
		fclose(f);
	uint64_t budget = avail_kb * 1024 / 4, cap = 4096 * MIB;
	return budget < cap ? budget : cap;
}

static int make_temp_dir(char *dst, size_t n, const char *parent, const char *prefix)
{
	if (snprintf(dst, n, "%s/%s%d-XXXXXX", parent, prefix, (int)getpid()) >= (int)n)
		return -ENAMETOOLONG;
	if (!mkdtemp(dst))
		return -errno;
	char abs[PATH_MAX];
	if (realpath(dst, abs) && strlen(abs) < n)
		memcpy(dst, abs, strlen(abs) + 1);
	return 0;
}

int lt_staging_create(struct lt_staging *s, const char *outdir, const char *keep_raw_dir,
		      char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	int rc;
	if (keep_raw_dir) {
		/* Ours alone: created here, never an existing directory or link. */
		if (mkdir(keep_raw_dir, 0700) != 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot create %s: %s", keep_raw_dir, strerror(errno));
			return rc;
		}
		char abs[PATH_MAX];
		if (!realpath(keep_raw_dir, abs) || strlen(abs) >= sizeof(s->raw)) {
			rc = -errno;
			rmdir(keep_raw_dir);
			snprintf(err, errlen, "cannot resolve %s", keep_raw_dir);
			return rc ? rc : -ENAMETOOLONG;
		}
		memcpy(s->raw, abs, strlen(abs) + 1);
		s->keep_raw = 1;
	} else {
		const char *parent = outdir;
		const char *tmp = tmp_parent();
		uint64_t out_free = free_bytes(outdir);
		if (out_free < LOW_OUTPUT_SPACE && free_bytes(tmp) > out_free)
			parent = tmp;
		if ((rc = make_temp_dir(s->raw, sizeof(s->raw), parent, ".looptrace-raw-")) != 0) {
			snprintf(err, errlen, "cannot create a capture directory in %s: %s", parent,
				 strerror(-rc));
			return rc;
		}
	}
	s->out_free = free_bytes(s->raw);
	const char *shm = ring_parent();
	if (make_temp_dir(s->rings, sizeof(s->rings), shm, "looptrace-") == 0) {
		s->shm_free = free_bytes(shm);
		uint64_t room = s->shm_free > RING_RESERVE ? s->shm_free - RING_RESERVE : 0;
		uint64_t budget = ram_budget();
		if (room < budget)
			budget = room / 2 + room / 4; /* the rest for more rings */
		s->stage_limit = !s->keep_raw && budget >= MIN_STAGE ? budget : 0;
	} else {
		/* No tmpfs: the rings go to disk with the flat files. */
		snprintf(s->rings, sizeof(s->rings), "%s", s->raw);
		s->stage_limit = 0;
	}
	return 0;
}

void lt_staging_remove(const struct lt_staging *s)
{
	if (strcmp(s->rings, s->raw) != 0)
		lt_capture_dir_remove(s->rings);
	if (!s->keep_raw)
		lt_capture_dir_remove(s->raw);
}

/* Bytes the files of a flat directory take. */
static uint64_t dir_bytes(int dfd)
{
	uint64_t total = 0;
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	struct dirent *e;
	struct stat st;
	while ((e = readdir(d)) != NULL)
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_blocks * 512u;
	closedir(d);
	return total;
}

/* A leftover is a directory of ours named <prefix><pid>-XXXXXX whose
 * recorder process <pid> is gone. */
static int is_orphan(int parent, const char *name, const char *prefix)
{
	size_t p = strlen(prefix);
	if (strncmp(name, prefix, p) != 0)
		return 0;
	char *end;
	long pid = strtol(name + p, &end, 10);
	if (pid <= 0 || end == name + p || *end != '-' || strlen(end + 1) != 6)
		return 0;
	if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
		return 0;
	struct stat st;
	return fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_uid == geteuid();
}

static void clean_in(const char *parent, const char *prefix, unsigned *dirs, uint64_t *bytes,
		     char *first, size_t firstlen)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!is_orphan(dirfd(d), e->d_name, prefix))
			continue;
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", parent, e->d_name) >= (int)sizeof(path))
			continue;
		int dfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0)
			continue;
		*bytes += dir_bytes(dfd);
		close(dfd);
		lt_capture_dir_remove(path);
		if (!first[0])
			snprintf(first, firstlen, "%s", path);
		(*dirs)++;
	}
	closedir(d);
}

void lt_staging_clean_leftovers(const char *outdir, unsigned *dirs, uint64_t *bytes, char *first,
				size_t firstlen)
{
	*dirs = 0;
	*bytes = 0;
	first[0] = '\0';
	clean_in(ring_parent(), "looptrace-", dirs, bytes, first, firstlen);
	clean_in(ring_parent(), "looptrace-attach-", dirs, bytes, first, firstlen);
	clean_in(outdir, ".looptrace-raw-", dirs, bytes, first, firstlen);
	clean_in(tmp_parent(), ".looptrace-raw-", dirs, bytes, first, firstlen);
	clean_in(tmp_parent(), "looptrace-attach-", dirs, bytes, first, firstlen);
}

void lt_staging_clean_leftovers_noting(const char *outdir, const struct lt_notices *n, int quiet)
{
	unsigned dirs;
	uint64_t bytes;
	char first[PATH_MAX];
	lt_staging_clean_leftovers(outdir, &dirs, &bytes, first, sizeof(first));
	if (dirs && !quiet)
		lt_notice(n, LT_NOTICE_INFO,
			  "removed %u leftover capture director%s of recorders that are gone (%.1f MiB, %s%s)", dirs,
			  dirs == 1 ? "y" : "ies", (double)bytes / (1024.0 * 1024.0), first, dirs > 1 ? ", ..." : "");
}

int lt_staging_create_attach(char *dir, size_t len)
{
	int rc = make_temp_dir(dir, len, ring_parent(), "looptrace-attach-");
	if (rc != 0)
		rc = make_temp_dir(dir, len, tmp_parent(), "looptrace-attach-");
	return rc;
}
