/*
 * uvapi.h — what the eBPF probes of uvapi.bpf.c hand to user space
 * (recorder/attach_uv.c): programs on a shared libuv.so.1 that exports only
 * its API (no uv__* internals to probe), and the probe API's USDT probes
 * (probes/looptrace.h).  The events go through loop.bpf.c's ring buffer
 * (the map is shared), with kinds numbered after loop.h's.
 *
 * One struct lt_bpf_uv_event per API call or USDT probe; callback begin
 * and end are plain struct lt_bpf_event (loop.h).
 */
#ifndef LOOPTRACE_BPF_UVAPI_H
#define LOOPTRACE_BPF_UVAPI_H

#include "loop.h"

enum lt_bpf_uv_event_kind {
	LT_EV_UV_CALL = 32,     /* struct lt_bpf_uv_event: an exported uv_* function
	                           was entered; hdr.aux = enum lt_uv_api, hdr.ptr =
	                           the handle or request, hdr.arg = 1 when libuv
	                           called it itself */
	LT_EV_UV_CB_BEGIN = 33, /* a probed callback was entered from libuv: ptr = its
	                           first argument (handle or request), arg = the
	                           callback's index (the attach cookie) */
	LT_EV_UV_CB_END = 34,   /* ... and returned: arg = the callback's index */
	LT_EV_UV_WAIT_BEGIN = 35, /* a loop thread entered epoll_wait/epoll_pwait outside
	                             a callback: arg = the timeout (ms) */
	LT_EV_UV_WAIT_END = 36,   /* ... and returned: arg = ready events or -errno */
	LT_EV_UV_RUN_END = 37,    /* uv_run returned: arg = its result (0: ran dry),
	                             aux = its mode (0 UV_RUN_DEFAULT; 0xff: entered
	                             before the session) */
	LT_EV_USDT = 38,          /* struct lt_bpf_uv_event: a looptrace USDT probe
	                             fired: hdr.aux = enum looptrace_probe_kind,
	                             hdr.ptr = the id, text = the type or name,
	                             caller = the probe's address */
};

/* The exported functions probed (the API call's kind). */
enum lt_uv_api {
	LT_API_TIMER_START = 1, LT_API_TIMER_STOP, LT_API_IDLE_START, LT_API_PREPARE_START,
	LT_API_CHECK_START, LT_API_ASYNC_INIT, LT_API_SIGNAL_START, LT_API_POLL_START,
	LT_API_READ_START, LT_API_LISTEN, LT_API_UDP_RECV_START, LT_API_TCP_INIT, LT_API_PIPE_INIT,
	LT_API_UDP_INIT, LT_API_WRITE, LT_API_CONNECT, LT_API_SHUTDOWN, LT_API_UDP_SEND,
	LT_API_QUEUE_WORK, LT_API_FS, LT_API_GETADDRINFO, LT_API_CLOSE, LT_API_STOP, LT_API_REF,
	LT_API_UNREF, LT_API_RUN, LT_API_SPAWN, LT_API_COUNT
};

/* The attach cookie of an API probe: which argument (1-based; 7 = the
 * first on the stack) holds the handle or request and the callback, a
 * callback read from the handle at LT_UVC_CB_FIELD * 8 bytes instead, and
 * up to two more arguments to pass on (a timer's timeout and repeat). */
#define LT_UVC(api, obj, cb, field, x1, x2)                                            \
	((__u64)(api) | ((__u64)(obj) << 8) | ((__u64)(cb) << 12) | ((__u64)(field) << 16) | \
	 ((__u64)(x1) << 24) | ((__u64)(x2) << 28))
#define LT_UVC_API(c) ((unsigned)((c)&0xff))
#define LT_UVC_OBJ(c) ((unsigned)(((c) >> 8) & 0xf))
#define LT_UVC_CB(c) ((unsigned)(((c) >> 12) & 0xf))
#define LT_UVC_CB_FIELD(c) ((unsigned)(((c) >> 16) & 0xff))
#define LT_UVC_X1(c) ((unsigned)(((c) >> 24) & 0xf))
#define LT_UVC_X2(c) ((unsigned)(((c) >> 28) & 0xf))

#define LT_UV_TEXT 64

struct lt_bpf_uv_event {
	struct lt_bpf_event hdr;
	__u64 cb;      /* the callback registered (0: none) */
	__u64 caller;  /* the return address (the call site), or the USDT probe's address */
	__u64 x1, x2;  /* the extra arguments (LT_UVC_X1/X2); USDT: x1 the text's
	                  address when BPF could not read it (not resident) */
	__u32 htype;   /* the handle's uv_handle_type (handle calls), else 0 */
	__u32 hflags;  /* the handle's flags word */
	char text[LT_UV_TEXT]; /* USDT: the type or name (NUL-terminated) */
};

/* Where libuv's code is mapped in a target (key: tgid): a callback entered
 * with a return address in it was called by libuv. */
struct lt_uv_text {
	__u64 lo, hi;
};

#endif
