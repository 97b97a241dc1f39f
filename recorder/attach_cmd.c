/*
 * attach_cmd.c — `looptrace attach` and `looptrace record --bpf`.
 */
#include "attach_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "attach.h"
#include "elf_symbols.h"

#define ATTACH_USAGE "looptrace attach -p PID [-p PID...] [--duration SECONDS] [-o TRACE.db] [-q]"

static int usage_error(const char *msg)
{
	lt_cli_error("attach: %s (usage: " ATTACH_USAGE ")", msg);
	return LT_EXIT_USAGE;
}

/* The output must go to an existing directory and not be a directory. */
static int check_output(const char *output, const char *cmd)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", output);
	const char *dir = dirname(buf);
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		lt_cli_error("%s: no such directory for the output: %s", cmd, dir);
		return -1;
	}
	if (stat(output, &st) == 0 && S_ISDIR(st.st_mode)) {
		lt_cli_error("%s: %s is a directory", cmd, output);
		return -1;
	}
	return 0;
}

int lt_cmd_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"duration", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lt_attach_opts o = {.output = "looptrace.db", .release_fd = -1};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:d:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': {
			char *end;
			errno = 0;
			long pid = strtol(optarg, &end, 10);
			if (errno || *end || pid <= 0 || pid > INT_MAX)
				return usage_error("-p takes a process id");
			if (o.n_pids == LT_ATTACH_MAX_PIDS)
				return usage_error("too many processes (at most 16)");
			o.pids[o.n_pids++] = (pid_t)pid;
			break;
		}
		case 'd': {
			char *end;
			errno = 0;
			o.duration = strtod(optarg, &end);
			if (errno || *end || !(o.duration > 0) || !isfinite(o.duration))
				return usage_error("--duration takes a positive number of seconds");
			break;
		}
		case 'o':
			o.output = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			printf("usage: " ATTACH_USAGE "\n");
			return 0;
		default:
			return usage_error(lt_cli_getopt_problem(c, argv));
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument");
	if (o.n_pids == 0)
		return usage_error("no process to attach to (-p PID)");
	if (!*o.output)
		return usage_error("-o needs a file name");
	if (check_output(o.output, "attach") != 0)
		return LT_EXIT_USAGE;
	int child_status;
	return lt_attach_run(&o, &child_status);
}

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

int lt_record_bpf(const char *output, double duration, int quiet, char **cmd)
{
	char why[256];
	if (lt_attach_unsupported(why, sizeof(why)) != 0) {
		lt_cli_error("record: %s", why);
		return LT_EXIT_USAGE;
	}
	if (check_output(output, "record") != 0)
		return LT_EXIT_USAGE;
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
		lt_cli_error("record: fork: %s", strerror(errno));
		if (early) {
			close(gate[0]);
			close(gate[1]);
		}
		return LT_EXIT_USAGE;
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
		lt_cli_error("record: cannot run '%s': %s", cmd[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	int status = 0;
	if (early) {
		close(gate[0]);
		signal(SIGPIPE, SIG_IGN); /* a command killed before it was released */
	} else {
		/* Attach once the command runs its own binary. */
		for (int waited = 0; !execed(pid); waited++) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				return exit_code(status);
			struct timespec nap = {0, 2 * 1000 * 1000};
			nanosleep(&nap, NULL);
			if (waited > 5000) {
				lt_cli_error("record: '%s' did not start", cmd[0]);
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				return LT_EXIT_USAGE;
			}
		}
	}
	struct lt_attach_opts o = {
		.n_pids = 1, .duration = duration, .output = output, .quiet = quiet, .child = pid,
		.command = command, .exe = early ? exe : NULL, .release_fd = early ? gate[1] : -1,
	};
	o.pids[0] = pid;
	int rc = lt_attach_run(&o, &status);
	if (early)
		close(gate[1]); /* released already, or: run untraced */
	if (rc != 0) {
		/* Refused (not node, probes rejected): let the command finish untraced. */
		waitpid(pid, &status, 0);
		return rc;
	}
	return exit_code(status);
}
