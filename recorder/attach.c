/*
 * attach.c — an eBPF attach session (attach.h): the checks, the targets'
 * probe sites (attach_probes.h), the probes loaded and attached
 * (attach_links.h), the ring drained into capture files (attach_events.h)
 * until the session stops, then the import into the trace.
 */
#include "attach.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach_events.h"
#include "attach_probes.h"
#include "flight_session.h"
#include "staging.h"
#include "trace_writer.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"

#ifndef LT_HAVE_BPF

int lt_attach_unsupported(char *buf, size_t len)
{
	snprintf(buf, len, "this looptrace was built without its eBPF probes (clang, bpftool, "
			   "libbpf or kernel BTF were missing at build time)");
	return -ENOTSUP;
}

int lt_attach_run(const struct lt_attach_opts *o, int *child_status)
{
	char why[256];
	*child_status = 0;
	int rc = lt_attach_unsupported(why, sizeof(why));
	lt_notice(&o->notices, LT_NOTICE_ERROR, "attach: %s", why);
	return rc;
}

#else

#include "attach_links.h"
#include "attach_uv.h"
#include "attach_uv_events.h"
#include "uv_loop_walk.h"

static int has_capabilities(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	if (f)
		fclose(f);
	const unsigned long long sys_admin = 1ull << 21, perfmon = 1ull << 38, bpf = 1ull << 39;
	return (eff & sys_admin) || ((eff & perfmon) && (eff & bpf));
}

int lt_attach_unsupported(char *buf, size_t len)
{
	if (!has_capabilities()) {
		snprintf(buf, len, "attach needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): run it as root");
		return -EPERM;
	}
	if (access(BTF_PATH, R_OK) != 0) {
		snprintf(buf, len, "attach needs kernel BTF, and %s is missing (a kernel built with "
				   "CONFIG_DEBUG_INFO_BTF=y)", BTF_PATH);
		return -ENOENT;
	}
	return 0;
}

/* --- the session --- */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t forward_to;
static volatile sig_atomic_t dump_requests; /* attach --ring: SIGUSR2s */

