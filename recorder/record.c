/*
 * record.c — run a command under the in-process probes and turn its capture
 * into one trace database (the work behind `looptrace record`, whose
 * command line is cmds/cmd_record.c).
 *
 * The command runs with LD_PRELOAD=liblooptrace-preload.so and
 * NODE_OPTIONS=--require agent.js (added to what is there, so children and
 * workers are traced too), writing raw capture files into a private
 * directory next to the output.  When it exits, the capture is imported into
 * a temporary database that replaces TRACE.db only once complete.  The exit
 * status is the command's (128+N when it died of signal N).
 */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

#include "../analyzer/store.h"
#include "../cli/cli.h"
#include "../probes/wire.h"
#include "drain.h"
#include "import.h"
#include "trace_writer.h"
#include "rawfile.h"

struct probe_files {
	char preload[PATH_MAX];
	char agent[PATH_MAX];
	char addon[PATH_MAX];
};

static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t pending_signal;

/* Terminal signals reach the whole foreground group, the command included;
 * forward only what was sent to us alone (si_pid set by kill(2)). */
static void on_signal(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	if (info && info->si_pid != 0 && child_pid > 0)
		kill((pid_t)child_pid, sig);
	pending_signal = sig;
}

static int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int join_path(char *dst, const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	if (a + 1 + b + 1 > PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(dst, dir, a);
	dst[a] = '/';
	memcpy(dst + a + 1, name, b + 1);
	return 0;
}

/* The probes sit next to the looptrace binary (build tree) or in
 * ../lib/looptrace (installed); LOOPTRACE_LIBDIR overrides both. */
static int find_probes(struct probe_files *pf)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	char *dir = dirname(exe);
	const char *override = getenv("LOOPTRACE_LIBDIR");
	char candidates[3][PATH_MAX];
	int k = 0;
	if (override && *override)
		snprintf(candidates[k++], PATH_MAX, "%s", override);
	snprintf(candidates[k++], PATH_MAX, "%s", dir);
	snprintf(candidates[k++], PATH_MAX, "%s/../lib/looptrace", dir);
	for (int i = 0; i < k; i++) {
		if (join_path(pf->preload, candidates[i], "liblooptrace-preload.so") != 0 ||
		    join_path(pf->agent, candidates[i], "agent.js") != 0 ||
		    join_path(pf->addon, candidates[i], "looptrace.node") != 0)
			continue;
		if (file_exists(pf->preload) && file_exists(pf->agent) && file_exists(pf->addon)) {
			char real[PATH_MAX];
			char *paths[3] = {pf->preload, pf->agent, pf->addon};
			for (int p = 0; p < 3; p++)
				if (realpath(paths[p], real))
					memcpy(paths[p], real, strlen(real) + 1);
			return 0;
		}
	}
	return -ENOENT;
}

/* Prepend `ours` to the variable `name` with separator `sep`. */
static int env_add(const char *name, const char *ours, const char *sep)
{
	const char *have = getenv(name);
	if (!have || !*have)
		return setenv(name, ours, 1);
	char *v;
	if (asprintf(&v, "%s%s%s", ours, sep, have) < 0)
		return -1;
	int rc = setenv(name, v, 1);
	free(v);
	return rc;
}

