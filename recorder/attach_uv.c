/*
 * attach_uv.c — shared-libuv API probes, callback probes learnt at run
 * time, and the probe API's USDT probes (attach_uv.h).
 */
#ifdef LT_HAVE_BPF

#include "attach_uv.h"

#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../probes/bpf/uvapi.h"
#include "elf_symbols.h"
#include "loop.skel.h"
#include "uvapi.skel.h"

/* The exported functions probed, with their cookies (uvapi.h): the handle
 * or request's argument, the callback's (7: on the stack), extras. */
struct api_probe {
	const char *symbol;
	uint64_t cookie;
};

#define FS(name, cb) {name, LT_UVC(LT_API_FS, 2, cb, 0, 0, 0)}
static const struct api_probe api_probes[] = {
	{"uv_timer_start", LT_UVC(LT_API_TIMER_START, 1, 2, 0, 3, 4)},
	/* uv__run_timers calls it on each timer it runs: timer_cb is at 96 */
	{"uv_timer_stop", LT_UVC(LT_API_TIMER_STOP, 1, 0, 96 / 8, 0, 0)},
	{"uv_idle_start", LT_UVC(LT_API_IDLE_START, 1, 2, 0, 0, 0)},
	{"uv_prepare_start", LT_UVC(LT_API_PREPARE_START, 1, 2, 0, 0, 0)},
	{"uv_check_start", LT_UVC(LT_API_CHECK_START, 1, 2, 0, 0, 0)},
	{"uv_async_init", LT_UVC(LT_API_ASYNC_INIT, 2, 3, 0, 0, 0)},
	{"uv_signal_start", LT_UVC(LT_API_SIGNAL_START, 1, 2, 0, 0, 0)},
	{"uv_signal_start_oneshot", LT_UVC(LT_API_SIGNAL_START, 1, 2, 0, 0, 0)},
	{"uv_poll_start", LT_UVC(LT_API_POLL_START, 1, 3, 0, 0, 0)},
	{"uv_read_start", LT_UVC(LT_API_READ_START, 1, 3, 0, 0, 0)},
	{"uv_listen", LT_UVC(LT_API_LISTEN, 1, 3, 0, 0, 0)},
	{"uv_udp_recv_start", LT_UVC(LT_API_UDP_RECV_START, 1, 3, 0, 0, 0)},
	{"uv_tcp_init", LT_UVC(LT_API_TCP_INIT, 2, 0, 0, 0, 0)},
	{"uv_tcp_init_ex", LT_UVC(LT_API_TCP_INIT, 2, 0, 0, 0, 0)},
	{"uv_pipe_init", LT_UVC(LT_API_PIPE_INIT, 2, 0, 0, 0, 0)},
	{"uv_udp_init", LT_UVC(LT_API_UDP_INIT, 2, 0, 0, 0, 0)},
	{"uv_udp_init_ex", LT_UVC(LT_API_UDP_INIT, 2, 0, 0, 0, 0)},
	{"uv_write", LT_UVC(LT_API_WRITE, 1, 5, 0, 0, 0)},
	{"uv_write2", LT_UVC(LT_API_WRITE, 1, 6, 0, 0, 0)},
	{"uv_tcp_connect", LT_UVC(LT_API_CONNECT, 1, 4, 0, 0, 0)},
	{"uv_pipe_connect", LT_UVC(LT_API_CONNECT, 1, 4, 0, 0, 0)},
	{"uv_shutdown", LT_UVC(LT_API_SHUTDOWN, 1, 3, 0, 0, 0)},
	{"uv_udp_send", LT_UVC(LT_API_UDP_SEND, 1, 6, 0, 0, 0)},
	{"uv_queue_work", LT_UVC(LT_API_QUEUE_WORK, 2, 4, 0, 0, 0)},
	{"uv_getaddrinfo", LT_UVC(LT_API_GETADDRINFO, 2, 3, 0, 0, 0)},
	{"uv_getnameinfo", LT_UVC(LT_API_GETADDRINFO, 2, 3, 0, 0, 0)},
	{"uv_close", LT_UVC(LT_API_CLOSE, 1, 2, 0, 0, 0)},
	{"uv_ref", LT_UVC(LT_API_REF, 1, 0, 0, 0, 0)},
	{"uv_unref", LT_UVC(LT_API_UNREF, 1, 0, 0, 0, 0)},
	{"uv_run", LT_UVC(LT_API_RUN, 1, 0, 0, 0, 0)},
	/* uv_fs_*(loop, req, ..., cb): the callback's integer argument (a
	 * double, as utime's times, goes in a vector register) */
	FS("uv_fs_close", 4), FS("uv_fs_open", 6), FS("uv_fs_read", 7), FS("uv_fs_unlink", 4),
	FS("uv_fs_write", 7), FS("uv_fs_copyfile", 6), FS("uv_fs_mkdir", 5), FS("uv_fs_mkdtemp", 4),
	FS("uv_fs_mkstemp", 4), FS("uv_fs_rmdir", 4), FS("uv_fs_scandir", 5), FS("uv_fs_opendir", 4),
	FS("uv_fs_readdir", 4), FS("uv_fs_closedir", 4), FS("uv_fs_stat", 4), FS("uv_fs_fstat", 4),
	FS("uv_fs_rename", 5), FS("uv_fs_fsync", 4), FS("uv_fs_fdatasync", 4), FS("uv_fs_ftruncate", 5),
	FS("uv_fs_sendfile", 7), FS("uv_fs_access", 5), FS("uv_fs_chmod", 5), FS("uv_fs_utime", 4),
	FS("uv_fs_futime", 4), FS("uv_fs_lutime", 4), FS("uv_fs_lstat", 4), FS("uv_fs_link", 5),
	FS("uv_fs_symlink", 6), FS("uv_fs_readlink", 4), FS("uv_fs_realpath", 4), FS("uv_fs_fchmod", 5),
	FS("uv_fs_chown", 6), FS("uv_fs_fchown", 6), FS("uv_fs_lchown", 6), FS("uv_fs_statfs", 4),
};
#define N_API (sizeof(api_probes) / sizeof(api_probes[0]))

