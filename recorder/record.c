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
#include "notice.h"
#include "../probes/wire.h"
#include "drain.h"
#include "flight_session.h"
#include "import.h"
#include "process_tree.h"
#include "staging.h"
#include "trace_writer.h"
#include "rawfile.h"

struct probe_files {
	char preload[PATH_MAX];
	char agent[PATH_MAX];
	char addon[PATH_MAX];
};

static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t pending_signal;
static volatile sig_atomic_t ring_mode;     /* record --ring: SIGUSR2 asks for a dump */
static volatile sig_atomic_t dump_requests; /* SIGUSR2s received */

/* Terminal signals reach the whole foreground group, the command included;
 * forward only what was sent to us alone (si_pid set by kill(2)). */
static void on_signal(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	if (ring_mode && sig == SIGUSR2) {
		dump_requests++;
		return;
	}
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

static void child_exec(const struct probe_files *pf, const struct lt_staging *st,
		       const struct lt_record_opts *o, pid_t recorder)
{
	char **cmd = o->cmd;
	char require[PATH_MAX + 32], pid[32];
	snprintf(pid, sizeof(pid), "%d", (int)recorder);
	const char *ring_dir = st->rings;
	/* NODE_OPTIONS splits on spaces unless the value is double-quoted. */
	snprintf(require, sizeof(require), "--require \"%s\"", pf->agent);
	if (env_add("LD_PRELOAD", pf->preload, ":") != 0 ||
	    env_add("NODE_OPTIONS", require, " ") != 0 || setenv("LOOPTRACE_DIR", ring_dir, 1) != 0 ||
	    setenv("LOOPTRACE_ADDON", pf->addon, 1) != 0 ||
	    setenv("LOOPTRACE_PRELOAD", pf->preload, 1) != 0 ||
	    setenv("LOOPTRACE_NODE_OPTIONS", require, 1) != 0 ||
	    setenv("LOOPTRACE_RECORDER_PID", pid, 1) != 0 ||
	    (strcmp(st->rings, st->raw) != 0 && setenv("LOOPTRACE_RING_SPILL", st->raw, 1) != 0) ||
	    (o->lossless && setenv("LOOPTRACE_LOSSLESS", "1", 1) != 0)) {
		lt_notice(&o->notices, LT_NOTICE_ERROR, "record: cannot set up the environment: %s",
			  strerror(errno));
		_exit(LT_EXIT_USAGE);
	}
	execvp(cmd[0], cmd);
	int e = errno;
	lt_notice(&o->notices, LT_NOTICE_ERROR, "record: cannot run '%s': %s", cmd[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* After --duration ended the command: what it started and left behind
 * (re-parented to us) gets SIGTERM, then SIGKILL two seconds later. */
static void end_leftovers(void)
{
	static const int sigs[2] = {SIGTERM, SIGKILL};
	for (int k = 0; k < 2; k++) {
		if (lt_tree_signal_descendants(getpid(), sigs[k]) <= 0)
			return;
		for (int i = 0; i < 200; i++) {
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			if (lt_tree_signal_descendants(getpid(), 0) <= 0)
				return;
			struct timespec nap = {0, 10 * 1000 * 1000};
			nanosleep(&nap, NULL);
		}
	}
}

/* Wait for the command, ending it at the deadline: SIGINT, then SIGTERM
 * two seconds later, then SIGKILL, each to every process the command
 * started (lt_tree_adopt_orphans keeps them below us).  Orphans are reaped
 * as they end.  Returns the command's wait status. */
static int wait_child(pid_t pid, const struct lt_record_opts *o, struct lt_drain *drain,
		      struct lt_flight_session *flight)
{
	sig_atomic_t requests_seen = 0;
	double start = now_s(), last_progress = start;
	int progress = !o->quiet; /* shown where the caller can (a terminal) */
	int stage = 0;
	int status = 0;
	for (;;) {
		int st = 0, done = 0;
		pid_t r;
		while ((r = waitpid(-1, &st, WNOHANG)) > 0)
			if (r == pid) {
				status = st;
				done = 1;
			} else if (flight) {
				lt_flight_session_reaped(flight, r, st);
			}
		if (done || (r < 0 && errno != EINTR))
			break;
		double t = now_s() - start;
		if (o->duration > 0 && t >= o->duration + 2.0 * stage && stage < 3) {
			static const int sigs[3] = {SIGINT, SIGTERM, SIGKILL};
			if (lt_tree_signal_descendants(getpid(), sigs[stage]) < 0)
				kill(pid, sigs[stage]);
			stage++;
		}
		lt_drain_poll(drain, 0);
		if (flight) {
			sig_atomic_t req = dump_requests;
			lt_flight_session_tick(flight, req != requests_seen);
			requests_seen = req;
		}
		if (progress && now_s() - last_progress >= 1.0) {
			last_progress = now_s();
			lt_notice(&o->notices, LT_NOTICE_PROGRESS, "recording pid %d, %.0f s, %.1f MiB captured",
				  (int)pid, t, (double)lt_drain_written_bytes(drain) / (1024.0 * 1024.0));
		}
		/* A ring holds 8 MiB of a thread's records at first (it grows
		 * to 32 when it fills before this drains it): drain well before
		 * that (a writer waits LOOPTRACE_WAIT_MS, 40 ms, then drops). */
		struct timespec nap = {0, 3 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	if (progress && now_s() - start >= 1.0)
		lt_notice(&o->notices, LT_NOTICE_PROGRESS_END, "%s", "");
	if (stage > 0)
		end_leftovers();
	return status;
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
		lt_notice(&o->notices, LT_NOTICE_ERROR, "record: import failed: %s (raw capture kept in %s)",
			  err, raw_dir);
	return rc;
}

/* One line when records were dropped: how many, where, why. */
static void say_loss(const struct lt_record_opts *o, const struct lt_drain_loss *l,
		     const struct lt_drain *drain, int drain_rc, double start_mono)
{
	if (l->no_ring)
		lt_notice(&o->notices, LT_NOTICE_ERROR,
			  "record: %u thread(s) had no room for a ring in %s: their events were "
			  "counted, not kept", l->no_ring, drain->ring_dirs[0]);
	if (!l->events && !(l->reasons & LT_DRAIN_LOSS_WRITE)) {
		if (drain_rc != 0)
			lt_notice(&o->notices, LT_NOTICE_ERROR, "record: writing the capture: %s",
				  strerror(-drain_rc));
		return;
	}
	char write_err[160];
	snprintf(write_err, sizeof(write_err), "the capture could not be written: %s",
		 strerror(drain_rc ? -drain_rc : EIO));
	const char *why = (l->reasons & LT_DRAIN_LOSS_WRITE) ? write_err
			  : (l->reasons & LT_LOSS_RECORDER)   ? "the recorder was gone"
			  : (l->reasons & LT_LOSS_NO_RING)    ? "no room for a ring"
							      : "the recorder fell behind";
	/* Times from the first thread's start, as report and replay give them. */
	double origin = l->origin_ns ? (double)l->origin_ns / 1e9 : start_mono;
	double from = (double)l->first_ns / 1e9 - origin, to = (double)l->last_ns / 1e9 - origin;
	lt_notice(&o->notices, LT_NOTICE_ERROR,
		  "record: warning: trace incomplete: %llu events dropped in %u thread(s) between "
		  "%.2f s and %.2f s (%s; see table stream_losses)",
		  (unsigned long long)l->events, l->streams, from < 0 ? 0 : from, to < 0 ? 0 : to, why);
}

static int exit_status_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int lt_record_run(const struct lt_record_opts *o, int *exit_status)
{
	int rc;
	struct probe_files pf;
	*exit_status = 0;
	if ((rc = find_probes(&pf)) != 0) {
		lt_notice(&o->notices, LT_NOTICE_ERROR,
			  "record: cannot find liblooptrace-preload.so, agent.js and looptrace.node "
			  "next to the looptrace binary (set LOOPTRACE_LIBDIR)");
		return rc;
	}

	char outdir_buf[PATH_MAX], err[1024];
	snprintf(outdir_buf, sizeof(outdir_buf), "%s", o->output);
	const char *outdir = dirname(outdir_buf);
	lt_staging_clean_leftovers_noting(outdir, &o->notices, o->quiet);
	char kept[PATH_MAX];
	if (o->keep_raw && snprintf(kept, sizeof(kept), "%s.raw", o->output) >= (int)sizeof(kept)) {
		lt_notice(&o->notices, LT_NOTICE_ERROR, "record: output path too long");
		return -ENAMETOOLONG;
	}
	struct lt_staging dirs;
	if ((rc = lt_staging_create(&dirs, outdir, o->keep_raw ? kept : NULL, err, sizeof(err))) != 0) {
		lt_notice(&o->notices, LT_NOTICE_ERROR, "record: %s", err);
		return rc < 0 ? rc : -EIO;
	}
	struct lt_drain drain;
	lt_drain_init(&drain, dirs.rings, dirs.stage_limit ? dirs.rings : dirs.raw);
	if (strcmp(dirs.rings, dirs.raw) != 0)
		lt_drain_add_ring_dir(&drain, dirs.raw);
	if (dirs.stage_limit)
		lt_drain_spill_to(&drain, dirs.raw, dirs.stage_limit);
	struct lt_flight_session flight;
	if (o->ring) {
		const struct lt_flight_session_opts fo = {
			.output = o->output, .ring = o->ring, .limit_bytes = o->ring_bytes,
			.window_s = o->ring_seconds, .lag_ms = o->trigger_lag_ms, .cmd = o->cmd,
			.max_dumps = o->max_dumps,
			.notices = &o->notices, .quiet = o->quiet,
		};
		const struct lt_flight_source src = {lt_drain_flight_view, &drain};
		if ((rc = lt_flight_session_start(&flight, &fo, &src)) != 0) {
			lt_notice(&o->notices, LT_NOTICE_ERROR, "record: %s", strerror(-rc));
			lt_drain_close(&drain);
			lt_staging_remove(&dirs);
			return rc;
		}
		lt_drain_to_flight(&drain, flight.flight);
		ring_mode = 1;
	}

	struct sigaction sa = {0};
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);

	double start = now_s();
	fflush(NULL);
	pid_t recorder = getpid();
	lt_tree_adopt_orphans(); /* best effort: without it --duration ends the direct child only */
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		lt_notice(&o->notices, LT_NOTICE_ERROR, "record: fork: %s", strerror(-rc));
		lt_staging_remove(&dirs);
		return rc;
	}
	if (pid == 0) {
		struct sigaction dfl = {0};
		dfl.sa_handler = SIG_DFL;
		for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
			sigaction(forwarded[i], &dfl, NULL);
		child_exec(&pf, &dirs, o, recorder);
	}
	child_pid = pid;
	if (o->ring)
		lt_flight_session_publish(&flight, pid);
	int status = wait_child(pid, o, &drain, o->ring ? &flight : NULL);
	double elapsed = now_s() - start;
	child_pid = 0;
	int drain_rc = lt_drain_poll(&drain, 1);
	if (o->ring) {
		/* The exit dump; every dump said where it went. */
		*exit_status = exit_status_of(status);
		lt_flight_session_finish(&flight, *exit_status);
		lt_flight_session_close(&flight);
		ring_mode = 0;
		struct lt_drain_loss ring_loss;
		lt_drain_loss(&drain, &ring_loss);
		lt_drain_close(&drain);
		say_loss(o, &ring_loss, &drain, drain_rc, start);
		lt_staging_remove(&dirs);
		return 0;
	}
	char capture[PATH_MAX];
	snprintf(capture, sizeof(capture), "%s", drain.out_dir);
	struct lt_drain_loss loss;
	lt_drain_loss(&drain, &loss);
	lt_drain_close(&drain);
	say_loss(o, &loss, &drain, drain_rc, start);

	struct lt_import_stats stats;
	double import_s = 0;
	*exit_status = exit_status_of(status);
	rc = write_trace(o, capture, status, elapsed, &stats, &import_s);
	if (rc != 0) {
		/* The program ran as it would have: its status stands; the line
		 * write_trace printed says where the capture is. */
		if (strcmp(capture, dirs.rings) != 0 && strcmp(dirs.rings, dirs.raw) != 0)
			lt_capture_dir_remove(dirs.rings);
		if (strcmp(capture, dirs.raw) != 0 && !dirs.keep_raw)
			lt_capture_dir_remove(dirs.raw);
		return 0;
	}
	if (o->keep_raw && !o->quiet)
		lt_notice(&o->notices, LT_NOTICE_INFO, "raw capture kept in %s", dirs.raw);
	lt_staging_remove(&dirs);

	if (!o->quiet) {
		double mib = (double)stats.raw_bytes / (1024.0 * 1024.0);
		lt_notice(&o->notices, LT_NOTICE_INFO,
			  "%llu events, %llu dispatches, %u threads, %.1f MiB raw "
			  "(%.1f B/event), imported in %.2f s -> %s%s",
			  (unsigned long long)stats.events, (unsigned long long)stats.dispatches,
			  stats.streams, mib,
			  stats.events ? (double)stats.raw_bytes / (double)stats.events : 0.0, import_s,
			  o->output, stats.damaged ? " (some streams ended in a damaged record)" : "");
	}
	return 0;
}
