/*
 * attach.c — an eBPF attach session: checks, symbol resolution, skeleton,
 * uprobes, ring buffer, detach, import.
 */
#include "attach.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "attach_events.h"
#include "attach_probes.h"
#include "perf_map.h"
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
	(void)o;
	*child_status = 0;
	lt_attach_unsupported(why, sizeof(why));
	lt_cli_error("attach: %s", why);
	return LT_EXIT_USAGE;
}

#else

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loop.skel.h"

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

static struct bpf_program *program(struct loop_bpf *skel, enum lt_probe_prog id)
{
	switch (id) {
	case PR_POLL: return skel->progs.io_poll_enter;
	case PR_CHECK: return skel->progs.check_enter;
	case PR_CB: return skel->progs.cb_enter;
	case PR_CB_RET: return skel->progs.cb_exit;
	case PR_MICRO: return skel->progs.micro_enter;
	case PR_MICRO_RET: return skel->progs.micro_exit;
	case PR_HINIT: return skel->progs.handle_init;
	case PR_HCLOSE: return skel->progs.handle_close;
	case PR_REJECT: return skel->progs.promise_reject;
	case PR_GC: return skel->progs.gc_enter;
	case PR_GC_RET: return skel->progs.gc_exit;
	case PR_WSUBMIT: return skel->progs.work_submit;
	case PR_WSTART: return skel->progs.work_start;
	case PR_WEND: return skel->progs.work_end;
	case PR_WDONE: return skel->progs.work_done;
	case PR_MAIN: return skel->progs.main_enter;
	default: return NULL;
	}
}

/* --- the session --- */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t forward_to;