static const char *const usdt_names[] = {"task_enqueue", "handle_open", "handle_close", "begin", "end", "mark"};

/* Whether mods->m[i]'s file came earlier in the table (one file, several
 * executable mappings). */
static int seen_before(const struct lt_proc_modules *mods, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (!strcmp(mods->m[k].path, mods->m[i].path))
			return 1;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int lt_attach_uv_mode(pid_t pid, int have_internals, struct lt_attach_uv_target *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (lt_proc_modules_read(&t->mods, pid) != 0)
		return 0;
	for (size_t i = 0; i < t->mods.n; i++) {
		const struct lt_proc_module *m = &t->mods.m[i];
		if (!strncmp(base_name(m->path), "libuv.so", 8) && !t->libuv[0]) {
			snprintf(t->libuv, sizeof(t->libuv), "%s", m->path);
			t->lo = m->start;
			t->hi = m->end;
		}
		if (seen_before(&t->mods, i))
			continue;
		char path[PATH_MAX + 64];
		lt_proc_module_open_path(&t->mods, m, path, sizeof(path));
		if (lt_elf_has_usdt_provider(path, "looptrace") == 1)
			t->usdt_modules++;
	}
	t->api_mode = t->libuv[0] && !have_internals;
	return t->api_mode || t->usdt_modules;
}

static int adopt(struct lt_attach_uv_links *ul, struct bpf_link *l)
{
	if (!l)
		return -errno;
	if (lt_attach_links_adopt(ul->session, l) != 0) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	return 0;
}

static int uprobe(struct lt_attach_uv_links *ul, struct bpf_program *prog, pid_t pid, const char *path,
		  uint64_t offset, uint64_t cookie, int ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret != 0, .bpf_cookie = cookie);
	return adopt(ul, bpf_program__attach_uprobe_opts(prog, pid, path, (size_t)offset, &uo));
}

static void note(struct lt_attach_uv_links *ul, const char *fmt, const char *a, int pid)
{
	size_t used = strlen(ul->notes);
	if (used + 2 < sizeof(ul->notes))
		snprintf(ul->notes + used, sizeof(ul->notes) - used, fmt, a, pid);
}

