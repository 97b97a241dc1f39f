/*
 * uv_dispatch.c — the cost of the preload's uv_* tracing per dispatch: an
 * idle handle whose callback runs N times (default 200000) and a timer
 * restarted from its own callback N/10 times (one new resource each).
 * Build: cc -O2 uv_dispatch.c -luv -o uv_dispatch; run plain and under
 * `looptrace record`, interleaved (bench/README.md).  `uv_dispatch N
 * DELAY_MS` sleeps DELAY_MS first (time for `looptrace attach -p`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

static uv_idle_t idle;
static uv_timer_t timer;
static long idles, timers, n;

static void on_idle(uv_idle_t *h)
{
	if (++idles == n)
		uv_close((uv_handle_t *)h, NULL);
}

static void on_timer(uv_timer_t *t)
{
	if (++timers < n / 10)
		uv_timer_start(t, on_timer, 0, 0);
	else
		uv_close((uv_handle_t *)t, NULL);
}

int main(int argc, char **argv)
{
	n = argc > 1 ? atol(argv[1]) : 200000;
	long delay_ms = argc > 2 ? atol(argv[2]) : 0;
	struct timespec nap = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
	if (delay_ms > 0)
		nanosleep(&nap, NULL);
	uv_loop_t *loop = uv_default_loop();
	uv_idle_init(loop, &idle);
	uv_idle_start(&idle, on_idle);
	uv_timer_init(loop, &timer);
	uv_timer_start(&timer, on_timer, 0, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	printf("%ld idles, %ld timers\n", idles, timers);
	return 0;
}
