/*
 * rendezvous.c — the flight recorder's published file, and finding it.
 */
#include "rendezvous.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ANCESTORS 64

/* Start time (field 22) and parent (field 4) of pid, from /proc/PID/stat;
 * the command name may hold anything, so fields are counted after its
 * last ')'. */
static int proc_stat(pid_t pid, unsigned long long *start, pid_t *ppid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* after ") " : field 3 state, 4 ppid, ..., 22 starttime */
	char *save = NULL, *tok = strtok_r(p + 1, " ", &save);
	for (int field = 3; tok; field++, tok = strtok_r(NULL, " ", &save)) {
		if (field == 4 && ppid)
			*ppid = (pid_t)strtol(tok, NULL, 10);
		if (field == 22) {
			if (start)
				*start = strtoull(tok, NULL, 10);
			return 0;
		}
	}
	return -EIO;
}

static int proc_uid(pid_t pid, uid_t *uid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st) != 0)
		return -errno;
	*uid = st.st_uid;
	return 0;
}

/* The directory of uid's recorders, checked; create it if asked. */
static int open_dir(uid_t uid, int create, char *err, size_t n)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/looptrace-%u", (unsigned)uid);
	if (create && mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(err, n, "cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;
		snprintf(err, n, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(dfd, &st) != 0 || st.st_uid != uid || (st.st_mode & 077) != 0) {
		close(dfd);
		snprintf(err, n, "%s is not a private directory of uid %u: not used", path, (unsigned)uid);
		return -EPERM;
	}
	return dfd;
}

static int write_file(const struct lt_rendezvous *r)
{
	char name[32], tmp[48], text[PATH_MAX + 256];
	snprintf(name, sizeof(name), "%d", (int)r->recorder);
	snprintf(tmp, sizeof(tmp), ".%d.tmp", (int)r->recorder);
	int len = snprintf(text, sizeof(text),
			   "looptrace-flight 1\nrecorder %d %llu\ncommand %d\ndumps %u\nrequested %u\nlast %s\n",
			   (int)r->recorder, r->start_time, (int)r->command, r->dumps, r->requested, r->last);
	if (len < 0 || len >= (int)sizeof(text))
		return -ENAMETOOLONG;
	unlinkat(r->dfd, tmp, 0);
	int fd = openat(r->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int rc = write(fd, text, (size_t)len) == len ? 0 : -EIO;
	if (close(fd) != 0 && !rc)
		rc = -errno;
	if (!rc && renameat(r->dfd, tmp, r->dfd, name) != 0)
		rc = -errno;
	if (rc)
		unlinkat(r->dfd, tmp, 0);
	return rc;
}

static int read_file(int dfd, uid_t uid, pid_t cand, struct lt_rendezvous *out);

/* Remove the files of our recorders that are gone (killed before they
 * could remove their own): a file naming a pid that is not that recorder
 * any more.  Only regular files of ours with a pid for a name. */
static void remove_stale(int dfd, uid_t uid)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!e->d_name[0] || strspn(e->d_name, "0123456789") != strlen(e->d_name) || strlen(e->d_name) > 9)
			continue;
		struct lt_rendezvous r;
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == uid && read_file(dfd, uid, (pid_t)atoi(e->d_name), &r) == -ESRCH)
			unlinkat(dfd, e->d_name, 0);
	}
	closedir(d);
}

int lt_rendezvous_publish(struct lt_rendezvous *r, pid_t command, char *err, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->recorder = getpid();
	r->command = command;
	int rc = proc_stat(r->recorder, &r->start_time, NULL);
	if (rc != 0) {
		snprintf(err, n, "cannot read /proc/self/stat: %s", strerror(-rc));
		r->dfd = -1;
		return rc;
	}
	r->dfd = open_dir(geteuid(), 1, err, n);
	if (r->dfd < 0)
		return r->dfd;
	remove_stale(r->dfd, geteuid());
	rc = write_file(r);
	if (rc != 0) {
		snprintf(err, n, "cannot publish the recorder in /tmp/looptrace-%u: %s", (unsigned)geteuid(),
			 strerror(-rc));
		close(r->dfd);
		r->dfd = -1;
	}
	return rc;
}

int lt_rendezvous_update(const struct lt_rendezvous *r)
{
	return r->dfd >= 0 ? write_file(r) : -EBADF;
}

void lt_rendezvous_close(struct lt_rendezvous *r)
{
	if (r->dfd < 0)
		return;
	char name[32];
	snprintf(name, sizeof(name), "%d", (int)r->recorder);
	unlinkat(r->dfd, name, 0);
	close(r->dfd);
	r->dfd = -1;
}

