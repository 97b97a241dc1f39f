// SPDX-License-Identifier: GPL-2.0
/*
 * loop.bpf.c — eBPF probes on a running node process's event loop.
 *
 * Uprobes on libuv, Node and V8 functions that run once per loop iteration
 * or once per callback (a hit costs one to several microseconds: never per
 * promise; return probes only where needed), a CPU-clock perf event that samples the loop thread's user stack
 * during long callbacks, and (fallback only, when uv__io_poll cannot be
 * probed) raw syscall tracepoints for the loop's epoll wait.  Each probe
 * turns what it sees into one struct lt_bpf_event (loop.h) in the `events`
 * ring buffer, submitted without a wakeup; recorder/attach.c drains it and
 * recorder/attach_events.c turns the events into raw capture records.
 * Per-thread state (nesting depth, loop phase) lives in `threads`.  Only
 * processes in `targets` are looked at.
 *
 * Programs are loaded and attached by recorder/attach_links.c, one
 * multi-uprobe link per (program, file, process) (perf-event links, one per
 * function, on kernels without them); several functions share a program and
 * tell themselves apart by their attach cookie.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "loop.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load: 1 when uv__io_poll could not be probed,
 * so every epoll wait of a main thread counts as the loop's wait. */
const volatile __u32 poll_fallback = 0;
/* Set by user space before load: 1 when the I/O watcher callbacks'
 * uretprobes are attached too (LOOPTRACE_ATTACH_IO_RETURNS=1); 0: they are
 * probed at entry only and end at the loop's next step (LT_CB_OPEN_ENDED). */
const volatile __u32 io_returns = 0;
/* Sample a callback's stack only once it has run this long (ns). */
const volatile __u64 sample_after_ns = 10000000;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct tstate {
	__u32 depth;      /* nesting of callback probes */
	__u16 top_kind;   /* enum lt_bpf_cb of the open top-level callback */
	__u8 phase;       /* enum lt_bpf_phase */
	__u8 in_wait;     /* fallback mode: inside the main thread's epoll wait */
	__u8 samples;     /* stacks sampled in the open top-level callback */
	__u8 open_io;     /* an open-ended I/O callback began and the loop has
	                     not been seen elsewhere since (depth stays 0) */
	__u8 pad[2];
	__u64 top_begin;  /* when the open top-level callback began */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct tstate);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Events lost because the ring was full (per CPU; user space sums them). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		(*n)++;
}

static __always_inline int is_target(__u64 pid_tgid)
{
	__u32 tgid = (__u32)(pid_tgid >> 32);
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

static __always_inline struct tstate *state_of(__u64 pid_tgid)
{
	__u32 tid = (__u32)pid_tgid;
	struct tstate *st = bpf_map_lookup_elem(&threads, &tid);
	if (st)
		return st;
	struct tstate fresh = {0};
	bpf_map_update_elem(&threads, &tid, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&threads, &tid);
}

/* Every probe's prologue: `id` = the calling thread's pid_tgid; a thread of
 * a process not in `targets` returns at once. */
#define TARGET_ONLY(id)                                                        \
	__u64 id = bpf_get_current_pid_tgid();                                 \
	if (!is_target(id))                                                    \
		return 0

/* The thread's state when it has one (no new entry). */
static __always_inline struct tstate *state_if_any(__u64 pid_tgid)
{
	__u32 tid = (__u32)pid_tgid;
	return bpf_map_lookup_elem(&threads, &tid);
}

static __always_inline void fill(struct lt_bpf_event *e, __u64 ts, __u64 pid_tgid, __u16 kind, __u16 aux,
				 __s32 arg, __u64 ptr)
{
	e->ts = ts;
	e->ptr = ptr;
	e->tgid = (__u32)(pid_tgid >> 32);
	e->tid = (__u32)pid_tgid;
	e->kind = kind;
	e->aux = aux;
	e->arg = arg;
}

static __always_inline void emit(__u64 pid_tgid, __u16 kind, __u16 aux, __s32 arg, __u64 ptr)
{
	struct lt_bpf_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return;
	}
	fill(e, bpf_ktime_get_ns(), pid_tgid, kind, aux, arg, ptr);
	/* No wakeup per event: user space drains the ring on its own clock
	 * (a wakeup per event costs the traced thread more than the event). */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* The body of every probe that keeps no thread state: one event when the
 * calling process is a target.  Returns the program's 0. */
static __always_inline int mark(__u16 kind, __u16 aux, __s32 arg, __u64 ptr)
{
	TARGET_ONLY(id);
	emit(id, kind, aux, arg, ptr);
	return 0;
}

/* A probe with no arguments that only marks its function's entry or return
 * (MARK_UPROBE) as one event of `kind`. */
#define MARK_UPROBE(name, kind)                                                \
	SEC("uprobe")                                                          \
	int BPF_KPROBE(name)                                                   \
	{                                                                      \
		return mark(kind, 0, 0, 0);                                       \
	}
#define MARK_URETPROBE(name, kind)                                             \
	SEC("uretprobe")                                                       \
	int BPF_KRETPROBE(name)                                                \
	{                                                                      \
		return mark(kind, 0, 0, 0);                                       \
	}

/* --- loop iterations --- */

SEC("uprobe")
int BPF_KPROBE(io_poll_enter, void *loop, int timeout)
{
	TARGET_ONLY(id);
	struct tstate *st = state_of(id);
	if (!st)
		return 0;
	st->phase = LT_PH_POLL;
	st->open_io = 0;
	if (!poll_fallback)
		emit(id, LT_EV_POLL_BEGIN, 0, timeout, 0);
	(void)loop;
	return 0;
}

static __always_inline int wait_enter(long timeout)
{
	TARGET_ONLY(id);
	if ((__u32)id != (__u32)(id >> 32))
		return 0; /* fallback mode: the main thread's loop only */
	struct tstate *st = state_of(id);
	if (!st || st->depth)
		return 0;
	st->in_wait = 1;
	st->open_io = 0;
	st->phase = LT_PH_POLL;
	emit(id, LT_EV_POLL_BEGIN, 0, (__s32)timeout, 0);
	return 0;
}

static __always_inline int wait_exit(long ret)
{
	TARGET_ONLY(id);
	struct tstate *st = state_if_any(id);
	if (!st || !st->in_wait)
		return 0;
	st->in_wait = 0;
	emit(id, LT_EV_POLL_END, 0, (__s32)ret, 0);
	return 0;
}

/* Fallback mode (no uv__io_poll symbol): the loop's wait is the main
 * thread's epoll_wait/epoll_pwait system call, seen through BTF-enabled raw
 * tracepoints on every system call (they need no tracefs, unlike the
 * per-syscall tracepoints), filtered on the syscall number first.  Attached
 * only in fallback mode: they put every system call of the machine on the
 * slow path. */
#if defined(__TARGET_ARCH_x86)
#define NR_EPOLL_WAIT 232
#define NR_EPOLL_PWAIT 281
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define NR_EPOLL_WAIT -1 /* arm64 has only epoll_pwait */
#define NR_EPOLL_PWAIT 22
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#endif

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long nr)
{
	if (nr != NR_EPOLL_WAIT && nr != NR_EPOLL_PWAIT)
		return 0;
	return wait_enter((long)PT_REGS_PARM4_CORE_SYSCALL(regs));
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long nr = (long)SYSCALL_NR(regs);
	if (nr != NR_EPOLL_WAIT && nr != NR_EPOLL_PWAIT)
		return 0;
	return wait_exit(ret);
}

