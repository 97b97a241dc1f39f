/*
 * attach_probes.c — the probe catalog and its resolution in a process.
 */
#include "attach_probes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "elf_symbols.h"

#define CB(kind) ((uint64_t)(kind) << 48)
#define IO(offset, fixed_type, server) \
	(CB(LT_CB_IO) | (uint64_t)(offset) | ((uint64_t)(fixed_type) << 32) | ((uint64_t)(server) << 40))

/* Offsets of the uv__io_t in libuv 1.x handles (LP64; libuv keeps these
 * public struct layouts stable across 1.x): uv_stream_t, uv_tcp_t and
 * uv_pipe_t 136, uv_udp_t 128, uv_poll_t 104.  Fixed types: 1 async,
 * 3 fs_event, 16 signal. */
static const struct lt_probe_spec catalog[] = {
	{"loop waits and poll timeouts", {"uv__io_poll"}, PR_POLL, PR_NONE, 0},
	{"check phase", {"uv__run_check"}, PR_CHECK, PR_NONE, 0},
	{"stream callbacks", {"uv__stream_io"}, PR_CB, PR_CB_RET, IO(136, 0, 0)},
	{"connections accepted", {"uv__server_io"}, PR_CB, PR_CB_RET, IO(136, 0, 1)},
	{"UDP callbacks", {"uv__udp_io"}, PR_CB, PR_CB_RET, IO(128, 0, 0)},
	{"threadpool and MessagePort completions", {"uv__async_io"}, PR_CB, PR_CB_RET, IO(0, 1, 0)},
	{"signal callbacks", {"uv__signal_event"}, PR_CB, PR_CB_RET, IO(0, 16, 0)},
	{"fs.watch callbacks", {"uv__inotify_read"}, PR_CB, PR_CB_RET, IO(0, 3, 0)},
	{"poll handle callbacks", {"uv__poll_io"}, PR_CB, PR_CB_RET, IO(104, 0, 0)},
	{"timer callbacks", {"_ZN4node11Environment9RunTimersEP10uv_timer_s"}, PR_CB, PR_CB_RET, CB(LT_CB_TIMERS)},
	{"immediates", {"_ZN4node12MakeCallbackEPN2v87IsolateENS0_5LocalINS0_6ObjectEEENS3_INS0_8FunctionEEEiPNS3_INS0_5ValueEEENS_13async_contextE"},
	 PR_CB, PR_CB_RET, CB(LT_CB_CALLBACK)},
	{"close callbacks", {"_ZN4node10HandleWrap7OnCloseEP11uv_handle_s"}, PR_CB, PR_CB_RET, CB(LT_CB_CLOSE)},
	/* Only drains with work: MicrotaskQueue::RunMicrotasks returns at once
	 * when the queue is empty, which it is after most callbacks. */
	{"microtask drains", {"_ZN2v88internal9Execution16TryRunMicrotasksEPNS0_7IsolateEPNS0_14MicrotaskQueueE",
			      "_ZN2v88internal14MicrotaskQueue13RunMicrotasksEPNS0_7IsolateE"}, PR_MICRO, PR_MICRO_RET, 0},
	/* uv__stream_init(loop, stream, type): every TCP, pipe and TTY handle
	 * (uv_tcp_init inlines it); cookie 0 = the type is the third argument. */
	{"stream handle opens", {"uv__stream_init"}, PR_HINIT, PR_NONE, 0},
	{"UDP handle opens", {"uv__udp_init_ex", "uv_udp_init_ex"}, PR_HINIT, PR_NONE, 15},
	{"timer handle opens", {"uv_timer_init"}, PR_HINIT, PR_NONE, 13},
	{"signal handle opens", {"uv_signal_init"}, PR_HINIT, PR_NONE, 16},
	{"fs.watch handle opens", {"uv_fs_event_init"}, PR_HINIT, PR_NONE, 3},
	{"fs.watchFile handle opens", {"uv_fs_poll_init"}, PR_HINIT, PR_NONE, 4},
	{"child process handles", {"uv_spawn"}, PR_HINIT, PR_NONE, 10},
	{"handle closes", {"uv_close"}, PR_HCLOSE, PR_NONE, 0},
	{"unhandled rejections", {"_ZN4node21PromiseRejectCallbackEN2v820PromiseRejectMessageE"}, PR_REJECT, PR_NONE, 0},
	{"threadpool submissions", {"uv__work_submit"}, PR_WSUBMIT, PR_NONE, 0},
	/* uv_work_t.work_req is at 88 in libuv 1.x (LP64) */
	{"threadpool submissions of queued work", {"uv_queue_work"}, PR_WSUBMIT, PR_NONE, 88},
	{"threadpool fs work", {"uv__fs_work"}, PR_WSTART, PR_WEND, LT_WORK_FS},
	{"threadpool fs completions", {"uv__fs_done"}, PR_WDONE, PR_NONE, LT_WORK_FS},
	{"threadpool queued work", {"uv__queue_work"}, PR_WSTART, PR_WEND, LT_WORK_QUEUE},
	{"threadpool queued work completions", {"uv__queue_done"}, PR_WDONE, PR_NONE, LT_WORK_QUEUE},
	{"threadpool DNS lookups", {"uv__getaddrinfo_work"}, PR_WSTART, PR_WEND, LT_WORK_DNS},
	{"threadpool DNS completions", {"uv__getaddrinfo_done"}, PR_WDONE, PR_NONE, LT_WORK_DNS},
	{"threadpool reverse DNS lookups", {"uv__getnameinfo_work"}, PR_WSTART, PR_WEND, LT_WORK_DNS},
	{"threadpool reverse DNS completions", {"uv__getnameinfo_done"}, PR_WDONE, PR_NONE, LT_WORK_DNS},
	{"threadpool random bytes", {"uv__random_work"}, PR_WSTART, PR_WEND, LT_WORK_RANDOM},
	{"threadpool random completions", {"uv__random_done"}, PR_WDONE, PR_NONE, LT_WORK_RANDOM},
	{"main script start", {"_ZN4node14StartExecutionEPNS_11EnvironmentESt8functionIFN2v810MaybeLocalINS3_5ValueEEERKNS_26StartExecutionCallbackInfoEEE",
			       "_ZN4nodeL14StartExecutionEPNS_11EnvironmentEPKc"}, PR_MAIN, PR_NONE, 0},
	{"GC pauses", {"_ZN2v88internal4Heap14CollectGarbageENS0_15AllocationSpaceENS0_23GarbageCollectionReasonENS_15GCCallbackFlagsE"},
	 PR_GC, PR_GC_RET, 0},
};


