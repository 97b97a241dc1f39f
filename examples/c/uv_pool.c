/*
 * uv_pool.c — libuv requests beyond timers and sockets, each in a known
 * number: a chain of 24 fs calls in a fresh directory (each started from
 * the previous one's callback), a directory watch that sees one file
 * appear, a stat watcher of a missing file (called once, with ENOENT), a lookup of localhost, random bytes, /bin/true spawned, three
 * uv_queue_work items of 20 ms on a one-thread pool (so they wait 0, 20
 * and 40 ms), a timer made repeating by uv_timer_set_repeat +
 * uv_timer_again, and a line on stdout (printf) and stderr (fprintf) for
 * each part.
 * Build: cc -g -O0 uv_pool.c -luv -o uv_pool
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define WORK_ITEMS 3
#define WORK_MS 20

static uv_loop_t *loop;
static char dir[64], file[96], moved[96], link_path[96], copy[96], sym[96];
static uv_fs_t fs_req;
static uv_file fd;
static uv_dir_t *dirp;
static uv_dirent_t dirents[4];
static int step, fs_calls;
static uv_buf_t text;

static void fs_step(uv_fs_t *req);

/* The next fs call of the chain; `done` when the chain is over. */
static void fs_next(void)
{
	uv_fs_t *r = &fs_req;
	fs_calls++;
	switch (step++) {
	case 0: uv_fs_open(loop, r, file, O_CREAT | O_WRONLY, 0644, fs_step); break;
	case 1: uv_fs_write(loop, r, fd, &text, 1, 0, fs_step); break;
	case 2: uv_fs_fdatasync(loop, r, fd, fs_step); break;
	case 3: uv_fs_ftruncate(loop, r, fd, 4, fs_step); break;
	case 4: uv_fs_fchmod(loop, r, fd, 0600, fs_step); break;
	case 5: uv_fs_futime(loop, r, fd, 1000, 1000, fs_step); break;
	case 6: uv_fs_close(loop, r, fd, fs_step); break;
	case 7: uv_fs_rename(loop, r, file, moved, fs_step); break;
	case 8: uv_fs_lstat(loop, r, moved, fs_step); break;
	case 9: uv_fs_access(loop, r, moved, R_OK, fs_step); break;
	case 10: uv_fs_chmod(loop, r, moved, 0644, fs_step); break;
	case 11: uv_fs_utime(loop, r, moved, 2000, 2000, fs_step); break;
	case 12: uv_fs_link(loop, r, moved, link_path, fs_step); break;
	case 13: uv_fs_symlink(loop, r, moved, sym, 0, fs_step); break;
	case 14: uv_fs_readlink(loop, r, sym, fs_step); break;
	case 15: uv_fs_realpath(loop, r, sym, fs_step); break;
	case 16: uv_fs_copyfile(loop, r, moved, copy, 0, fs_step); break;
	case 17: uv_fs_scandir(loop, r, dir, 0, fs_step); break;
	case 18: uv_fs_opendir(loop, r, dir, fs_step); break;
	case 19: uv_fs_readdir(loop, r, dirp, fs_step); break;
	case 20: uv_fs_closedir(loop, r, dirp, fs_step); break;
	case 21: uv_fs_statfs(loop, r, dir, fs_step); break;
	case 22: uv_fs_unlink(loop, r, moved, fs_step); break;
	case 23: uv_fs_rmdir(loop, r, dir, fs_step); break; /* fails: not empty */
	default:
		fs_calls--;
		printf("fs calls %d\n", fs_calls);
		break;
	}
}

static void fs_step(uv_fs_t *req)
{
	if (req->fs_type == UV_FS_OPEN)
		fd = (uv_file)req->result;
	if (req->fs_type == UV_FS_OPENDIR) {
		dirp = req->ptr;
		dirp->dirents = dirents;
		dirp->nentries = 4;
	}
	if (req->fs_type == UV_FS_SCANDIR) {
		uv_dirent_t ent;
		while (uv_fs_scandir_next(req, &ent) != UV_EOF)
			;
	}
	uv_fs_req_cleanup(req);
	fs_next();
}

/* The directory's watch: the first event ends it. */
static uv_fs_event_t watch;

static void on_change(uv_fs_event_t *h, const char *name, int events, int status)
{
	(void)name, (void)events, (void)status;
	fprintf(stderr, "watch saw a change\n");
	uv_fs_event_stop(h);
	uv_close((uv_handle_t *)h, NULL);
}