static void on_signal(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
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

static int on_event(void *ctx, void *data, size_t size)
{
	const struct lt_bpf_event *e = data;
	if (size < sizeof(*e) || (e->kind == LT_EV_STACK && size < sizeof(struct lt_bpf_stack_event)))
		return 0;
	lt_attach_events_add(ctx, e);
	return 0;
}

static int silent_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("LOOPTRACE_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
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
	struct loop_bpf *skel;
	struct bpf_link **links; /* perf-event uprobes and tracepoints */
	size_t n_links, cap_links;
	int *fds;                /* uprobe_multi links */
	size_t n_fds, cap_fds;
	struct ring_buffer *rb;
	struct lt_attach_events ev;
	char capture[PATH_MAX];
	char missing[2048];
	unsigned attached;
};

static int add_link(struct session *s, struct bpf_link *l)
{
	if (s->n_links == s->cap_links) {
		size_t cap = s->cap_links ? s->cap_links * 2 : 64;
		struct bpf_link **grown = realloc(s->links, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->links = grown;
		s->cap_links = cap;
	}
	s->links[s->n_links++] = l;
	return 0;
}

static int add_fd(struct session *s, int fd)
{
	if (s->n_fds == s->cap_fds) {
		size_t cap = s->cap_fds ? s->cap_fds * 2 : 32;
		int *grown = realloc(s->fds, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->fds = grown;
		s->cap_fds = cap;
	}
	s->fds[s->n_fds++] = fd;
	return 0;
}

struct detach_job {
	struct bpf_link *link;
	int fd;
};

static void *detach_one(void *arg)
{
	struct detach_job *j = arg;
	if (j->link)
		bpf_link__destroy(j->link);
	else
		close(j->fd);
	return NULL;
}

/* Removing uprobes waits for a grace period (~100 ms here) per link: remove
 * them all at once rather than one after another. */
static void detach_all(struct session *s)
{
	size_t n = s->n_links + s->n_fds;
	struct detach_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	pthread_t *threads = calloc(n ? n : 1, sizeof(*threads));
	char *started = calloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++) {
		struct detach_job job = {i < s->n_links ? s->links[i] : NULL,
					 i < s->n_links ? -1 : s->fds[i - s->n_links]};
		if (jobs && threads && started) {
			jobs[i] = job;
			started[i] = pthread_create(&threads[i], NULL, detach_one, &jobs[i]) == 0;
		}
		if (!jobs || !threads || !started || !started[i])
			detach_one(&job);
	}
	for (size_t i = 0; i < n; i++)
		if (started && started[i])
			pthread_join(threads[i], NULL);
	free(started);
	free(threads);
	free(jobs);
	s->n_links = s->n_fds = 0;
}

static void note_missing(struct session *s, const char *what, const char *symbol, pid_t pid, int quiet)
{
	if (!quiet)
		fprintf(stderr, "looptrace: attach: %s not found in process %d: probe for %s disabled\n",
			symbol, (int)pid, what);
	size_t used = strlen(s->missing);
	if (!strstr(s->missing, symbol))
		snprintf(s->missing + used, sizeof(s->missing) - used, "%s%s", used ? "," : "", symbol);
}

/* uprobe_multi links (Linux 6.6+): one link for every offset of one program
 * in one file, and one grace period to remove it.  libbpf 1.1 predates them,
 * so the link is made with the bpf syscall itself. */
#define LT_BPF_TRACE_UPROBE_MULTI 48
#define LT_BPF_F_UPROBE_MULTI_RETURN 1u

struct uprobe_multi_attr { /* union bpf_attr, link_create.uprobe_multi */
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
	__u32 pad;
};

static int link_uprobe_multi(struct bpf_program *prog, const char *path, const uint64_t *offsets,
			     const uint64_t *cookies, uint32_t cnt, int retprobe, pid_t pid)
{
	struct uprobe_multi_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)bpf_program__fd(prog);
	a.attach_type = LT_BPF_TRACE_UPROBE_MULTI;
	a.path = (__u64)(uintptr_t)path;
	a.offsets = (__u64)(uintptr_t)offsets;
	a.cookies = (__u64)(uintptr_t)cookies;
	a.cnt = cnt;
	a.multi_flags = retprobe ? LT_BPF_F_UPROBE_MULTI_RETURN : 0;
	a.pid = (__u32)pid;
	long fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : (int)fd;
}

/* LOOPTRACE_ATTACH_SKIP: symbols not to probe (comma-separated), for
 * measuring what each probe costs. */
static int skipped(const struct lt_probe_spec *p)
{
	const char *skip = getenv("LOOPTRACE_ATTACH_SKIP");
	return skip && *skip && strstr(skip, p->symbols[0]);
}

static int wanted(const struct lt_probe_sites *r, size_t i)
{
	return r->offset[i] && !skipped(&lt_probes[i]);
}

/* One line per probe a process lacks the function for. */
static void report_missing(struct session *s, pid_t pid, const struct lt_probe_sites *r, int quiet)
{
	for (size_t i = 0; i < LT_N_PROBES; i++)
		if (!r->offset[i] && !skipped(&lt_probes[i]))
			note_missing(s, lt_probes[i].what, lt_probes[i].symbols[0], pid, quiet);
}

static int attach_multi(struct session *s, pid_t pid, const struct lt_probe_sites *r, int quiet)
{
	char done[LT_N_PROBES] = {0};
	for (size_t i = 0; i < LT_N_PROBES; i++)
		done[i] = !wanted(r, i);
	for (enum lt_probe_prog id = PR_POLL; id <= PR_MAIN; id++) {
		/* one link per file holding offsets for this program */
		char seen[LT_N_PROBES] = {0};
		for (size_t first = 0; first < LT_N_PROBES; first++) {
			if (done[first] || seen[first] || (lt_probes[first].entry != id && lt_probes[first].ret != id))
				continue;
			uint64_t offsets[LT_N_PROBES], cookies[LT_N_PROBES];
			uint32_t cnt = 0;
			for (size_t i = first; i < LT_N_PROBES; i++)
				if (!done[i] && !seen[i] && (lt_probes[i].entry == id || lt_probes[i].ret == id) &&
				    !strcmp(r->module[i], r->module[first])) {
					seen[i] = 1;
					int dup = 0; /* one offset once per link (aliases) */
					for (uint32_t k = 0; k < cnt; k++)
						dup |= offsets[k] == r->offset[i];
					if (dup)
						continue;
					offsets[cnt] = r->offset[i];
					cookies[cnt++] = lt_probes[i].cookie;
				}
			int retprobe = lt_probes[first].ret == id;
			int fd = link_uprobe_multi(program(s->skel, id), r->module[first], offsets, cookies, cnt,
						   retprobe, pid);
			if (fd < 0 && s->n_fds == 0)
				return -EOPNOTSUPP; /* not in this kernel: use perf-event uprobes */
			if (fd < 0) {
				if (!quiet)
					fprintf(stderr, "looptrace: attach: cannot probe %s in process %d (%s): "
						"%u probes disabled\n", r->module[first], (int)pid, strerror(-fd), cnt);
				continue;
			}
			if (add_fd(s, fd) != 0) {
				close(fd);
				return -ENOMEM;
			}
			s->attached += cnt;
		}
	}
	return 0;
}

static int attach_perf(struct session *s, pid_t pid, const struct lt_probe_sites *r, int quiet)
{
	for (size_t p = 0; p < LT_N_PROBES; p++) {
		if (!wanted(r, p))
			continue;
		enum lt_probe_prog ids[2] = {lt_probes[p].entry, lt_probes[p].ret};
		for (int k = 0; k < 2; k++) {
			if (ids[k] == PR_NONE)
				continue;
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = k == 1, .bpf_cookie = lt_probes[p].cookie);
			struct bpf_link *l = bpf_program__attach_uprobe_opts(program(s->skel, ids[k]), pid,
									     r->module[p], (size_t)r->offset[p], &uo);
			if (!l) {
				int e = errno;
				if (!quiet)
					fprintf(stderr, "looptrace: attach: cannot probe %s in process %d (%s): "
						"probe for %s disabled\n", lt_probes[p].symbols[0], (int)pid,
						strerror(e), lt_probes[p].what);
				continue;
			}
			if (add_link(s, l) != 0) {
				bpf_link__destroy(l);
				return -ENOMEM;
			}
			s->attached++;
		}
	}
	return 0;
}

