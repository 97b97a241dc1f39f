/*
 * record_bpf.c — `record --bpf`: start a command and trace it with the eBPF
 * probes of recorder/attach.h (record_bpf.h).
 */
#include "record_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "elf_symbols.h"

/* The child has exec'd once its executable is no longer ours. */
static int execed(pid_t pid)
{
	char self[PATH_MAX], other[PATH_MAX], path[64];
	ssize_t a = readlink("/proc/self/exe", self, sizeof(self) - 1);
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t b = readlink(path, other, sizeof(other) - 1);
	if (a <= 0 || b <= 0)
		return 0;
	self[a] = other[b] = '\0';
	return strcmp(self, other) != 0;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* The executable execvp would run for `name`, when it is a node binary
 * (an ELF file with uv_run): then the probes can go in before it starts. */
static int node_binary(const char *name, char *out, size_t len)
{
	char candidate[PATH_MAX];
	const char *path = getenv("PATH");
	int found = 0;
	if (strchr(name, '/')) {
		found = realpath(name, out) != NULL;
	} else {
		for (const char *p = path ? path : "/usr/bin:/bin"; !found && *p;) {
			size_t n = strcspn(p, ":");
			if (n && snprintf(candidate, sizeof(candidate), "%.*s/%s", (int)n, p, name) < (int)sizeof(candidate) &&
			    access(candidate, X_OK) == 0 && realpath(candidate, out))
				found = 1;
			p += n + (p[n] == ':');
		}
	}
	(void)len;
	static const char *const uv_run[] = {"uv_run"};
	uint64_t off = 0;
	return found && lt_elf_find_functions(out, uv_run, 1, &off) == 1 && off != 0;
}

int lt_record_bpf(const struct lt_record_opts *ro, int *exit_status)
{
	char **cmd = ro->cmd;
	char why[256];
	*exit_status = 0;
	int rc = lt_attach_unsupported(why, sizeof(why));
	if (rc != 0) {
		lt_notice(&ro->notices, LT_NOTICE_ERROR, "record: %s", why);
		return rc;
	}
	char command[8192];
	size_t used = 0;
	command[0] = '\0';
	for (int i = 0; cmd[i] && used + 1 < sizeof(command); i++)
		used += (size_t)snprintf(command + used, sizeof(command) - used, "%s%s", i ? " " : "", cmd[i]);
	/* A node binary is probed before it starts (the child waits on a pipe
	 * until the probes are in); anything else once it has exec'd. */
	char exe[PATH_MAX];
	int early = node_binary(cmd[0], exe, sizeof(exe));
	int gate[2] = {-1, -1};
	if (early && pipe2(gate, O_CLOEXEC) != 0)
		early = 0;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		lt_notice(&ro->notices, LT_NOTICE_ERROR, "record: fork: %s", strerror(-rc));
		if (early) {
			close(gate[0]);
			close(gate[1]);
		}
		return rc;
	}
	if (pid == 0) {
		if (early) {
			char go;
			close(gate[1]);
			/* one byte: attached; end of file: run untraced */
			while (read(gate[0], &go, 1) < 0 && errno == EINTR)
				;
		}
		execvp(cmd[0], cmd);
		int e = errno;
		lt_notice(&ro->notices, LT_NOTICE_ERROR, "record: cannot run '%s': %s", cmd[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	int status = 0;
	if (early) {
		close(gate[0]);
		signal(SIGPIPE, SIG_IGN); /* a command killed before it was released */
	} else {
		/* Attach once the command runs its own binary. */
		for (int waited = 0; !execed(pid); waited++) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				*exit_status = exit_code(status);
				return 0;
			}
			struct timespec nap = {0, 2 * 1000 * 1000};
			nanosleep(&nap, NULL);
			if (waited > 5000) {
				lt_notice(&ro->notices, LT_NOTICE_ERROR, "record: '%s' did not start", cmd[0]);
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				return -ETIMEDOUT;
			}
		}
	}
	struct lt_attach_opts o = {
		.n_pids = 1, .duration = ro->duration, .output = ro->output, .quiet = ro->quiet, .child = pid,
		.command = command, .exe = early ? exe : NULL, .release_fd = early ? gate[1] : -1,
		.notices = ro->notices,
	};
	o.pids[0] = pid;
	rc = lt_attach_run(&o, &status);
	if (early)
		close(gate[1]); /* released already, or: run untraced */
	if (rc != 0) {
		/* Refused (not node, probes rejected): let the command finish untraced. */
		waitpid(pid, &status, 0);
		return rc;
	}
	*exit_status = exit_code(status);
	return 0;
}
