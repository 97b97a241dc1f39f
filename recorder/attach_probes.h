/*
 * attach_probes.h — what `attach` probes in a node process, and where: the
 * catalog of functions (libuv internals, Node and V8 C++ symbols), the eBPF
 * program each one's entry and return go to, the cookie it passes, and the
 * resolution of every function to a file and offset in the process's binary
 * or the libuv / libnode it maps (recorder/elf_symbols.h).
 *
 * Ownership: the catalog is static; lt_probes_resolve fills a caller-owned
 * struct.
 */
#ifndef LOOPTRACE_ATTACH_PROBES_H
#define LOOPTRACE_ATTACH_PROBES_H

#include <limits.h>
#include <linux/types.h>
#include <stdint.h>
#include <sys/types.h>

#include "../probes/bpf/loop.h"

/* The eBPF programs of probes/bpf/loop.bpf.c a probe can go to. */
enum lt_probe_prog {
	PR_NONE, PR_POLL, PR_CHECK, PR_CB, PR_CB_RET, PR_MICRO, PR_MICRO_RET, PR_HINIT, PR_HCLOSE,
	PR_REJECT, PR_GC, PR_GC_RET, PR_WSUBMIT, PR_WSTART, PR_WEND, PR_WDONE, PR_MAIN,
};

struct lt_probe_spec {
	const char *what;          /* named in the warning when it is missing */
	const char *symbols[3];    /* alternatives, the first found wins */
	enum lt_probe_prog entry, ret;
	uint64_t cookie;
};

#define LT_N_PROBES 36
extern const struct lt_probe_spec *const lt_probes; /* LT_N_PROBES of them */

/* Where each probe of one process attaches: a file and an offset (0: the
 * function was not found). */
struct lt_probe_sites {
	char module[LT_N_PROBES][PATH_MAX];
	uint64_t offset[LT_N_PROBES];
	int found;
};

/* Resolve the catalog in process pid (its /proc/PID/exe and the libuv or
 * libnode it maps), or in `exe` when given (a binary about to be exec'd).
 * Returns 0, -ESRCH (nothing readable: no such process, or no access) or
 * -ENOEXEC (not a node process: no uv_run anywhere). */
int lt_probes_resolve(pid_t pid, const char *exe, struct lt_probe_sites *r);

#endif