/* The loop's wait: raw tracepoints on system call entry and exit. */
static int attach_tracepoints(struct session *s, int quiet)
{
	struct bpf_program *progs[] = {s->skel->progs.sys_enter, s->skel->progs.sys_exit};
	int ok = 0;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *l = bpf_program__attach(progs[i]);
		if (!l) {
			if (!quiet)
				fprintf(stderr, "looptrace: attach: raw tracepoint %s unavailable (%s): loop "
					"waits are not recorded\n", bpf_program__name(progs[i]), strerror(errno));
			continue;
		}
		if (add_link(s, l) != 0) {
			bpf_link__destroy(l);
			return -ENOMEM;
		}
		ok++;
	}
	return ok;
}

static int alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Poll until told to stop, the duration ends, or the targets are gone. */
static void run_loop(struct session *s, const struct lt_attach_opts *o, int *child_status, int *child_done)
{
	uint64_t start = mono_ns();
	int stage = 0;
	for (;;) {
		/* The probes do not wake us (BPF_RB_NO_WAKEUP): drain every 20 ms;
		 * the 8 MiB ring holds about 260k events. */
		struct timespec nap = {0, 20 * 1000 * 1000};
		nanosleep(&nap, NULL);
		ring_buffer__consume(s->rb);
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
		if (!any)
			return;
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
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long n_lost = 0;
	__u64 *per_cpu = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*per_cpu)) : NULL;
	__u32 zero = 0;
	if (per_cpu && bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.lost), &zero, per_cpu) == 0)
		for (int c = 0; c < ncpu; c++)
			n_lost += per_cpu[c];
	free(per_cpu);
	snprintf(lost, sizeof(lost), "%llu", n_lost);
	if (n_lost && !o->quiet)
		fprintf(stderr, "looptrace: attach: %llu events lost (the ring buffer was full)\n", n_lost);
	const struct lt_attach_threadpool *tp = &s->ev.threadpool;
	char tp_items[32], tp_wait[96], tp_run[96], tp_kinds[128];
	snprintf(tp_items, sizeof(tp_items), "%llu", (unsigned long long)tp->items);
	snprintf(tp_kinds, sizeof(tp_kinds), "fs %llu, work %llu, dns %llu, random %llu",
		 (unsigned long long)tp->by_kind[LT_WORK_FS], (unsigned long long)tp->by_kind[LT_WORK_QUEUE],
		 (unsigned long long)tp->by_kind[LT_WORK_DNS], (unsigned long long)tp->by_kind[LT_WORK_RANDOM]);
	snprintf(tp_wait, sizeof(tp_wait), "p50 %.3f p99 %.3f max %.3f", tp->wait_p50, tp->wait_p99, tp->wait_max);
	snprintf(tp_run, sizeof(tp_run), "p50 %.3f p99 %.3f max %.3f", tp->run_p50, tp->run_p99, tp->run_max);
	struct lt_meta_entry meta[11] = {
		{"command", command}, {"duration_ns", duration}, {"capture", "bpf"},
		{"attached_pids", pids}, {"bpf_missing_symbols", s->missing},
		{"threadpool_items", tp_items}, {"threadpool_queue_wait_ms", tp_wait},
		{"threadpool_run_ms", tp_run}, {"threadpool_items_by_kind", tp_kinds},
		{"bpf_lost_events", lost},
	};
	size_t n = 10;
	if (child_done) {
		snprintf(exit_status, sizeof(exit_status), "%d",
			 WIFEXITED(child_status) ? WEXITSTATUS(child_status) : 128 + WTERMSIG(child_status));
		meta[n++] = (struct lt_meta_entry){"exit_status", exit_status};
	}
	struct lt_import_stats stats;
	double import_s = 0;
	int rc = lt_write_trace(s->capture, o->output, meta, n, &stats, &import_s, err, sizeof(err));
	if (rc != 0) {
		lt_cli_error("attach: import failed: %s", err);
		return rc;
	}
	if (!o->quiet)
		fprintf(stderr, "looptrace: attached %.1f s with %u probes: %llu events, %llu dispatches, "
			"%u threads, imported in %.2f s -> %s\n", elapsed, s->attached,
			(unsigned long long)stats.events, (unsigned long long)stats.dispatches, stats.streams,
			import_s, o->output);
	return 0;
}