static void on_signal(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	if (sig == SIGUSR2) {
		dump_requests++;
		return;
	}
	if (forward_to > 0) {
		/* record --bpf: the command decides; forward what was sent to us alone. */
		if (info && info->si_pid != 0)
			kill((pid_t)forward_to, sig);
		return;
	}
	stop_requested = sig;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void command_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	buf[0] = '\0';
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && buf[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
}

struct session {
	struct lt_attach_links links;
	struct lt_attach_events ev;
	char capture[PATH_MAX];
	struct lt_flight_session flight; /* attach --ring */
	int ring;
	/* shared-libuv API and USDT probes (attach_uv.h), when a target needs them */
	struct lt_attach_uv_target uv_targets[LT_ATTACH_MAX_PIDS];
	int n_uv;
	struct lt_attach_uv_links uv_links;
	struct lt_attach_uv uv;
	int targets_exited; /* every target ended during the session */
};

static int alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Poll until told to stop, the duration ends, or the targets are gone. */
static void run_loop(struct session *s, const struct lt_attach_opts *o, int *child_status, int *child_done)
{
	uint64_t start = mono_ns();
	int stage = 0;
	sig_atomic_t requests_seen = dump_requests;
	for (;;) {
		/* The probes do not wake us (BPF_RB_NO_WAKEUP): drain every 20 ms;
		 * the 8 MiB ring holds about 260k events. */
		lt_attach_links_wait(&s->links, 20);
		if (s->ring) {
			sig_atomic_t req = dump_requests;
			lt_flight_session_poll(&s->flight);
			lt_flight_session_tick(&s->flight, req != requests_seen);
			requests_seen = req;
		}
		if (stop_requested)
			return;
		double t = (double)(mono_ns() - start) / 1e9;
		if (o->child > 0) {
			pid_t w = waitpid(o->child, child_status, WNOHANG);
			if (w == o->child) {
				*child_done = 1;
				return;
			}
			if (o->duration > 0 && t >= o->duration + 2.0 * stage && stage < 3) {
				static const int sigs[3] = {SIGINT, SIGTERM, SIGKILL};
				kill(o->child, sigs[stage++]);
			}
			continue;
		}
		if (o->duration > 0 && t >= o->duration)
			return;
		int any = 0;
		for (int i = 0; i < o->n_pids; i++)
			any |= alive(o->pids[i]);
		if (!any) {
			s->targets_exited = 1;
			return;
		}
	}
}

static int write_trace(struct session *s, const struct lt_attach_opts *o, double elapsed, int child_done,
		       int child_status)
{
	char command[4096], duration[32], pids[256] = "", exit_status[16] = "", err[1024];
	if (o->command)
		snprintf(command, sizeof(command), "%s", o->command);
	else
		command_of(o->pids[0], command, sizeof(command));
	snprintf(duration, sizeof(duration), "%.0f", elapsed * 1e9);
	for (int i = 0; i < o->n_pids; i++) {
		size_t used = strlen(pids);
		snprintf(pids + used, sizeof(pids) - used, "%s%d", i ? "," : "", (int)o->pids[i]);
	}
	/* Events the probes could not hand over (the ring was full). */
	char lost[32];
	unsigned long long n_lost = lt_attach_links_lost(&s->links);
	snprintf(lost, sizeof(lost), "%llu", n_lost);
	if (n_lost && !o->quiet)
		lt_notice(&o->notices, LT_NOTICE_INFO, "attach: %llu events lost (the ring buffer was full)", n_lost);
	const struct lt_attach_threadpool *tp = &s->ev.threadpool;
	char tp_items[32], tp_wait[96], tp_run[96], tp_kinds[128];
	snprintf(tp_items, sizeof(tp_items), "%llu", (unsigned long long)tp->items);
	snprintf(tp_kinds, sizeof(tp_kinds), "fs %llu, work %llu, dns %llu, random %llu",
		 (unsigned long long)tp->by_kind[LT_WORK_FS], (unsigned long long)tp->by_kind[LT_WORK_QUEUE],
		 (unsigned long long)tp->by_kind[LT_WORK_DNS], (unsigned long long)tp->by_kind[LT_WORK_RANDOM]);
	snprintf(tp_wait, sizeof(tp_wait), "p50 %.3f p99 %.3f max %.3f", tp->wait_p50, tp->wait_p99, tp->wait_max);
	snprintf(tp_run, sizeof(tp_run), "p50 %.3f p99 %.3f max %.3f", tp->run_p50, tp->run_p99, tp->run_max);
	char uv_mode[64] = "", uv_callbacks[160] = "";
	struct lt_meta_entry meta[14] = {
		{"command", command}, {"duration_ns", duration}, {"capture", "bpf"},
		{"attached_pids", pids}, {"bpf_missing_symbols", s->links.missing},
		{"threadpool_items", tp_items}, {"threadpool_queue_wait_ms", tp_wait},
		{"threadpool_run_ms", tp_run}, {"threadpool_items_by_kind", tp_kinds},
		{"bpf_lost_events", lost},
	};
	size_t n = 10;
	if (s->n_uv) {
		const struct lt_attach_uv_links *ul = &s->uv_links;
		snprintf(uv_mode, sizeof(uv_mode), "%s%s%s", ul->api_probes ? "libuv-api" : "",
			 ul->api_probes && ul->usdt_probes ? "," : "", ul->usdt_probes ? "usdt" : "");
		lt_attach_uv_summary(&s->uv, uv_callbacks, sizeof(uv_callbacks));
		meta[n++] = (struct lt_meta_entry){"attach_probes", uv_mode};
		meta[n++] = (struct lt_meta_entry){"uv_callbacks", uv_callbacks};
		if (s->targets_exited)
			meta[n++] = (struct lt_meta_entry){"targets_exited", "1"};
	}
	if (child_done) {
		snprintf(exit_status, sizeof(exit_status), "%d",
			 WIFEXITED(child_status) ? WEXITSTATUS(child_status) : 128 + WTERMSIG(child_status));
		meta[n++] = (struct lt_meta_entry){"exit_status", exit_status};
	}
	struct lt_import_stats stats;
	double import_s = 0;
	int rc = lt_write_trace(s->capture, o->output, meta, n, &stats, &import_s, err, sizeof(err));
	if (rc != 0) {
		lt_notice(&o->notices, LT_NOTICE_ERROR, "attach: import failed: %s", err);
		return rc;
	}
	if (!o->quiet)
		lt_notice(&o->notices, LT_NOTICE_INFO,
			  "attached %.1f s with %u probes: %llu events, %llu dispatches, "
			  "%u threads, imported in %.2f s -> %s", elapsed, s->links.attached,
			  (unsigned long long)stats.events, (unsigned long long)stats.dispatches, stats.streams,
			  import_s, o->output);
	return 0;
}

static void release_uv(struct session *s)
{
	lt_attach_uv_links_free(&s->uv_links);
	lt_attach_uv_free(&s->uv);
	for (int i = 0; i < s->n_uv; i++)
		lt_proc_modules_free(&s->uv_targets[i].mods);
	s->n_uv = 0;
}

/* Whether the sites found include Node's own functions: a Node on a shared
 * libuv keeps the Node probes (and the fallback for libuv's internals). */
static int is_node(const struct lt_probe_sites *r)
{
	for (size_t p = 0; p < LT_N_PROBES; p++)
		if (r->offset[p] && !strncmp(lt_probes[p].symbols[0], "_ZN4node", 8))
			return 1;
	return 0;
}

/* The warning lines attach_links.c collected ("looptrace: ...\n" each),
 * handed up one by one. */
static void hand_up_warnings(struct lt_attach_links *links, const struct lt_attach_opts *o)
{
	const char *text = lt_attach_links_take_warnings(links);
	static const char prefix[] = "looptrace: ";
	while (*text) {
		size_t n = strcspn(text, "\n");
		const char *line = text;
		size_t skip = strncmp(line, prefix, sizeof(prefix) - 1) == 0 ? sizeof(prefix) - 1 : 0;
		lt_notice(&o->notices, LT_NOTICE_INFO, "%.*s", (int)(n - skip), line + skip);
		text += n + (text[n] == '\n');
	}
}

int lt_attach_run(const struct lt_attach_opts *o, int *child_status)
{
	char why[256];
	*child_status = 0;
	int rc = lt_attach_unsupported(why, sizeof(why));
	if (rc != 0) {
		lt_notice(&o->notices, LT_NOTICE_ERROR, "%s", why);
		return rc;
	}
	static struct lt_probe_sites res[LT_ATTACH_MAX_PIDS];
	static struct session s;
	memset(&s, 0, sizeof(s));
	int fallback = 0;
	char uv_api[LT_ATTACH_MAX_PIDS] = {0};
	for (int i = 0; i < o->n_pids; i++) {
		rc = lt_probes_resolve(o->pids[i], i == 0 ? o->exe : NULL, &res[i]);
		/* a shared libuv with its API only, or the probe API's USDT probes */
		struct lt_attach_uv_target *ut = &s.uv_targets[s.n_uv];
		int internals = rc == 0 && (res[i].offset[0] != 0 || is_node(&res[i]));
		if ((rc == 0 || rc == -ENOEXEC) && !o->exe && lt_attach_uv_mode(o->pids[i], internals, ut)) {
			uv_api[i] = (char)ut->api_mode;
			if (ut->api_mode || rc == -ENOEXEC)
				memset(&res[i], 0, sizeof(res[i])); /* replaced by attach_uv's probes */
			s.n_uv++;
			rc = 0;
		} else {
			lt_proc_modules_free(&ut->mods);
		}
		if (rc == -ESRCH) {
			lt_notice(&o->notices, LT_NOTICE_ERROR, "attach: no process %d (or its binary cannot be read)",
				  (int)o->pids[i]);
			return rc;
		}
		if (rc == -ENOEXEC) {
			lt_notice(&o->notices, LT_NOTICE_ERROR,
				  "attach: process %d is not a Node.js process, nor a libuv program (no uv_run in its "
				  "binary or libraries), and has no looptrace USDT probes", (int)o->pids[i]);
			return rc;
		}
		if (!uv_api[i] && res[i].found)
			fallback |= res[i].offset[0] == 0;
	}
	char outdir[PATH_MAX];
	snprintf(outdir, sizeof(outdir), "%s", o->output ? o->output : ".");
	lt_staging_clean_leftovers_noting(dirname(outdir), &o->notices, o->quiet);
	if ((rc = lt_staging_create_attach(s.capture, sizeof(s.capture))) != 0) {
		lt_notice(&o->notices, LT_NOTICE_ERROR, "attach: cannot create a capture directory: %s", strerror(-rc));
		return rc;
	}
	s.links.microtasks = o->microtasks;
	for (int i = 0; i < o->n_pids; i++)
		if (res[i].found)
			lt_attach_links_note_missing(&s.links, o->pids[i], &res[i], o->quiet);
	hand_up_warnings(&s.links, o);
	uint64_t start = mono_ns();
	lt_attach_events_init(&s.ev, s.capture, start);
	static char ring_pids[256], ring_command[4096];
	static struct lt_meta_entry ring_meta[2];
	if (o->ring) {
		ring_pids[0] = '\0';
		for (int i = 0; i < o->n_pids; i++) {
			size_t used = strlen(ring_pids);
			snprintf(ring_pids + used, sizeof(ring_pids) - used, "%s%d", i ? "," : "", (int)o->pids[i]);
		}
		if (o->command)
			snprintf(ring_command, sizeof(ring_command), "%s", o->command);
		else
			command_of(o->pids[0], ring_command, sizeof(ring_command));
		ring_meta[0] = (struct lt_meta_entry){"capture", "bpf"};
		ring_meta[1] = (struct lt_meta_entry){"attached_pids", ring_pids};
		static char *ring_cmd[2];
		ring_cmd[0] = ring_command;
		const struct lt_flight_session_opts fo = {
			.output = o->output, .ring = o->ring, .limit_bytes = o->ring_bytes,
			.window_s = o->ring_seconds, .lag_ms = o->trigger_lag_ms, .cmd = ring_cmd,
			.max_dumps = o->max_dumps,
			.notices = &o->notices, .quiet = o->quiet, .meta = ring_meta, .n_meta = 2,
		};
		const struct lt_flight_source src = {lt_attach_events_flight_view, &s.ev};
		if ((rc = lt_flight_session_start(&s.flight, &fo, &src)) != 0) {
			lt_notice(&o->notices, LT_NOTICE_ERROR, "attach: %s", strerror(-rc));
			lt_capture_dir_remove(s.capture);
			return rc;
		}
		s.ev.flight = s.flight.flight;
		s.ring = 1;
	}
	int multi = !getenv("LOOPTRACE_ATTACH_NO_MULTI");
	rc = lt_attach_links_load(&s.links, o->pids, o->n_pids, res, fallback, multi, o->quiet, &s.ev);
	hand_up_warnings(&s.links, o);
	if (rc == -EAGAIN) {
		lt_attach_links_release(&s.links);
		rc = lt_attach_links_load(&s.links, o->pids, o->n_pids, res, fallback, 0, o->quiet, &s.ev);
		hand_up_warnings(&s.links, o);
	}
	if (rc != 0) {
		if (s.links.err[0])
			lt_notice(&o->notices, LT_NOTICE_ERROR, "%s", s.links.err);
		goto release;
	}
	if (s.n_uv) {
		lt_attach_uv_init(&s.uv, lt_attach_uv_learn, &s.uv_links);
		s.ev.uv = &s.uv;
		rc = lt_attach_uv_load(&s.uv_links, &s.links, s.uv_targets, s.n_uv, o->quiet);
		if (s.uv_links.notes[0] && (rc != 0 || !o->quiet))
			lt_notice(&o->notices, rc ? LT_NOTICE_ERROR : LT_NOTICE_INFO, "%.*s",
				  (int)strcspn(s.uv_links.notes, "\n"), s.uv_links.notes);
		if (rc != 0)
			goto release;
		/* handles made before the session: their callbacks now */
		for (int i = 0; i < s.uv_links.n_targets; i++) {
			const struct lt_attach_uv_target *t = &s.uv_links.targets[i];
			if (t->default_loop_fn)
				lt_attach_uv_walk_loop(&s.uv, t->pid, lt_uv_default_loop(t->pid, t->default_loop_fn));
		}
		if (!o->quiet)
			lt_notice(&o->notices, LT_NOTICE_INFO,
				  "attach: %u libuv API probes, %u USDT probes, %u loop-wait probes; callbacks are "
				  "probed as they are registered (a callback's first run may be missed)",
				  s.uv_links.api_probes, s.uv_links.usdt_probes, s.uv_links.wait_probes);
	}
	if (o->release_fd >= 0) { /* record --bpf: the command may run now */
		char go = 1;
		if (write(o->release_fd, &go, 1) != 1)
			lt_notice(&o->notices, LT_NOTICE_ERROR, "attach: cannot start the command: %s",
				  strerror(errno));
	}
	if (fallback && !o->quiet)
		lt_notice(&o->notices, LT_NOTICE_INFO, "attach: loop waits taken from the main thread's epoll calls");

	struct sigaction sa = {0}, old_int, old_term;
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	stop_requested = 0;
	forward_to = o->child;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	struct sigaction old_usr2;
	if (s.ring) {
		sigaction(SIGUSR2, &sa, &old_usr2);
		lt_flight_session_publish(&s.flight, o->pids[0]);
	}
	if (!o->quiet && !o->child)
		lt_notice(&o->notices, LT_NOTICE_INFO, "attached to %d process%s with %u probes%s; Ctrl-C detaches",
			  o->n_pids, o->n_pids > 1 ? "es" : "", s.links.attached,
			  o->duration > 0 ? " for the duration" : "");
	int child_done = 0;
	run_loop(&s, o, child_status, &child_done);
	uint64_t end = mono_ns();
	s.ev.stop_ns = end;
	s.uv.learn = NULL; /* no more callbacks to probe */
	lt_attach_links_detach(&s.links);
	/* What the probes wrote before the end. */
	lt_attach_links_drain(&s.links);
	if (s.n_uv && s.targets_exited)
		s.ev.close_flags = LT_FILE_CLOSED;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	forward_to = 0;
	rc = lt_attach_events_close(&s.ev, end);
	if (rc != 0)
		lt_notice(&o->notices, LT_NOTICE_ERROR, "attach: writing the capture: %s", strerror(-rc));
	else if (s.ring)
		rc = lt_flight_session_finish(&s.flight, child_done ? (WIFEXITED(*child_status)
									? WEXITSTATUS(*child_status)
									: 128 + WTERMSIG(*child_status))
								  : -1) == 0 ? 0 : -EIO;
	else
		rc = write_trace(&s, o, (double)(end - start) / 1e9, child_done, *child_status);
	if (s.ring) {
		sigaction(SIGUSR2, &old_usr2, NULL);
		lt_flight_session_close(&s.flight);
	}
	lt_attach_links_free(&s.links);
	release_uv(&s);
	lt_capture_dir_remove(s.capture);
	return rc;

release:
	lt_attach_links_free(&s.links);
	release_uv(&s);
	lt_attach_events_close(&s.ev, mono_ns());
	if (s.ring)
		lt_flight_session_close(&s.flight);
	lt_capture_dir_remove(s.capture);
	return rc;
}

#endif
