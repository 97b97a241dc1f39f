// SPDX-License-Identifier: GPL-2.0
/*
 * uvapi.bpf.c — eBPF probes for programs on a shared libuv.so.1 that
 * exports only its API, and for the probe API's USDT probes
 * (probes/looptrace.h).  Loaded beside loop.bpf.c by recorder/attach_uv.c,
 * sharing its `targets`, `events` and `lost` maps (user space hands the
 * maps over before load), so one ring holds every event in order.
 *
 *   api_call     entry of an exported uv_* function: the handle or request,
 *                the callback it registers, the call site (the return
 *                address on the stack: no frame pointers needed), a few
 *                arguments; user space attaches cb_enter/cb_exit on each
 *                new callback address it learns this way
 *   cb_enter     a callback's entry; counted only when libuv called it (the
 *                return address lies in libuv's code, `uv_text`) and no
 *                other callback is open deeper in the thread's stack
 *   cb_exit      its return (matched by the stack pointer)
 *   wait_enter   libc's epoll_wait/epoll_pwait on a loop thread, outside
 *   wait_exit    callbacks: the loop's wait
 *   run_exit     uv_run's return (0: the loop ran dry)
 *   usdt_probe   provider "looptrace": cookie = enum looptrace_probe_kind
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "loop.h"
#include "uvapi.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct lt_uv_text);
} uv_text SEC(".maps");

/* Callback addresses already probed (user space adds them): registering
 * one of them again needs no wakeup. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} known_cb SEC(".maps");

struct uthread {
	__u64 open_sp; /* the open callback's stack pointer at entry (0: none) */
	__u32 open_cb; /* its index */
	__u8 loop;     /* a loop thread: uv_run or a libuv callback ran on it */
	__u8 in_wait;
	__u8 run_mode; /* the uv_run_mode of the last uv_run entered */
	__u8 probe_loop; /* a USDT begin ran on it: its poll/select waits are its loop's */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct uthread);
} uthreads SEC(".maps");

static __always_inline int is_target(__u64 id)
{
	__u32 tgid = (__u32)(id >> 32);
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

static __always_inline struct uthread *uthread_of(__u64 id, int create)
{
	__u32 tid = (__u32)id;
	struct uthread *t = bpf_map_lookup_elem(&uthreads, &tid);
	if (t || !create)
		return t;
	struct uthread fresh = {0};
	bpf_map_update_elem(&uthreads, &tid, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&uthreads, &tid);
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		(*n)++;
}

static __always_inline void fill(struct lt_bpf_event *e, __u64 id, __u16 kind, __u16 aux, __s32 arg, __u64 ptr)
{
	e->ts = bpf_ktime_get_ns();
	e->ptr = ptr;
	e->tgid = (__u32)(id >> 32);
	e->tid = (__u32)id;
	e->kind = kind;
	e->aux = aux;
	e->arg = arg;
}

static __always_inline void emit(__u64 id, __u16 kind, __u16 aux, __s32 arg, __u64 ptr)
{
	struct lt_bpf_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return;
	}
	fill(e, id, kind, aux, arg, ptr);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* Argument n (1-based) of a function just entered; 7: the first passed on
 * the stack (above the return address). */
static __always_inline __u64 arg_n(struct pt_regs *ctx, unsigned n)
{
	__u64 v = 0;
	switch (n) {
	case 1: return PT_REGS_PARM1(ctx);
	case 2: return PT_REGS_PARM2(ctx);
	case 3: return PT_REGS_PARM3(ctx);
	case 4: return PT_REGS_PARM4(ctx);
	case 5: return PT_REGS_PARM5(ctx);
#if defined(__TARGET_ARCH_x86)
	case 6: return ctx->r9;
	case 7: bpf_probe_read_user(&v, sizeof(v), (void *)(PT_REGS_SP(ctx) + 8)); return v;
#endif
	default: return 0;
	}
}

/* The return address of a function just entered. */
static __always_inline __u64 return_address(struct pt_regs *ctx)
{
	__u64 ra = 0;
#if defined(__TARGET_ARCH_x86)
	bpf_probe_read_user(&ra, sizeof(ra), (void *)PT_REGS_SP(ctx));
#elif defined(__TARGET_ARCH_arm64)
	ra = ctx->regs[30];
#endif
	return ra;
}

static __always_inline int in_libuv(__u64 id, __u64 addr)
{
	__u32 tgid = (__u32)(id >> 32);
	struct lt_uv_text *t = bpf_map_lookup_elem(&uv_text, &tgid);
	return t && addr >= t->lo && addr < t->hi;
}

SEC("uprobe")
int BPF_KPROBE(api_call)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id))
		return 0;
	__u64 c = bpf_get_attach_cookie(ctx);
	unsigned api = LT_UVC_API(c);
	if (api == LT_API_RUN) {
		struct uthread *t = uthread_of(id, 1);
		if (t) {
			t->loop = 1;
			t->run_mode = (__u8)PT_REGS_PARM2(ctx);
		}
	}
	struct lt_bpf_uv_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__u64 obj = arg_n(ctx, LT_UVC_OBJ(c));
	__u64 caller = return_address(ctx);
	fill(&e->hdr, id, LT_EV_UV_CALL, (__u16)api, in_libuv(id, caller), obj);
	e->caller = caller;
	e->cb = 0;
	if (LT_UVC_CB(c))
		e->cb = arg_n(ctx, LT_UVC_CB(c));
	else if (LT_UVC_CB_FIELD(c) && obj)
		bpf_probe_read_user(&e->cb, sizeof(e->cb), (void *)(obj + LT_UVC_CB_FIELD(c) * 8));
	e->x1 = LT_UVC_X1(c) ? arg_n(ctx, LT_UVC_X1(c)) : 0;
	e->x2 = LT_UVC_X2(c) ? arg_n(ctx, LT_UVC_X2(c)) : 0;
	e->htype = 0;
	e->hflags = 0;
	if (obj) { /* uv_handle_t: type at 16, flags at 88 (libuv 1.x, LP64) */
		bpf_probe_read_user(&e->htype, sizeof(e->htype), (void *)(obj + 16));
		bpf_probe_read_user(&e->hflags, sizeof(e->hflags), (void *)(obj + 88));
	}
	e->text[0] = '\0';
	/* a new callback: wake user space, which attaches its probes */
	__u64 cb = e->cb;
	int fresh = cb && !bpf_map_lookup_elem(&known_cb, &cb);
	bpf_ringbuf_submit(e, fresh ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(cb_enter, void *arg0)
{
	/* read before any branch: the verifier refuses a ctx pointer the
	 * compiler offset once for two paths */
	__u64 sp = PT_REGS_SP(ctx);
	barrier_var(sp);
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id) || !in_libuv(id, return_address(ctx)))
		return 0;
	struct uthread *t = uthread_of(id, 1);
	/* one open already, deeper in the stack: a nested callback.  One at
	 * the same depth or above is over (its return was not seen). */
	if (!t || (t->open_sp && sp < t->open_sp))
		return 0;
	t->open_sp = sp;
	t->open_cb = (__u32)bpf_get_attach_cookie(ctx);
	t->loop = 1;
	emit(id, LT_EV_UV_CB_BEGIN, 0, (__s32)t->open_cb, (__u64)arg0);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(cb_exit)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id))
		return 0;
	struct uthread *t = uthread_of(id, 0);
	if (!t || !t->open_sp)
		return 0;
	/* the return of the call that opened it: the stack is back above its
	 * return address */
	__u64 sp = PT_REGS_SP(ctx);
	if (sp <= t->open_sp || sp > t->open_sp + 16)
		return 0;
	t->open_sp = 0;
	emit(id, LT_EV_UV_CB_END, 0, (__s32)t->open_cb, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(wait_enter, int epfd, void *evs, int maxevents, int timeout)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id))
		return 0;
	struct uthread *t = uthread_of(id, 0);
	if (!t || !t->loop || t->open_sp)
		return 0;
	t->in_wait = 1;
	emit(id, LT_EV_UV_WAIT_BEGIN, 0, timeout, 0);
	return 0;
}