/* JavaScript attribution: where the process writes a JIT map (node
 * --perf-basic-prof), sample its main thread's user stack at 199 Hz; the
 * BPF program keeps only samples of callbacks running 10 ms or more. */
static int attach_sampling(struct session *s, pid_t pid, int quiet)
{
	char map[128];
	lt_perf_map_path((int)pid, map, sizeof(map));
	if (access(map, R_OK) != 0)
		return 0;
	struct perf_event_attr pa;
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_SOFTWARE;
	pa.size = sizeof(pa);
	pa.config = PERF_COUNT_SW_CPU_CLOCK;
	pa.sample_freq = 199;
	pa.freq = 1;
	int fd = (int)syscall(__NR_perf_event_open, &pa, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	struct bpf_link *l = fd >= 0 ? bpf_program__attach_perf_event(s->skel->progs.sample_stack, fd) : NULL;
	if (!l) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (!quiet)
			fprintf(stderr, "looptrace: attach: cannot sample process %d's stack (%s): blocking "
				"callbacks are not named\n", (int)pid, strerror(e));
		return 0;
	}
	if (add_link(s, l) != 0) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	return 1;
}

/* Load the probes and attach them to every target.  Returns 0, -EAGAIN
 * when uprobe_multi links turned out unsupported (load again without), or
 * another -errno after saying why. */
static int session_attach(struct session *s, const struct lt_attach_opts *o, const struct lt_probe_sites *res,
			  int fallback, int multi)
{
	s->skel = loop_bpf__open();
	if (!s->skel) {
		lt_cli_error("attach: cannot open the eBPF probes: %s", strerror(errno));
		return -EIO;
	}
	s->skel->rodata->poll_fallback = fallback ? 1u : 0u;
	if (multi) {
		struct bpf_program *prog;
		bpf_object__for_each_program(prog, s->skel->obj)
			if (bpf_program__type(prog) == BPF_PROG_TYPE_KPROBE)
				bpf_program__set_expected_attach_type(prog, LT_BPF_TRACE_UPROBE_MULTI);
	}
	int err = loop_bpf__load(s->skel);
	if (err && multi)
		return -EAGAIN;
	if (err) {
		lt_cli_error("attach: the kernel refused the eBPF probes: %s", strerror(-err));
		return err;
	}
	for (int i = 0; i < o->n_pids; i++) {
		__u32 tgid = (__u32)o->pids[i];
		__u8 one = 1;
		bpf_map_update_elem(bpf_map__fd(s->skel->maps.targets), &tgid, &one, BPF_ANY);
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_event, &s->ev, NULL);
	if (!s->rb) {
		lt_cli_error("attach: cannot map the ring buffer: %s", strerror(errno));
		return -EIO;
	}
	if (fallback && attach_tracepoints(s, o->quiet) < 0)
		return -ENOMEM;
	for (int i = 0; i < o->n_pids; i++) {
		int rc = multi ? attach_multi(s, o->pids[i], &res[i], o->quiet)
			       : attach_perf(s, o->pids[i], &res[i], o->quiet);
		if (rc == -EOPNOTSUPP)
			return -EAGAIN;
		if (rc == 0)
			rc = attach_sampling(s, o->pids[i], o->quiet) < 0 ? -ENOMEM : 0;
		if (rc != 0) {
			lt_cli_error("attach: out of memory");
			return rc;
		}
	}
	return 0;
}