_Static_assert(sizeof(catalog) / sizeof(catalog[0]) == LT_N_PROBES, "LT_N_PROBES counts the catalog");
const struct lt_probe_spec *const lt_probes = catalog;

/* The process's binary and the libraries that may hold libuv, Node or V8
 * (a distribution's node links libuv and libnode as shared libraries). */
static int modules_of(pid_t pid, char mods[][PATH_MAX], int max)
{
	int n = 0;
	snprintf(mods[n++], PATH_MAX, "/proc/%d/exe", (int)pid);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	char line[PATH_MAX + 128];
	while (f && fgets(line, sizeof(line), f) && n < max) {
		char *file = strchr(line, '/');
		if (!file || (!strstr(line, " r-xp ") && !strstr(line, " r-xs ")))
			continue;
		file[strcspn(file, "\n")] = '\0';
		const char *base = strrchr(file, '/') + 1;
		if (strncmp(base, "libuv.so", 8) && strncmp(base, "libnode.so", 10))
			continue;
		int dup = 0;
		for (int i = 1; i < n; i++)
			if (!strcmp(mods[i] + strlen(mods[i]) - strlen(file), file))
				dup = 1;
		if (!dup)
			snprintf(mods[n++], PATH_MAX, "/proc/%d/root%s", (int)pid, file);
	}
	if (f)
		fclose(f);
	return n;
}

int lt_probes_resolve(pid_t pid, const char *exe, struct lt_probe_sites *r)
{
	char mods[4][PATH_MAX];
	int n_mods = 1;
	if (exe)
		snprintf(mods[0], PATH_MAX, "%s", exe);
	else
		n_mods = modules_of(pid, mods, 4);
	memset(r, 0, sizeof(*r));
	const char *names[LT_N_PROBES * 3];
	size_t where[LT_N_PROBES * 3], n_names = 0;
	for (size_t p = 0; p < LT_N_PROBES; p++)
		for (int k = 0; k < 3 && lt_probes[p].symbols[k]; k++) {
			names[n_names] = lt_probes[p].symbols[k];
			where[n_names++] = p;
		}
	static const char *const uv_run[] = {"uv_run"};
	int node_like = 0, readable = 0;
	for (int m = 0; m < n_mods; m++) {
		uint64_t offs[LT_N_PROBES * 3], run_off;
		if (lt_elf_find_functions(mods[m], uv_run, 1, &run_off) < 0)
			continue;
		readable = 1;
		node_like |= run_off != 0;
		if (lt_elf_find_functions(mods[m], names, n_names, offs) <= 0)
			continue;
		for (size_t i = 0; i < n_names; i++) {
			size_t p = where[i];
			if (offs[i] && !r->offset[p]) {
				r->offset[p] = offs[i];
				size_t len = strnlen(mods[m], PATH_MAX - 1);
				memcpy(r->module[p], mods[m], len);
				r->module[p][len] = '\0';
				r->found++;
			}
		}
	}
	if (!readable)
		return -ESRCH;
	return node_like ? 0 : -ENOEXEC;
}