/* poll, ppoll, select, pselect: a hand-written loop's wait, on a thread that
 * told its tasks through the probe API (as the preload library records them).
 * The timeout is poll's third argument; the others' is a pointer (-1). */
static __always_inline int other_wait_enter(int timeout)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id))
		return 0;
	struct uthread *t = uthread_of(id, 0);
	if (!t || !t->probe_loop || t->open_sp)
		return 0;
	t->in_wait = 1;
	emit(id, LT_EV_UV_WAIT_BEGIN, 0, timeout, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(poll_enter, void *fds, unsigned long nfds, int timeout)
{
	return other_wait_enter(timeout);
}

SEC("uprobe")
int BPF_KPROBE(select_enter)
{
	return other_wait_enter(-1);
}

SEC("uretprobe")
int BPF_KRETPROBE(wait_exit, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id))
		return 0;
	struct uthread *t = uthread_of(id, 0);
	if (!t || !t->in_wait)
		return 0;
	t->in_wait = 0;
	emit(id, LT_EV_UV_WAIT_END, 0, (__s32)ret, 0);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(run_exit, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id))
		return 0;
	struct uthread *t = uthread_of(id, 0);
	emit(id, LT_EV_UV_RUN_END, t ? t->run_mode : 0xff, (__s32)ret, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(usdt_probe, __u64 obj, const char *text)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_target(id))
		return 0;
	struct lt_bpf_uv_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	unsigned kind = (unsigned)bpf_usdt_cookie(ctx);
	fill(&e->hdr, id, LT_EV_USDT, (__u16)kind, 0, obj);
	e->cb = e->x1 = e->x2 = 0;
	e->htype = e->hflags = 0;
	e->caller = PT_REGS_IP(ctx);
	e->text[0] = '\0';
	/* A literal on a page the program never touched is not resident: the
	 * read fails here (no faulting in a uprobe) and user space reads it. */
	if (text && bpf_probe_read_user_str(e->text, sizeof(e->text), text) <= 0)
		e->x1 = (__u64)(unsigned long)text;
	if (kind == 4 /* LOOPTRACE_PROBE_BEGIN */) {
		struct uthread *t = uthread_of(id, 1);
		if (t) {
			t->loop = 1;
			t->probe_loop = 1;
		}
	}
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}