static void session_release(struct session *s)
{
	detach_all(s);
	ring_buffer__free(s->rb);
	s->rb = NULL;
	loop_bpf__destroy(s->skel);
	s->skel = NULL;
	s->attached = 0;
}

int lt_attach_run(const struct lt_attach_opts *o, int *child_status)
{
	char why[256];
	*child_status = 0;
	if (lt_attach_unsupported(why, sizeof(why)) != 0) {
		lt_cli_error("%s", why);
		return LT_EXIT_USAGE;
	}
	static struct lt_probe_sites res[LT_ATTACH_MAX_PIDS];
	int fallback = 0;
	for (int i = 0; i < o->n_pids; i++) {
		int rc = lt_probes_resolve(o->pids[i], i == 0 ? o->exe : NULL, &res[i]);
		if (rc == -ESRCH) {
			lt_cli_error("attach: no process %d (or its binary cannot be read)", (int)o->pids[i]);
			return LT_EXIT_USAGE;
		}
		if (rc == -ENOEXEC) {
			lt_cli_error("attach: process %d is not a Node.js process (no uv_run in its binary or "
				     "libraries)", (int)o->pids[i]);
			return LT_EXIT_USAGE;
		}
		fallback |= res[i].offset[0] == 0;
	}

	static struct session s;
	memset(&s, 0, sizeof(s));
	int ret = LT_EXIT_USAGE;
	libbpf_set_print(silent_libbpf);
	snprintf(s.capture, sizeof(s.capture), "/dev/shm/looptrace-attach-XXXXXX");
	if (!mkdtemp(s.capture)) {
		snprintf(s.capture, sizeof(s.capture), "/tmp/looptrace-attach-XXXXXX");
		if (!mkdtemp(s.capture)) {
			lt_cli_error("attach: cannot create a capture directory: %s", strerror(errno));
			return LT_EXIT_USAGE;
		}
	}
	for (int i = 0; i < o->n_pids; i++)
		report_missing(&s, o->pids[i], &res[i], o->quiet);
	uint64_t start = mono_ns();
	lt_attach_events_init(&s.ev, s.capture, start);
	int multi = !getenv("LOOPTRACE_ATTACH_NO_MULTI");
	int rc = session_attach(&s, o, res, fallback, multi);
	if (rc == -EAGAIN) {
		session_release(&s);
		rc = session_attach(&s, o, res, fallback, 0);
	}
	if (rc != 0)
		goto release;
	if (o->release_fd >= 0) { /* record --bpf: the command may run now */
		char go = 1;
		if (write(o->release_fd, &go, 1) != 1)
			lt_cli_error("attach: cannot start the command: %s", strerror(errno));
	}
	if (fallback && !o->quiet)
		fprintf(stderr, "looptrace: attach: loop waits taken from the main thread's epoll calls\n");

	struct sigaction sa = {0}, old_int, old_term;
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	stop_requested = 0;
	forward_to = o->child;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (!o->quiet && !o->child)
		fprintf(stderr, "looptrace: attached to %d process%s with %u probes%s; Ctrl-C detaches\n",
			o->n_pids, o->n_pids > 1 ? "es" : "", s.attached,
			o->duration > 0 ? " for the duration" : "");
	int child_done = 0;
	run_loop(&s, o, child_status, &child_done);
	uint64_t end = mono_ns();
	s.ev.stop_ns = end;
	unsigned attached = s.attached;
	detach_all(&s);
	/* What the probes wrote before the end. */
	ring_buffer__consume(s.rb);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	forward_to = 0;
	int ev_rc = lt_attach_events_close(&s.ev, end);
	s.attached = attached;
	if (ev_rc != 0)
		lt_cli_error("attach: writing the capture: %s", strerror(-ev_rc));
	else if (write_trace(&s, o, (double)(end - start) / 1e9, child_done, *child_status) == 0)
		ret = 0;
	session_release(&s);
	lt_capture_dir_remove(s.capture);
	free(s.links);
	free(s.fds);
	return ret;

release:
	session_release(&s);
	lt_attach_events_close(&s.ev, mono_ns());
	lt_capture_dir_remove(s.capture);
	free(s.links);
	free(s.fds);
	return ret;
}

#endif