static void child_exec(const struct probe_files *pf, const char *ring_dir, char **cmd)
{
	char require[PATH_MAX + 32];
	/* NODE_OPTIONS splits on spaces unless the value is double-quoted. */
	snprintf(require, sizeof(require), "--require \"%s\"", pf->agent);
	if (env_add("LD_PRELOAD", pf->preload, ":") != 0 ||
	    env_add("NODE_OPTIONS", require, " ") != 0 || setenv("LOOPTRACE_DIR", ring_dir, 1) != 0 ||
	    setenv("LOOPTRACE_ADDON", pf->addon, 1) != 0 ||
	    setenv("LOOPTRACE_PRELOAD", pf->preload, 1) != 0 ||
	    setenv("LOOPTRACE_NODE_OPTIONS", require, 1) != 0) {
		lt_cli_error("record: cannot set up the environment: %s", strerror(errno));
		_exit(LT_EXIT_USAGE);
	}
	execvp(cmd[0], cmd);
	int e = errno;
	lt_cli_error("record: cannot run '%s': %s", cmd[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for the command, ending it at the deadline: SIGINT, then SIGTERM
 * two seconds later, then SIGKILL.  Returns the wait status. */
static int wait_child(pid_t pid, const struct lt_record_opts *o, struct lt_drain *drain)
{
	double start = now_s(), last_progress = start;
	int progress = !o->quiet && isatty(STDERR_FILENO);
	int stage = 0;
	int status = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			break;
		double t = now_s() - start;
		if (o->duration > 0 && t >= o->duration + 2.0 * stage && stage < 3) {
			static const int sigs[3] = {SIGINT, SIGTERM, SIGKILL};
			kill(pid, sigs[stage++]);
		}
		lt_drain_poll(drain, 0);
		if (progress && now_s() - last_progress >= 1.0) {
			last_progress = now_s();
			fprintf(stderr, "\rlooptrace: recording pid %d, %.0f s, %.1f MiB captured\033[K",
				(int)pid, t,
				(double)lt_drain_written_bytes(drain) / (1024.0 * 1024.0));
		}
		/* The rings hold 16 MiB per thread: drain well before they fill. */
		struct timespec nap = {0, 3 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	if (progress && now_s() - start >= 1.0)
		fprintf(stderr, "\r\033[K");
	return status;
}

/* Where a recording keeps its data while the command runs:
 *   rings  per-thread rings the probes write (tmpfs when there is one);
 *   stage  flat capture files while they fit the RAM budget (tmpfs), or "";
 *   raw    flat capture files on disk, next to the output (the spill). */
struct capture_dirs {
	char rings[PATH_MAX];
	char stage[PATH_MAX];
	char raw[PATH_MAX];
};

static int capture_dirs_create(struct capture_dirs *c, const char *outdir, int stage_in_ram)
{
	memset(c, 0, sizeof(*c));
	char abs[PATH_MAX];
	if (snprintf(c->raw, sizeof(c->raw), "%s/.looptrace-raw-XXXXXX", outdir) >= (int)sizeof(c->raw) ||
	    !mkdtemp(c->raw)) {
		lt_cli_error("record: cannot create a capture directory in %s: %s", outdir, strerror(errno));
		return -1;
	}
	if (realpath(c->raw, abs))
		memcpy(c->raw, abs, strlen(abs) + 1);
	snprintf(c->rings, sizeof(c->rings), "/dev/shm/looptrace-rings-XXXXXX");
	if (!mkdtemp(c->rings) &&
	    (join_path(c->rings, c->raw, "rings") != 0 || mkdir(c->rings, 0700) != 0)) {
		lt_cli_error("record: cannot create %s: %s", c->rings, strerror(errno));
		rmdir(c->raw);
		return -1;
	}
	snprintf(c->stage, sizeof(c->stage), "/dev/shm/looptrace-capture-XXXXXX");
	if (!stage_in_ram || !mkdtemp(c->stage))
		c->stage[0] = '\0';
	return 0;
}

static void capture_dirs_remove(const struct capture_dirs *c)
{
	lt_capture_dir_remove(c->rings);
	if (c->stage[0])
		lt_capture_dir_remove(c->stage);
	lt_capture_dir_remove(c->raw);
}

/* RAM a capture may take on tmpfs before it moves to disk: a quarter of the
 * memory available, at most 4 GiB (LOOPTRACE_RAM_MB overrides). */
static uint64_t ram_budget(void)
{
	const char *env = getenv("LOOPTRACE_RAM_MB");
	if (env && *env)
		return strtoull(env, NULL, 10) << 20;
	uint64_t avail_kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &avail_kb) == 1)
			break;
	if (f)
		fclose(f);
	uint64_t budget = avail_kb * 1024 / 4, cap = 4ull << 30;
	return budget < cap ? budget : cap;
}

static void join_command(char **cmd, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; cmd[i] && used + 1 < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? " " : "", cmd[i]);
}

static int write_trace(const struct lt_record_opts *o, const char *raw_dir, int status,
		       double elapsed, struct lt_import_stats *stats, double *import_s)
{
	char command[8192], exit_status[16], duration[32], err[1024];
	join_command(o->cmd, command, sizeof(command));
	snprintf(exit_status, sizeof(exit_status), "%d",
		 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	snprintf(duration, sizeof(duration), "%.0f", elapsed * 1e9);
	const struct lt_meta_entry meta[] = {
		{"command", command}, {"exit_status", exit_status}, {"duration_ns", duration},
	};
	int rc = lt_write_trace(raw_dir, o->output, meta, sizeof(meta) / sizeof(meta[0]), stats,
				import_s, err, sizeof(err));
	if (rc != 0)
		lt_cli_error("record: import failed: %s (raw capture kept in %s)", err, raw_dir);
	return rc;
}

int lt_record_run(const struct lt_record_opts *o)
{
	int rc;
	struct probe_files pf;
	if (find_probes(&pf) != 0) {
		lt_cli_error("record: cannot find liblooptrace-preload.so, agent.js and looptrace.node "
			     "next to the looptrace binary (set LOOPTRACE_LIBDIR)");
		return LT_EXIT_USAGE;
	}

	/* The raw capture lives next to the output: same file system, so it is
	 * as large as the user planned for, and no tmpfs fills up. */
	char outdir_buf[PATH_MAX];
	snprintf(outdir_buf, sizeof(outdir_buf), "%s", o->output);
	const char *outdir = dirname(outdir_buf);
	struct capture_dirs dirs;
	if (capture_dirs_create(&dirs, outdir, !o->keep_raw) != 0)
		return LT_EXIT_USAGE;
	struct lt_drain drain;
	lt_drain_init(&drain, dirs.rings, dirs.stage[0] ? dirs.stage : dirs.raw);
	if (dirs.stage[0])
		lt_drain_spill_to(&drain, dirs.raw, ram_budget());

	struct sigaction sa = {0};
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);

	double start = now_s();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		lt_cli_error("record: fork: %s", strerror(errno));
		capture_dirs_remove(&dirs);
		return LT_EXIT_USAGE;
	}
	if (pid == 0) {
		struct sigaction dfl = {0};
		dfl.sa_handler = SIG_DFL;
		for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
			sigaction(forwarded[i], &dfl, NULL);
		child_exec(&pf, dirs.rings, o->cmd);
	}
	child_pid = pid;
	int status = wait_child(pid, o, &drain);
	double elapsed = now_s() - start;
	child_pid = 0;
	int drain_rc = lt_drain_poll(&drain, 1);
	char capture[PATH_MAX];
	snprintf(capture, sizeof(capture), "%s", drain.out_dir);
	lt_drain_close(&drain);
	if (drain_rc != 0)
		lt_cli_error("record: writing the capture: %s (the trace may be incomplete)",
			     strerror(-drain_rc));

	struct lt_import_stats stats;
	double import_s = 0;
	rc = write_trace(o, capture, status, elapsed, &stats, &import_s);
	if (rc != 0)
		return LT_EXIT_USAGE; /* the capture is kept: the message says where */
	char kept[PATH_MAX];
	if (o->keep_raw && snprintf(kept, sizeof(kept), "%s.raw", o->output) < (int)sizeof(kept)) {
		lt_capture_dir_remove(kept);
		if (rename(dirs.raw, kept) != 0)
			lt_cli_error("record: cannot keep the capture as %s: %s", kept, strerror(errno));
		else if (!o->quiet)
			fprintf(stderr, "looptrace: raw capture kept in %s\n", kept);
	}
	capture_dirs_remove(&dirs);

	if (!o->quiet) {
		double mib = (double)stats.raw_bytes / (1024.0 * 1024.0);
		fprintf(stderr,
			"looptrace: %llu events, %llu dispatches, %u threads, %.1f MiB raw "
			"(%.1f B/event), imported in %.2f s -> %s%s\n",
			(unsigned long long)stats.events, (unsigned long long)stats.dispatches,
			stats.streams, mib,
			stats.events ? (double)stats.raw_bytes / (double)stats.events : 0.0, import_s,
			o->output, stats.damaged ? " (some streams ended in a damaged record)" : "");
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
