/*
 * attach_links.c — the eBPF probes loaded and attached (attach_links.h).
 */
#ifdef LT_HAVE_BPF

#include "attach_links.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach_events.h"
#include "../probes/bpf/uvapi.h"
#include "loop.skel.h"
#include "perf_map.h"

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

static int silent_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("LOOPTRACE_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap); /* layers: may print (libbpf's own, on request) */
	return 0;
}

/* A warning line for the caller to print (lt_attach_links_take_warnings);
 * nothing when quiet.  A line that does not fit in memory is dropped. */
__attribute__((format(printf, 3, 4)))
static void warn(struct lt_attach_links *s, int quiet, const char *fmt, ...)
{
	if (quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (s->warn_len + (size_t)n + 1 > s->warn_cap) {
		size_t cap = s->warn_cap ? s->warn_cap : 1024;
		while (cap < s->warn_len + (size_t)n + 1)
			cap *= 2;
		char *grown = realloc(s->warnings, cap);
		if (!grown)
			return;
		s->warnings = grown;
		s->warn_cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(s->warnings + s->warn_len, s->warn_cap - s->warn_len, fmt, ap);
	va_end(ap);
	s->warn_len += (size_t)n;
}

const char *lt_attach_links_take_warnings(struct lt_attach_links *s)
{
	if (!s->warn_len)
		return "";
	s->warn_len = 0; /* the text stays valid until the next warning */
	return s->warnings;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct lt_bpf_event *e = data;
	if (size < sizeof(*e) || (e->kind == LT_EV_STACK && size < sizeof(struct lt_bpf_stack_event)) ||
	    ((e->kind == LT_EV_UV_CALL || e->kind == LT_EV_USDT) && size < sizeof(struct lt_bpf_uv_event)))
		return 0;
	lt_attach_events_add(ctx, e);
	return 0;
}

/* Room for one more element of `size` bytes in *arr, which holds n of
 * *cap (doubling, from `first`).  0 or -ENOMEM. */
static int room_for_one(void **arr, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return 0;
	size_t want = *cap ? *cap * 2 : first;
	void *grown = realloc(*arr, want * size);
	if (!grown)
		return -ENOMEM;
	*arr = grown;
	*cap = want;
	return 0;
}

static int add_link(struct lt_attach_links *s, struct bpf_link *l)
{
	void *arr = s->links;
	if (room_for_one(&arr, s->n_links, &s->cap_links, sizeof(*s->links), 64) != 0)
		return -ENOMEM;
	s->links = arr;
	s->links[s->n_links++] = l;
	return 0;
}

static int add_fd(struct lt_attach_links *s, int fd)
{
	void *arr = s->fds;
	if (room_for_one(&arr, s->n_fds, &s->cap_fds, sizeof(*s->fds), 32) != 0)
		return -ENOMEM;
	s->fds = arr;
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
static void detach_all(struct lt_attach_links *s)
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

static void note_missing(struct lt_attach_links *s, const char *what, const char *symbol, pid_t pid, int quiet)
{
	warn(s, quiet, "looptrace: attach: %s not found in process %d: probe for %s disabled\n",
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

/* LOOPTRACE_ATTACH_SKIP: probes left out (comma-separated parts of their
 * first symbol: "uv__stream_io", "RunMicrotasks"), for measuring what each
 * probe costs. */
static int skipped(const struct lt_probe_spec *p)
{
	const char *skip = getenv("LOOPTRACE_ATTACH_SKIP");
	while (skip && *skip) {
		size_t n = strcspn(skip, ",");
		char part[128];
		if (n && n < sizeof(part)) {
			memcpy(part, skip, n);
			part[n] = '\0';
			if (strstr(p->symbols[0], part))
				return 1;
		}
		skip += n + (skip[n] == ',');
	}
	return 0;
}

/* Microtask drains are probed on request only (lt_attach_links.microtasks):
 * a promise-heavy server drains about twice a request, four traps. */
static int left_out(const struct lt_attach_links *s, const struct lt_probe_spec *p)
{
	return skipped(p) || (p->entry == PR_MICRO && !s->microtasks);
}

static int wanted(const struct lt_attach_links *s, const struct lt_probe_sites *r, size_t i)
{
	return r->offset[i] && !left_out(s, &lt_probes[i]);
}

/* LOOPTRACE_ATTACH_IO_RETURNS=1: also probe the I/O watcher callbacks'
 * returns (one more trap per callback), as before they ended open. */
static int io_returns(void)
{
	const char *v = getenv("LOOPTRACE_ATTACH_IO_RETURNS");
	return v && !strcmp(v, "1");
}

/* The return probe of probe i is left out: an I/O watcher callback ends at
 * the loop's next step instead (loop.h, LT_CB_OPEN_ENDED). */
static int open_ended(size_t i)
{
	return lt_probes[i].ret == PR_CB_RET && ((lt_probes[i].cookie >> 48) & 0xff) == LT_CB_IO && !io_returns();
}

void lt_attach_links_note_missing(struct lt_attach_links *s, pid_t pid, const struct lt_probe_sites *r,
				  int quiet)
{
	for (size_t i = 0; i < LT_N_PROBES; i++)
		if (!r->offset[i] && !left_out(s, &lt_probes[i]))
			note_missing(s, lt_probes[i].what, lt_probes[i].symbols[0], pid, quiet);
}

/* A program run at functions' returns.  Return probes go in before entry
 * probes: a function entered between the two would otherwise count an entry
 * whose return is never seen, and its thread's callback depth would stay
 * above zero for the whole session (no dispatch seen after it). */
static int is_return_program(enum lt_probe_prog id)
{
	for (size_t i = 0; i < LT_N_PROBES; i++)
		if (lt_probes[i].ret == id)
			return 1;
	return 0;
}

/* The links of one program: one per file holding offsets for it. */
static int attach_multi_program(struct lt_attach_links *s, pid_t pid, const struct lt_probe_sites *r, int quiet,
				enum lt_probe_prog id, const char *done)
{
	char seen[LT_N_PROBES] = {0};
	for (size_t first = 0; first < LT_N_PROBES; first++) {
		if (done[first] || seen[first] || (lt_probes[first].entry != id && lt_probes[first].ret != id) ||
		    (id == PR_CB_RET && open_ended(first)))
			continue;
		uint64_t offsets[LT_N_PROBES], cookies[LT_N_PROBES];
		uint32_t cnt = 0;
		for (size_t i = first; i < LT_N_PROBES; i++)
			if (!done[i] && !seen[i] && (lt_probes[i].entry == id || lt_probes[i].ret == id) &&
			    !(id == PR_CB_RET && open_ended(i)) && !strcmp(r->module[i], r->module[first])) {
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
		int fd = link_uprobe_multi(program(s->skel, id), r->module[first], offsets, cookies, cnt, retprobe, pid);
		if (fd < 0 && s->n_fds == 0)
			return -EOPNOTSUPP; /* not in this kernel: use perf-event uprobes */
		if (fd < 0) {
			warn(s, quiet, "looptrace: attach: cannot probe %s in process %d (%s): "
					"%u probes disabled\n", r->module[first], (int)pid, strerror(-fd), cnt);
			continue;
		}
		if (add_fd(s, fd) != 0) {
			close(fd);
			return -ENOMEM;
		}
		s->attached += cnt;
	}
	return 0;
}

static int attach_multi(struct lt_attach_links *s, pid_t pid, const struct lt_probe_sites *r, int quiet)
{
	char done[LT_N_PROBES] = {0};
	for (size_t i = 0; i < LT_N_PROBES; i++)
		done[i] = !wanted(s, r, i);
	for (int returns = 1; returns >= 0; returns--) /* returns first: is_return_program */
		for (enum lt_probe_prog id = PR_POLL; id <= PR_MAIN; id++) {
			if (is_return_program(id) != returns)
				continue;
			int rc = attach_multi_program(s, pid, r, quiet, id, done);
			if (rc != 0)
				return rc;
		}
	return 0;
}

static int attach_perf(struct lt_attach_links *s, pid_t pid, const struct lt_probe_sites *r, int quiet)
{
	for (int returns = 1; returns >= 0; returns--) /* returns first: is_return_program */
		for (size_t p = 0; p < LT_N_PROBES; p++) {
			enum lt_probe_prog id = returns ? (open_ended(p) ? PR_NONE : lt_probes[p].ret) : lt_probes[p].entry;
			if (!wanted(s, r, p) || id == PR_NONE)
				continue;
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = returns, .bpf_cookie = lt_probes[p].cookie);
			struct bpf_link *l = bpf_program__attach_uprobe_opts(program(s->skel, id), pid, r->module[p],
									     (size_t)r->offset[p], &uo);
			if (!l) {
				int e = errno;
				warn(s, quiet, "looptrace: attach: cannot probe %s in process %d (%s): "
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
	return 0;
}

/* The loop's wait: raw tracepoints on system call entry and exit. */
static int attach_tracepoints(struct lt_attach_links *s, int quiet)
{
	struct bpf_program *progs[] = {s->skel->progs.sys_enter, s->skel->progs.sys_exit};
	int ok = 0;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *l = bpf_program__attach(progs[i]);
		if (!l) {
			warn(s, quiet, "looptrace: attach: raw tracepoint %s unavailable (%s): loop "
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

/* JavaScript attribution: where the process writes a JIT map (node
 * --perf-basic-prof), sample its main thread's user stack at 199 Hz; the
 * BPF program keeps only samples of callbacks running 10 ms or more. */
static int attach_sampling(struct lt_attach_links *s, pid_t pid, int quiet)
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
		warn(s, quiet, "looptrace: attach: cannot sample process %d's stack (%s): blocking "
				"callbacks are not named\n", (int)pid, strerror(e));
		return 0;
	}
	if (add_link(s, l) != 0) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	return 1;
}

int lt_attach_links_load(struct lt_attach_links *s, const pid_t *pids, int n,
			 const struct lt_probe_sites *sites, int fallback, int multi, int quiet,
			 struct lt_attach_events *ev)
{
	s->err[0] = '\0';
	libbpf_set_print(silent_libbpf);
	s->skel = loop_bpf__open();
	if (!s->skel) {
		snprintf(s->err, sizeof(s->err), "attach: cannot open the eBPF probes: %s", strerror(errno));
		return -EIO;
	}
	s->skel->rodata->poll_fallback = fallback ? 1u : 0u;
	s->skel->rodata->io_returns = io_returns() ? 1u : 0u;
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
		snprintf(s->err, sizeof(s->err), "attach: the kernel refused the eBPF probes: %s", strerror(-err));
		return err;
	}
	for (int i = 0; i < n; i++) {
		__u32 tgid = (__u32)pids[i];
		__u8 one = 1;
		bpf_map_update_elem(bpf_map__fd(s->skel->maps.targets), &tgid, &one, BPF_ANY);
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_event, ev, NULL);
	if (!s->rb) {
		snprintf(s->err, sizeof(s->err), "attach: cannot map the ring buffer: %s", strerror(errno));
		return -EIO;
	}
	if (fallback && attach_tracepoints(s, quiet) < 0)
		return -ENOMEM; /* l->err stays empty: nothing said, as before */
	for (int i = 0; i < n; i++) {
		int rc = multi ? attach_multi(s, pids[i], &sites[i], quiet) : attach_perf(s, pids[i], &sites[i], quiet);
		if (rc == -EOPNOTSUPP)
			return -EAGAIN;
		if (rc == 0)
			rc = attach_sampling(s, pids[i], quiet) < 0 ? -ENOMEM : 0;
		if (rc != 0) {
			snprintf(s->err, sizeof(s->err), "attach: out of memory");
			return rc;
		}
	}
	return 0;
}

int lt_attach_links_drain(struct lt_attach_links *s)
{
	return ring_buffer__consume(s->rb);
}

int lt_attach_links_wait(struct lt_attach_links *s, int ms)
{
	/* poll only hands over the rings that woke it: consume the rest too */
	int woken = ring_buffer__poll(s->rb, ms);
	int rest = ring_buffer__consume(s->rb);
	return woken < 0 ? woken : rest < 0 ? rest : woken + rest;
}

int lt_attach_links_adopt(struct lt_attach_links *s, struct bpf_link *link)
{
	if (add_link(s, link) != 0)
		return -ENOMEM;
	s->attached++;
	return 0;
}

void lt_attach_links_detach(struct lt_attach_links *s)
{
	detach_all(s);
}

unsigned long long lt_attach_links_lost(const struct lt_attach_links *s)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long n_lost = 0;
	__u64 *per_cpu = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*per_cpu)) : NULL;
	__u32 zero = 0;
	if (per_cpu && bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.lost), &zero, per_cpu) == 0)
		for (int c = 0; c < ncpu; c++)
			n_lost += per_cpu[c];
	free(per_cpu);
	return n_lost;
}

void lt_attach_links_release(struct lt_attach_links *s)
{
	detach_all(s);
	ring_buffer__free(s->rb);
	s->rb = NULL;
	loop_bpf__destroy(s->skel);
	s->skel = NULL;
	s->attached = 0;
}

void lt_attach_links_free(struct lt_attach_links *s)
{
	lt_attach_links_release(s);
	free(s->links);
	s->links = NULL;
	free(s->fds);
	s->fds = NULL;
	free(s->warnings);
	s->warnings = NULL;
	s->warn_len = s->warn_cap = 0;
	s->cap_links = s->cap_fds = 0;
}

#endif
