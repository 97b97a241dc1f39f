/*
 * uv_defects.c — a small libuv program with two planted defects, for
 * `looptrace record` (the preload library's uv_* interposers):
 *   - a timer callback that blocks the loop for 120 ms (blocking-task);
 *   - a repeating timer that is never closed, so the program has to stop the
 *     loop itself and exits with it open (leaked-handle).
 * It also runs ordinary work: a few short timers, an idle handle, a
 * threadpool job, a check handle and a file opened and closed through
 * uv_fs_open/uv_fs_close, all closed.
 * `uv_defects WARMUP_MS` first runs the loop that long (or until a SIGUSR1)
 * with a ticking timer (UV_RUN_ONCE turns), so that `looptrace attach` can
 * attach to a running loop before the defects are planted.
 * Build: cc -g -O0 uv_defects.c -luv -o uv_defects
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

static uv_timer_t ticker, blocker, stopper, leaked, warmup;
static uv_idle_t idler;
static uv_check_t checker;
static uv_work_t job;
static uv_fs_t open_req, close_req;
static int ticks, idles, checks, blocked;

static void busy_wait_ms(long ms)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L < ms);
}

static void on_tick(uv_timer_t *t)
{
	if (++ticks == 5)
		uv_close((uv_handle_t *)t, NULL);
}

static void on_block(uv_timer_t *t)
{
	busy_wait_ms(120); /* the planted blocking task */
	blocked = 1;
	uv_close((uv_handle_t *)t, NULL);
}

static void on_leaked(uv_timer_t *t) { (void)t; }

static void on_warmup(uv_timer_t *t) { (void)t; }

static volatile sig_atomic_t warm;
static void on_usr1(int sig) { warm = sig; }

static void on_idle(uv_idle_t *h)
{
	if (++idles == 3)
		uv_idle_stop(h);
}

static void on_check(uv_check_t *h)
{
	if (++checks == 3)
		uv_close((uv_handle_t *)h, NULL);
}

static void work(uv_work_t *req)
{
	(void)req;
	busy_wait_ms(5);
}

static void after_work(uv_work_t *req, int status)
{
	(void)req;
	printf("work done %d\n", status);
	fflush(stdout);
}

static void on_file_closed(uv_fs_t *req) { uv_fs_req_cleanup(req); }

static void on_file_open(uv_fs_t *req)
{
	uv_file fd = (uv_file)req->result;
	uv_fs_req_cleanup(req);
	if (fd >= 0)
		uv_fs_close(req->loop, &close_req, fd, on_file_closed);
}

static void on_stop(uv_timer_t *t)
{
	if (ticks < 5 || !blocked) { /* a loaded machine: the program's work is not done yet */
		uv_timer_start(t, on_stop, 50, 0);
		return;
	}
	uv_close((uv_handle_t *)t, NULL);
	uv_close((uv_handle_t *)&idler, NULL);
	uv_stop(t->loop); /* `leaked` is still open and would keep the loop alive */
}

int main(int argc, char **argv)
{
	uv_loop_t *loop = uv_default_loop();
	long warmup_ms = argc > 1 ? atol(argv[1]) : 0;
	if (warmup_ms > 0) {
		signal(SIGUSR1, on_usr1);
		uv_timer_init(loop, &warmup);
		uv_timer_start(&warmup, on_warmup, 10, 10);
		printf("warming up\n");
		fflush(stdout);
		uint64_t until = uv_now(loop) + (uint64_t)warmup_ms;
		while (!warm && uv_now(loop) < until)
			uv_run(loop, UV_RUN_ONCE);
		uv_timer_stop(&warmup);
	}
	uv_timer_init(loop, &ticker);
	uv_timer_start(&ticker, on_tick, 10, 10);
	uv_timer_init(loop, &blocker);
	uv_timer_start(&blocker, on_block, 30, 0);
	uv_timer_init(loop, &leaked);
	uv_timer_start(&leaked, on_leaked, 1000, 1000); /* the planted leak */
	uv_idle_init(loop, &idler);
	uv_idle_start(&idler, on_idle);
	uv_check_init(loop, &checker);
	uv_check_start(&checker, on_check);
	uv_queue_work(loop, &job, work, after_work);
	uv_fs_open(loop, &open_req, "/proc/self/stat", O_RDONLY, 0, on_file_open);
	uv_timer_init(loop, &stopper);
	uv_timer_start(&stopper, on_stop, 300, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	printf("ticks %d\n", ticks);
	return 0;
}