/* Read the file of candidate `cand` in dfd (owned by uid).  Returns 0 when
 * it names cand as a live recorder of uid started when it says. */
static int read_file(int dfd, uid_t uid, pid_t cand, struct lt_rendezvous *out)
{
	char name[32], text[PATH_MAX + 256];
	snprintf(name, sizeof(name), "%d", (int)cand);
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != uid ||
	    st.st_size >= (off_t)sizeof(text)) {
		close(fd);
		return -EPERM;
	}
	ssize_t len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len <= 0)
		return -EIO;
	text[len] = '\0';
	struct lt_rendezvous r = {.dfd = -1};
	int rec = 0, cmd = 0;
	char *last = strstr(text, "\nlast ");
	if (sscanf(text, "looptrace-flight 1\nrecorder %d %llu\ncommand %d\ndumps %u\nrequested %u\n", &rec,
		   &r.start_time, &cmd, &r.dumps, &r.requested) != 5 ||
	    rec != (int)cand || !last)
		return -EPROTO;
	last += strlen("\nlast ");
	size_t l = strcspn(last, "\n");
	if (l >= sizeof(r.last))
		return -EPROTO;
	memcpy(r.last, last, l);
	r.last[l] = '\0';
	r.recorder = cand;
	r.command = cmd;
	unsigned long long started;
	uid_t owner = 0;
	if (proc_stat(cand, &started, NULL) != 0 || proc_uid(cand, &owner) != 0)
		return -ESRCH;
	if (started != r.start_time || owner != uid)
		return -ESRCH;
	*out = r;
	return 0;
}

/* A recorder of uid whose file names `command`: 0 with *out, or -ESRCH. */
static int find_by_command(uid_t uid, pid_t command, struct lt_rendezvous *out)
{
	char why[256];
	int dfd = open_dir(uid, 0, why, sizeof(why));
	if (dfd < 0)
		return -ESRCH;
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		close(dfd);
		return -ESRCH;
	}
	int rc = -ESRCH;
	struct dirent *e;
	while (rc != 0 && (e = readdir(d)) != NULL) {
		if (!e->d_name[0] || strspn(e->d_name, "0123456789") != strlen(e->d_name) || strlen(e->d_name) > 9)
			continue;
		struct lt_rendezvous r;
		if (read_file(dfd, uid, (pid_t)atoi(e->d_name), &r) == 0 && r.command == command) {
			*out = r;
			rc = 0;
		}
	}
	closedir(d);
	close(dfd);
	return rc;
}

int lt_rendezvous_find(pid_t pid, struct lt_rendezvous *out, char *err, size_t n)
{
	uid_t uid = 0;
	int rc = proc_uid(pid, &uid);
	if (rc != 0) {
		snprintf(err, n, "no process %d", (int)pid);
		return -ESRCH;
	}
	char why[256] = "";
	int dfd = open_dir(uid, 0, why, sizeof(why));
	pid_t cand = pid;
	for (int depth = 0; dfd >= 0 && depth < MAX_ANCESTORS && cand > 1; depth++) {
		if (read_file(dfd, uid, cand, out) == 0) {
			close(dfd);
			return 0;
		}
		pid_t parent = 0;
		if (proc_stat(cand, NULL, &parent) != 0)
			break;
		cand = parent;
	}
	if (dfd >= 0)
		close(dfd);
	/* attach --ring: the recorder is no ancestor; its file names pid as
	 * the command (looked for among the files of pid's user and ours). */
	uid_t users[2] = {uid, geteuid()};
	for (int u = 0; u < 2; u++) {
		if (u == 1 && users[1] == users[0])
			break;
		if (find_by_command(users[u], pid, out) == 0)
			return 0;
	}
	snprintf(err, n, "no flight recorder (record --ring, attach --ring) found for pid %d or its parents",
		 (int)pid);
	return -ESRCH;
}

int lt_rendezvous_reread(struct lt_rendezvous *r)
{
	uid_t uid = 0;
	char why[256];
	if (proc_uid(r->recorder, &uid) != 0)
		return -ESRCH;
	int dfd = open_dir(uid, 0, why, sizeof(why));
	if (dfd < 0)
		return dfd;
	struct lt_rendezvous now;
	int rc = read_file(dfd, uid, r->recorder, &now);
	close(dfd);
	if (rc != 0)
		return rc == -ENOENT ? -ESRCH : rc;
	if (now.start_time != r->start_time)
		return -ESRCH;
	*r = now;
	return 0;
}