/* uv__run_check: the check phase (setImmediate callbacks) starts. */
SEC("uprobe")
int BPF_KPROBE(check_enter)
{
	TARGET_ONLY(id);
	struct tstate *st = state_of(id);
	if (st) {
		st->phase = LT_PH_CHECK;
		st->open_io = 0;
	}
	emit(id, LT_EV_CHECK, 0, 0, 0);
	return 0;
}

/* --- callbacks: one top-level dispatch per outermost probed call ---
 *
 * The attach cookie says what the function is: bits 48..55 enum lt_bpf_cb;
 * for LT_CB_IO (a libuv I/O watcher callback: uv__stream_io(loop, w, events)
 * and the like) bits 0..31 the offset of the uv__io_t in its handle (0: not
 * in a handle), bits 32..39 a fixed handle type (0: read it from the handle),
 * bit 40 a listening socket.
 *
 * Unless io_returns, the I/O watcher callbacks have no uretprobe: libuv calls
 * them only from the loop (uv__io_poll, pending callbacks), never inside
 * another callback, so one stays open (open_io) until the loop is seen
 * elsewhere, and a probed callback entered meanwhile runs inside it. */
SEC("uprobe")
int BPF_KPROBE(cb_enter, void *arg0, void *watcher)
{
	TARGET_ONLY(id);
	struct tstate *st = state_of(id);
	if (!st)
		return 0;
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u16 kind = (__u16)((cookie >> 48) & 0xff);
	int open_ended = kind == LT_CB_IO && !io_returns;
	if (open_ended) {
		if (st->depth != 0)
			return 0; /* no return probe to balance a depth count */
		st->open_io = 1;
	} else if (st->depth++ != 0 || st->open_io) {
		return 0;
	}
	__s32 type = -1;
	if (kind == LT_CB_IO) {
		__u32 offset = (__u32)cookie;
		type = (__s32)((cookie >> 32) & 0xff);
		if (!type && offset) {
			__u32 t = 0;
			if (bpf_probe_read_user(&t, sizeof(t), (char *)watcher - offset + 16) == 0)
				type = (__s32)t;
		}
		if (cookie & (1ull << 40))
			type |= 0x100;
		if (open_ended)
			type |= LT_CB_OPEN_ENDED;
	} else if (kind == LT_CB_CALLBACK && st->phase == LT_PH_CHECK) {
		kind = LT_CB_IMMEDIATE;
	}
	st->top_kind = kind;
	st->top_begin = bpf_ktime_get_ns();
	st->samples = 0;
	emit(id, LT_EV_CB_BEGIN, kind, type, 0);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(cb_exit)
{
	TARGET_ONLY(id);
	struct tstate *st = state_if_any(id);
	if (!st || st->depth == 0)
		return 0;
	if (--st->depth != 0 || st->open_io)
		return 0; /* still inside the open-ended I/O callback */
	emit(id, LT_EV_CB_END, st->top_kind, 0, 0);
	return 0;
}

/* node::StartExecution(env, main_script_id): bootstrap is done, the main
 * script (or a worker's) is about to run. */
MARK_UPROBE(main_enter, LT_EV_MAIN)

/* --- microtask drains (v8::internal::MicrotaskQueue::RunMicrotasks) --- */

MARK_UPROBE(micro_enter, LT_EV_MICRO_BEGIN)
MARK_URETPROBE(micro_exit, LT_EV_MICRO_END)

/* --- handles --- */

/* uv_*_init(loop, handle, ...): cookie = the uv_handle_type it initialises;
 * 0 for uv__stream_init(loop, stream, type), which is told the type. */
SEC("uprobe")
int BPF_KPROBE(handle_init, void *loop, void *handle, long type)
{
	__s32 t = (__s32)bpf_get_attach_cookie(ctx);
	(void)loop;
	return mark(LT_EV_HANDLE_INIT, 0, t ? t : (__s32)type, (__u64)handle);
}

/* uv_spawn(loop, process, options): the process handle is its second argument. */
SEC("uprobe")
int BPF_KPROBE(handle_close, void *handle)
{
	TARGET_ONLY(id);
	__u32 type = 0;
	bpf_probe_read_user(&type, sizeof(type), (char *)handle + 16);
	emit(id, LT_EV_HANDLE_CLOSE, 0, (__s32)type, (__u64)handle);
	return 0;
}

/* --- rejections: node::PromiseRejectCallback(v8::PromiseRejectMessage) ---
 * The message (24 bytes) is passed in memory: on entry the stack holds the
 * return address, then Local<Promise> (a slot holding the promise's tagged
 * address), then the PromiseRejectEvent. */
SEC("uprobe")
int BPF_KPROBE(promise_reject)
{
	TARGET_ONLY(id);
	__u64 sp = PT_REGS_SP(ctx);
	__u64 slot = 0, promise = 0;
	__s32 event = -1;
	bpf_probe_read_user(&slot, sizeof(slot), (void *)(sp + 8));
	bpf_probe_read_user(&event, sizeof(event), (void *)(sp + 16));
	if (slot)
		bpf_probe_read_user(&promise, sizeof(promise), (void *)slot);
	emit(id, LT_EV_REJECT, 0, event, promise);
	return 0;
}

/* --- threadpool: submit (loop thread), run (a pool thread), done (loop) ---
 * uv__work_submit(loop, w, kind, work, done), and uv_queue_work(loop, req,
 * ...) which inlines it: the work item is the second argument plus the
 * cookie (the offset of the struct uv__work in the request).  The work and
 * done functions take the struct uv__work first; their cookie is enum
 * lt_bpf_work. */
SEC("uprobe")
int BPF_KPROBE(work_submit, void *loop, void *w)
{
	(void)loop;
	return mark(LT_EV_WORK_SUBMIT, 0, 0, (__u64)w + bpf_get_attach_cookie(ctx));
}

SEC("uprobe")
int BPF_KPROBE(work_start, void *w)
{
	return mark(LT_EV_WORK_START, (__u16)bpf_get_attach_cookie(ctx), 0, (__u64)w);
}

MARK_URETPROBE(work_end, LT_EV_WORK_END)

SEC("uprobe")
int BPF_KPROBE(work_done, void *w)
{
	return mark(LT_EV_WORK_DONE, (__u16)bpf_get_attach_cookie(ctx), 0, (__u64)w);
}

/* --- GC: v8::internal::Heap::CollectGarbage --- */

MARK_UPROBE(gc_enter, LT_EV_GC_BEGIN)
MARK_URETPROBE(gc_exit, LT_EV_GC_END)

/* --- JavaScript attribution: user stacks of callbacks that run long ---
 * A CPU-clock perf event on the loop thread; the program keeps a sample only
 * when a top-level callback has been running for sample_after_ns, at most
 * LT_SAMPLES_PER_CALLBACK per callback.  User space names the frames from
 * the JIT's /tmp/perf-PID.map (node --perf-basic-prof). */
SEC("perf_event")
int sample_stack(struct bpf_perf_event_data *ctx)
{
	TARGET_ONLY(id);
	struct tstate *st = state_if_any(id);
	if (!st || (!st->depth && !st->open_io) || st->samples >= LT_SAMPLES_PER_CALLBACK)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	if (now - st->top_begin < sample_after_ns)
		return 0;
	struct lt_bpf_stack_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	long n = bpf_get_stack(ctx, e->ips, sizeof(e->ips), BPF_F_USER_STACK);
	if (n <= 0) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	st->samples++;
	fill(&e->hdr, now, id, LT_EV_STACK, 0, (__s32)(n / 8), 0);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}