static void attach_api(struct lt_attach_uv_links *ul, const struct lt_attach_uv_target *t)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)t->pid, t->libuv);
	const char *names[N_API];
	uint64_t offs[N_API];
	for (size_t i = 0; i < N_API; i++)
		names[i] = api_probes[i].symbol;
	int found = lt_elf_find_functions(path, names, N_API, offs);
	if (found <= 0) {
		char what[480];
		snprintf(what, sizeof(what), "%.400s (%s)", t->libuv, found ? strerror(-found) : "no symbols");
		note(ul, "attach: no uv_* functions found in %s (process %d)\n", what, (int)t->pid);
		return;
	}
	static const char *const default_loop[] = {"uv_default_loop"};
	uint64_t dl;
	const struct lt_proc_module *lm = NULL;
	for (size_t i = 0; i < t->mods.n && !lm; i++)
		if (!strcmp(t->mods.m[i].path, t->libuv))
			lm = &t->mods.m[i];
	if (lm && lt_elf_find_functions(path, default_loop, 1, &dl) == 1)
		for (size_t i = 0; i < t->mods.n; i++) {
			const struct lt_proc_module *m = &t->mods.m[i];
			if (!strcmp(m->path, t->libuv) && dl >= m->offset && dl - m->offset < m->end - m->start)
				ul->targets[ul->n_targets - 1].default_loop_fn = m->start + (dl - m->offset);
		}
	struct lt_uv_text text = {t->lo, t->hi};
	__u32 tgid = (__u32)t->pid;
	bpf_map_update_elem(bpf_map__fd(ul->skel->maps.uv_text), &tgid, &text, BPF_ANY);
	for (size_t i = 0; i < N_API; i++) {
		if (!offs[i])
			continue;
		if (uprobe(ul, ul->skel->progs.api_call, t->pid, path, offs[i], api_probes[i].cookie, 0) == 0)
			ul->api_probes++;
		if (LT_UVC_API(api_probes[i].cookie) == LT_API_RUN &&
		    uprobe(ul, ul->skel->progs.run_exit, t->pid, path, offs[i], 0, 1) == 0)
			ul->api_probes++;
	}
}

/* The loop's wait: libc's epoll_wait and epoll_pwait. */
static void attach_waits(struct lt_attach_uv_links *ul, const struct lt_attach_uv_target *t)
{
	for (size_t i = 0; i < t->mods.n; i++) {
		const struct lt_proc_module *m = &t->mods.m[i];
		if (strncmp(base_name(m->path), "libc.so", 7) && strncmp(base_name(m->path), "libc-", 5))
			continue;
		char path[PATH_MAX + 64];
		lt_proc_module_open_path(&t->mods, m, path, sizeof(path));
		static const char *const waits[] = {"epoll_wait", "epoll_pwait"};
		uint64_t offs[2];
		if (lt_elf_find_functions(path, waits, 2, offs) <= 0)
			continue;
		for (int k = 0; k < 2; k++)
			if (offs[k] && uprobe(ul, ul->skel->progs.wait_enter, t->pid, path, offs[k], 0, 0) == 0 &&
			    uprobe(ul, ul->skel->progs.wait_exit, t->pid, path, offs[k], 0, 1) == 0)
				ul->wait_probes += 2;
		/* a probe-API loop may wait in poll, ppoll, select or pselect */
		static const char *const others[] = {"poll", "ppoll", "select", "pselect"};
		uint64_t other_offs[4];
		if (t->usdt_modules > 0 && lt_elf_find_functions(path, others, 4, other_offs) > 0)
			for (int k = 0; k < 4; k++) {
				struct bpf_program *enter = k == 0 ? ul->skel->progs.poll_enter : ul->skel->progs.select_enter;
				if (other_offs[k] && uprobe(ul, enter, t->pid, path, other_offs[k], 0, 0) == 0 &&
				    uprobe(ul, ul->skel->progs.wait_exit, t->pid, path, other_offs[k], 0, 1) == 0)
					ul->wait_probes += 2;
			}
		return;
	}
	note(ul, "attach: no libc epoll_wait%s in process %d: loop waits are not recorded\n", "", (int)t->pid);
}