static void on_made_dir(uv_fs_t *req)
{
	snprintf(dir, sizeof(dir), "%s", req->path);
	uv_fs_req_cleanup(req);
	snprintf(file, sizeof(file), "%s/a", dir);
	snprintf(moved, sizeof(moved), "%s/b", dir);
	snprintf(link_path, sizeof(link_path), "%s/c", dir);
	snprintf(copy, sizeof(copy), "%s/d", dir);
	snprintf(sym, sizeof(sym), "%s/e", dir);
	uv_fs_event_init(loop, &watch);
	uv_fs_event_start(&watch, on_change, dir, 0);
	fs_next();
}

/* libuv polls with a timer and uv_fs_stat of its own: only this callback
 * is the program's. */
static uv_fs_poll_t poller;

static void on_stat(uv_fs_poll_t *h, int status, const uv_stat_t *prev, const uv_stat_t *curr)
{
	(void)prev, (void)curr;
	printf("stat watcher: %s\n", status == UV_ENOENT ? "no such file" : "changed");
	uv_fs_poll_stop(h);
	uv_close((uv_handle_t *)h, NULL);
}

static uv_getaddrinfo_t lookup;

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	(void)req;
	printf("resolved localhost: %s\n", status == 0 && res ? "yes" : "no");
	uv_freeaddrinfo(res);
}

static uv_getnameinfo_t reverse;

static void on_named(uv_getnameinfo_t *req, int status, const char *host, const char *service)
{
	(void)req, (void)host, (void)service;
	printf("named 127.0.0.1: %s\n", status == 0 ? "yes" : "no");
}

static uv_random_t rnd;
static unsigned char bytes[16];

static void on_random(uv_random_t *req, int status, void *buf, size_t n)
{
	(void)req, (void)buf;
	printf("random %zu bytes: %s\n", n, status == 0 ? "ok" : "failed");
}

static uv_process_t child;

static void on_exit_child(uv_process_t *p, int64_t status, int signal)
{
	(void)signal;
	printf("child exited %lld\n", (long long)status);
	uv_close((uv_handle_t *)p, NULL);
}

static uv_work_t work[WORK_ITEMS];
static int works_done;

static void sleep_a_while(uv_work_t *req)
{
	(void)req;
	usleep(WORK_MS * 1000);
}

static void after_sleep(uv_work_t *req, int status)
{
	(void)req, (void)status;
	if (++works_done == WORK_ITEMS)
		printf("work items %d\n", works_done);
}

/* One-shot at first, made repeating from its own callback. */
static uv_timer_t again;
static int again_runs;

static void on_again(uv_timer_t *t)
{
	if (++again_runs == 1) {
		uv_timer_set_repeat(t, 5);
		uv_timer_again(t);
	} else if (again_runs == 4) {
		uv_timer_stop(t);
		uv_close((uv_handle_t *)t, NULL);
		printf("timer runs %d\n", again_runs);
	}
}

int main(void)
{
	setenv("UV_THREADPOOL_SIZE", "1", 1);
	loop = uv_default_loop();
	text = uv_buf_init("hello world\n", 12);

	static uv_fs_t mkdtemp_req;
	uv_fs_mkdtemp(loop, &mkdtemp_req, "/tmp/uv_pool.XXXXXX", on_made_dir);
	uv_fs_poll_init(loop, &poller);
	uv_fs_poll_start(&poller, on_stat, "/nonexistent/uv_pool", 5);
	uv_getaddrinfo(loop, &lookup, on_resolved, "localhost", NULL, NULL);
	struct sockaddr_in local;
	uv_ip4_addr("127.0.0.1", 80, &local);
	uv_getnameinfo(loop, &reverse, on_named, (const struct sockaddr *)&local, 0);
	uv_random(loop, &rnd, bytes, sizeof(bytes), 0, on_random);

	char *args[] = {"/bin/true", NULL};
	uv_process_options_t options = {.exit_cb = on_exit_child, .file = args[0], .args = args};
	int rc = uv_spawn(loop, &child, &options);
	if (rc != 0)
		fprintf(stderr, "spawn: %s\n", uv_strerror(rc));

	for (int i = 0; i < WORK_ITEMS; i++)
		uv_queue_work(loop, &work[i], sleep_a_while, after_sleep);

	uv_timer_init(loop, &again);
	uv_timer_start(&again, on_again, 10, 0);

	uv_run(loop, UV_RUN_DEFAULT);
	/* what the chain left: the copy, the hard link, the symbolic link */
	unlink(copy);
	unlink(link_path);
	unlink(sym);
	rmdir(dir);
	printf("done\n");
	return uv_loop_close(loop);
}
