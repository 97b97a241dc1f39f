/*
 * loop.h — what the eBPF loop probes (loop.bpf.c) hand to user space
 * (recorder/attach.c) through their ring buffer, and the probe numbering
 * both sides share.
 *
 * One fixed-size record per event.  Times are CLOCK_MONOTONIC ns
 * (bpf_ktime_get_ns).  Only threads of target processes (the `targets`
 * map, keyed by tgid) produce events.
 */
#ifndef LOOPTRACE_BPF_LOOP_H
#define LOOPTRACE_BPF_LOOP_H

enum lt_bpf_event_kind {
	LT_EV_POLL_BEGIN = 1,  /* uv__io_poll entered (or, in fallback mode, the main
	                          thread's epoll wait began): arg = poll timeout (ms) */
	LT_EV_POLL_END = 2,    /* fallback mode only: the epoll wait returned: arg =
	                          ready events or -errno.  Otherwise the wait ends
	                          where the next callback or the check phase begins */
	LT_EV_CB_BEGIN = 3,    /* a top-level callback began: aux = enum lt_bpf_cb,
	                          arg = for LT_CB_IO the libuv handle type (bit 8: a
	                          listening socket; bit 9, LT_CB_OPEN_ENDED: no
	                          LT_EV_CB_END follows), else -1 */
	LT_EV_CB_END = 4,      /* the callback returned: aux = enum lt_bpf_cb */
	LT_EV_MICRO_BEGIN = 5, /* a microtask drain began (any depth) */
	LT_EV_MICRO_END = 6,
	LT_EV_HANDLE_INIT = 7, /* uv_*_init: ptr = handle, arg = libuv handle type */
	LT_EV_HANDLE_CLOSE = 8,/* uv_close: ptr = handle, arg = type read from it */
	LT_EV_REJECT = 9,      /* Node's promise-reject callback: arg = v8 PromiseRejectEvent,
	                          ptr = the promise's heap address (0 when unreadable) */
	LT_EV_GC_BEGIN = 10,
	LT_EV_GC_END = 11,
	LT_EV_CHECK = 12,      /* uv__run_check entered: the check phase begins */
	LT_EV_WORK_SUBMIT = 14,/* uv__work_submit: ptr = the work item */
	LT_EV_WORK_START = 15, /* a threadpool thread starts it: ptr, aux = enum lt_bpf_work */
	LT_EV_WORK_END = 16,   /* ... and finishes (ptr 0: the item the thread started last) */
	LT_EV_WORK_DONE = 17,  /* its completion runs on the loop: ptr, aux = enum lt_bpf_work */
	LT_EV_MAIN = 18,       /* node::StartExecution: the thread's main script starts
	                          (seen only when attached before it: record --bpf) */
	LT_EV_STACK = 13,      /* a user stack sampled while a top-level callback had run
	                          for LT_SAMPLE_AFTER_NS: struct lt_bpf_stack_event,
	                          arg = frames */
};

/* In LT_EV_CB_BEGIN's arg: an I/O watcher callback probed at its entry only
 * (its return probe would be one more trap per request): it ends where the
 * loop is next seen doing something else (the next top-level callback, the
 * check phase, the next poll).  Nothing runs JavaScript in between. */
#define LT_CB_OPEN_ENDED 0x200

#define LT_STACK_FRAMES 32
#define LT_SAMPLES_PER_CALLBACK 4

/* Kinds of top-level callback (LT_EV_CB_*). */
enum lt_bpf_cb {
	LT_CB_CALLBACK = 1,  /* node::MakeCallback (public API) not inside another
	                        probed callback: Node's immediates in the check phase,
	                        an addon's callback elsewhere */
	LT_CB_TIMERS = 2,    /* node::Environment::RunTimers */
	LT_CB_CLOSE = 3,     /* node::HandleWrap::OnClose */
	LT_CB_IMMEDIATE = 4, /* a callback in the check phase */
	LT_CB_IO = 5,        /* a libuv I/O watcher callback (uv__stream_io, ...) */
};

/* Kinds of threadpool work (the work function's attach cookie). */
enum lt_bpf_work {
	LT_WORK_FS = 1,     /* uv__fs_work: fs.* */
	LT_WORK_QUEUE = 2,  /* uv__queue_work: uv_queue_work (crypto, zlib, addons) */
	LT_WORK_DNS = 3,    /* uv__getaddrinfo_work, uv__getnameinfo_work */
	LT_WORK_RANDOM = 4, /* uv__random_work */
};

/* Loop phase a thread is in, as far as the phase probes tell. */
enum lt_bpf_phase {
	LT_PH_NONE = 0,
	LT_PH_POLL = 1,  /* from uv__io_poll's entry */
	LT_PH_CHECK = 2, /* from uv__run_check's entry */
};

struct lt_bpf_event {
	__u64 ts;
	__u64 ptr;
	__u32 tgid;
	__u32 tid;
	__u16 kind;
	__u16 aux;
	__s32 arg;
};

struct lt_bpf_stack_event {
	struct lt_bpf_event hdr;
	__u64 ips[LT_STACK_FRAMES]; /* innermost first */
};

#endif
