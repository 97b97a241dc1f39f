/*
 * uv_loop_walk.h — the handles of a libuv loop in another process, read
 * from its memory (process_vm_readv), for `attach` to learn the callbacks of
 * handles made before the session (recorder/attach_uv_events.h).  Layouts
 * are libuv 1.x's public structs on 64-bit Linux: uv_loop_t.handle_queue
 * at 16, a handle's type at 16, its handle_queue at 32, flags at 88, and
 * its callbacks at 96 (timer, idle, prepare, check, async, signal, poll),
 * 112 (a stream's read_cb), 224 (its connection_cb), 120 (UDP recv_cb).
 *
 * Everything read is the traced program's: lists are bounded, pointers
 * checked as they are followed.  Errors: counts >= 0 or -errno.
 */
#ifndef LOOPTRACE_UV_LOOP_WALK_H
#define LOOPTRACE_UV_LOOP_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct lt_uv_walked {
	uint64_t handle;
	uint32_t type, flags;
	uint64_t cb[2]; /* its callbacks (0: none) */
};

/* The default loop of process pid, from the code of its uv_default_loop
 * at address `fn` (it loads the loop pointer from a rip-relative slot
 * first); 0 when the code is not of that shape or the loop is not made
 * yet. */
uint64_t lt_uv_default_loop(pid_t pid, uint64_t fn);

/* The loop of an initialised handle (uv_handle_t.loop, at 8); 0 when
 * unreadable. */
uint64_t lt_uv_handle_loop(pid_t pid, uint64_t handle);

/* The loop's handles that are active and not libuv's own (at most max).
 * Returns how many, or -errno (the loop is not readable as one). */
int lt_uv_loop_handles(pid_t pid, uint64_t loop, struct lt_uv_walked *out, size_t max);

/* The NUL-terminated string at `addr` in process pid (a USDT probe's type
 * literal that BPF could not read), at most cap - 1 bytes, into out.
 * Returns 0 or -errno (out is "" then). */
int lt_uv_remote_string(pid_t pid, uint64_t addr, char *out, size_t cap);

#endif
