/*
 * uv_loop_walk.c — a libuv loop's handles, read from another process
 * (uv_loop_walk.h).
 */
#include "uv_loop_walk.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#define HANDLE_ACTIVE 0x4u
#define HANDLE_CLOSING 0x3u  /* closing or closed */
#define HANDLE_INTERNAL 0x10u
#define MAX_HANDLES 100000

static int peek(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

int lt_uv_remote_string(pid_t pid, uint64_t addr, char *out, size_t cap)
{
	if (!cap)
		return -EINVAL;
	memset(out, 0, cap);
	if (!addr)
		return -EINVAL;
	/* Up to the page's end first: the next page may not be mapped (the
	 * string then ends at the boundary).  The read faults the page in, so
	 * BPF reads the same literal itself next time. */
	size_t first = 4096u - (size_t)(addr & 4095u);
	size_t want = cap - 1 < first ? cap - 1 : first;
	int r = peek(pid, addr, out, want);
	if (r != 0) {
		out[0] = '\0';
		return r;
	}
	if (want < cap - 1 && !memchr(out, '\0', want) && peek(pid, addr + want, out + want, cap - 1 - want) != 0)
		memset(out + want, 0, cap - want);
	out[cap - 1] = '\0';
	return 0;
}

uint64_t lt_uv_default_loop(pid_t pid, uint64_t fn)
{
	unsigned char code[32];
	if (!fn || peek(pid, fn, code, sizeof(code)) != 0)
		return 0;
	/* the first `mov disp32(%rip), %reg` (REX.W 8b, ModRM mod 00 r/m 101) */
	for (size_t i = 0; i + 7 <= sizeof(code); i++) {
		if ((code[i] & 0xf8) != 0x48 || code[i + 1] != 0x8b || (code[i + 2] & 0xc7) != 0x05)
			continue;
		int32_t disp;
		memcpy(&disp, code + i + 3, sizeof(disp));
		uint64_t slot = fn + i + 7 + (uint64_t)(int64_t)disp, loop = 0;
		if (peek(pid, slot, &loop, sizeof(loop)) != 0)
			return 0;
		return loop;
	}
	return 0;
}

uint64_t lt_uv_handle_loop(pid_t pid, uint64_t handle)
{
	uint64_t loop = 0;
	return handle && peek(pid, handle + 8, &loop, sizeof(loop)) == 0 ? loop : 0;
}

int lt_uv_loop_handles(pid_t pid, uint64_t loop, struct lt_uv_walked *out, size_t max)
{
	uint64_t head = loop + 16, q[2];
	int rc = peek(pid, head, q, sizeof(q));
	if (rc != 0)
		return rc;
	size_t n = 0;
	uint64_t node = q[0];
	for (int steps = 0; node != head && steps < MAX_HANDLES; steps++) {
		unsigned char h[232];
		uint64_t handle = node - 32, next, prev;
		if (peek(pid, node, &next, sizeof(next)) != 0 || peek(pid, node + 8, &prev, sizeof(prev)) != 0)
			return n ? (int)n : -EIO;
		if (peek(pid, handle, h, sizeof(h)) != 0)
			return n ? (int)n : -EIO;
		uint32_t type, flags;
		memcpy(&type, h + 16, 4);
		memcpy(&flags, h + 88, 4);
		if (n < max && type > 0 && type <= 16 && (flags & HANDLE_ACTIVE) &&
		    !(flags & (HANDLE_CLOSING | HANDLE_INTERNAL))) {
			struct lt_uv_walked *w = &out[n];
			memset(w, 0, sizeof(*w));
			w->handle = handle;
			w->type = type;
			w->flags = flags;
			switch (type) {
			case 1: case 2: case 6: case 8: case 9: case 13: case 16: /* async check idle poll prepare timer signal */
				memcpy(&w->cb[0], h + 96, 8);
				break;
			case 7: case 12: case 14: /* pipe, tcp, tty: read_cb, connection_cb */
				memcpy(&w->cb[0], h + 112, 8);
				memcpy(&w->cb[1], h + 224, 8);
				break;
			case 15: /* udp: recv_cb */
				memcpy(&w->cb[0], h + 120, 8);
				break;
			default:
				break;
			}
			n++;
		}
		node = next;
	}
	return (int)n;
}