static void attach_usdt(struct lt_attach_uv_links *ul, const struct lt_attach_uv_target *t)
{
	for (size_t i = 0; i < t->mods.n; i++) {
		const struct lt_proc_module *m = &t->mods.m[i];
		if (seen_before(&t->mods, i))
			continue;
		char path[PATH_MAX + 64];
		lt_proc_module_open_path(&t->mods, m, path, sizeof(path));
		if (lt_elf_has_usdt_provider(path, "looptrace") != 1)
			continue;
		for (size_t k = 0; k < sizeof(usdt_names) / sizeof(usdt_names[0]); k++) {
			/* libbpf finds a library's base in /proc/PID/maps by its
			 * path: the path as the process names it */
			LIBBPF_OPTS(bpf_usdt_opts, uo, .usdt_cookie = k + 1);
			struct bpf_link *l = bpf_program__attach_usdt(ul->skel->progs.usdt_probe, t->pid, m->path,
								     "looptrace", usdt_names[k], &uo);
			if (l && adopt(ul, l) == 0)
				ul->usdt_probes++;
		}
	}
}

int lt_attach_uv_load(struct lt_attach_uv_links *ul, struct lt_attach_links *session,
		      const struct lt_attach_uv_target *targets, int n, int quiet)
{
	(void)quiet;
	ul->session = session;
	ul->notes[0] = '\0';
	ul->skel = uvapi_bpf__open();
	if (!ul->skel) {
		snprintf(ul->notes, sizeof(ul->notes), "attach: cannot open the libuv/USDT probes: %s\n", strerror(errno));
		return -EIO;
	}
	/* one ring, one target set, one loss counter with loop.bpf.c */
	int rc = bpf_map__reuse_fd(ul->skel->maps.events, bpf_map__fd(session->skel->maps.events));
	if (!rc)
		rc = bpf_map__reuse_fd(ul->skel->maps.targets, bpf_map__fd(session->skel->maps.targets));
	if (!rc)
		rc = bpf_map__reuse_fd(ul->skel->maps.lost, bpf_map__fd(session->skel->maps.lost));
	if (!rc)
		rc = uvapi_bpf__load(ul->skel);
	if (rc) {
		snprintf(ul->notes, sizeof(ul->notes), "attach: the kernel refused the libuv/USDT probes: %s\n",
			 strerror(-rc));
		return rc;
	}
	for (int i = 0; i < n && i < 16; i++) {
		const struct lt_attach_uv_target *t = &targets[i];
		ul->targets[ul->n_targets] = *t;
		/* the module table is re-read here: the caller keeps its own */
		memset(&ul->targets[ul->n_targets].mods, 0, sizeof(t->mods));
		lt_proc_modules_read(&ul->targets[ul->n_targets].mods, t->pid);
		ul->n_targets++;
		if (t->api_mode)
			attach_api(ul, t);
		if (t->api_mode || t->usdt_modules)
			attach_waits(ul, t);
		if (t->usdt_modules)
			attach_usdt(ul, t);
	}
	return 0;
}

int lt_attach_uv_learn(void *ctx, pid_t pid, uint64_t addr, uint32_t index)
{
	struct lt_attach_uv_links *ul = ctx;
	struct lt_attach_uv_target *t = NULL;
	for (int i = 0; i < ul->n_targets; i++)
		if (ul->targets[i].pid == pid)
			t = &ul->targets[i];
	struct lt_proc_module *m = t ? lt_proc_modules_find(&t->mods, addr) : NULL;
	if (!m) {
		ul->callback_failures++;
		return -ENOENT;
	}
	char path[PATH_MAX + 64];
	lt_proc_module_open_path(&t->mods, m, path, sizeof(path));
	uint64_t off = lt_proc_module_file_offset(m, addr);
	/* the return probe first: an entry seen without it would stay open */
	int rc = uprobe(ul, ul->skel->progs.cb_exit, pid, path, off, index, 1);
	if (rc == 0)
		rc = uprobe(ul, ul->skel->progs.cb_enter, pid, path, off, index, 0);
	if (rc != 0) {
		ul->callback_failures++;
		return rc;
	}
	ul->callback_probes++;
	__u8 one = 1;
	__u64 key = addr;
	bpf_map_update_elem(bpf_map__fd(ul->skel->maps.known_cb), &key, &one, BPF_ANY);
	return 0;
}

void lt_attach_uv_links_free(struct lt_attach_uv_links *ul)
{
	for (int i = 0; i < ul->n_targets; i++)
		lt_proc_modules_free(&ul->targets[i].mods);
	ul->n_targets = 0;
	uvapi_bpf__destroy(ul->skel);
	ul->skel = NULL;
}

#endif
