/*
 * process_tree.c — see process_tree.h.
 */
#include "process_tree.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int lt_tree_adopt_orphans(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -errno;
}

/* The parent of `pid` from /proc/PID/stat ("pid (comm) state ppid ...";
 * comm may hold spaces and parentheses, so the last ')' ends it). */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *end = strrchr(buf, ')');
	if (!end || end[1] != ' ' || !end[2] || end[3] != ' ')
		return -1;
	return (pid_t)strtol(end + 4, NULL, 10);
}

struct procs {
	pid_t *pid, *ppid;
	size_t n, cap;
};

static int procs_add(struct procs *p, pid_t pid, pid_t ppid)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		pid_t *a = realloc(p->pid, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		p->pid = a;
		pid_t *b = realloc(p->ppid, cap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		p->ppid = b;
		p->cap = cap;
	}
	p->pid[p->n] = pid;
	p->ppid[p->n] = ppid;
	p->n++;
	return 0;
}

static int procs_read(struct procs *p)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
		pid_t ppid = parent_of(pid);
		if (ppid > 0)
			rc = procs_add(p, pid, ppid);
	}
	closedir(d);
	return rc;
}

int lt_tree_signal_descendants(pid_t root, int sig)
{
	struct procs p = {0};
	int rc = procs_read(&p);
	if (rc != 0)
		goto free_procs;
	/* Mark descendants: repeat until no new one (the table is small). */
	char *in = calloc(p.n ? p.n : 1, 1);
	if (!in) {
		rc = -ENOMEM;
		goto free_procs;
	}
	for (int grew = 1; grew;) {
		grew = 0;
		for (size_t i = 0; i < p.n; i++) {
			if (in[i] || p.pid[i] == root)
				continue;
			int below = p.ppid[i] == root;
			for (size_t j = 0; !below && j < p.n; j++)
				below = in[j] && p.pid[j] == p.ppid[i];
			if (below)
				in[i] = grew = 1;
		}
	}
	int signalled = 0;
	for (size_t i = 0; i < p.n; i++)
		if (in[i] && kill(p.pid[i], sig) == 0)
			signalled++;
	free(in);
	rc = signalled;
free_procs:
	free(p.pid);
	free(p.ppid);
	return rc;
}
