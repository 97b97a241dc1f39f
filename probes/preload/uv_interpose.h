/*
 * uv_interpose.h — what the libuv interposers (uv_hooks.c, uv_requests.c)
 * share: exporting an interposer, finding libuv's own function (RESOLVE:
 * once, into a static pointer; lt_uv_real), the caller's return address.
 * Macros only; no state.
 */
#ifndef LOOPTRACE_PRELOAD_UV_INTERPOSE_H
#define LOOPTRACE_PRELOAD_UV_INTERPOSE_H

#include "uv_trace.h"

#define LT_EXPORT __attribute__((visibility("default")))

#define RESOLVE(name)                                                                   \
	static __typeof__(name) *real_##name;                                           \
	if (!real_##name)                                                               \
		real_##name = (__typeof__(name) *)lt_uv_real(#name)

#define CALLER __builtin_return_address(0)

#endif
