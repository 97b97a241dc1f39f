/*
 * uv_thread_loop.c — a loop set up on the main thread and run on another:
 * a repeating timer started from main runs 3 times on the loop's thread.
 * Build: cc -g -O0 uv_thread_loop.c -luv -lpthread -o uv_thread_loop
 */
#include <pthread.h>
#include <stdio.h>
#include <uv.h>
static uv_loop_t loop;
static uv_timer_t t;
static int n;
static void tick(uv_timer_t *h) { if (++n == 3) uv_close((uv_handle_t *)h, NULL); }
static void *run(void *arg) { (void)arg; uv_run(&loop, UV_RUN_DEFAULT); return NULL; }
int main(void)
{
	uv_loop_init(&loop);
	uv_timer_init(&loop, &t);
	uv_timer_start(&t, tick, 5, 5);
	pthread_t th;
	pthread_create(&th, NULL, run, NULL);
	pthread_join(th, NULL);
	printf("ticks %d\n", n);
	return uv_loop_close(&loop);
}
