/*
 * epoll_probes.c — a hand-written epoll loop instrumented with the probe API
 * (probes/looptrace.h): a timerfd ticks every 10 ms; each tick enqueues a
 * task that the loop runs after the poll.  Planted defects:
 *   - the 5th tick enqueues a slow task that blocks the loop for 100 ms
 *     (blocking-task, at its LOOPTRACE_TASK_ENQUEUE line);
 *   - an eventfd is opened and never closed (leaked-handle, at its
 *     LOOPTRACE_HANDLE_OPEN line).
 * `epoll_probes DELAY_MS` waits that long (or until a SIGUSR1) before it
 * starts (time for `looptrace attach` to attach).
 * Build: cc -g -O0 -I<looptrace>/probes epoll_probes.c -o epoll_probes
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "looptrace.h"

#define TICKS 10
#define MAX_TASKS 16

struct task {
	void (*run)(struct task *);
	int tick;
};

static struct task queue[MAX_TASKS];
static int queued;

static void busy_wait_ms(long ms)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L < ms);
}

static void on_usr1(int sig) { (void)sig; } /* ends the start delay */

static void quick_task(struct task *t) { printf("task %d\n", t->tick); }

static void slow_task(struct task *t)
{
	busy_wait_ms(100); /* the planted blocking task */
	printf("slow task %d\n", t->tick);
}

static void enqueue(int tick)
{
	struct task *t = &queue[queued++];
	t->tick = tick;
	if (tick == 5) {
		t->run = slow_task;
		LOOPTRACE_TASK_ENQUEUE(t, "slow-task");
	} else {
		t->run = quick_task;
		LOOPTRACE_TASK_ENQUEUE(t, "task");
	}
}

static void run_tasks(void)
{
	for (int i = 0; i < queued; i++) {
		LOOPTRACE_BEGIN(&queue[i]);
		queue[i].run(&queue[i]);
		LOOPTRACE_END(&queue[i]);
	}
	queued = 0;
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long delay_ms = argc > 1 ? atol(argv[1]) : 0;
	if (delay_ms > 0) {
		struct sigaction sa = {.sa_handler = on_usr1}; /* no SA_RESTART: the nap ends */
		sigaction(SIGUSR1, &sa, NULL);
		printf("waiting\n");
		fflush(stdout);
		struct timespec nap = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
		nanosleep(&nap, NULL);
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	LOOPTRACE_HANDLE_OPEN(tfd + 1, "timerfd");
	int efd = eventfd(0, EFD_CLOEXEC);
	LOOPTRACE_HANDLE_OPEN(efd + 1, "eventfd"); /* the planted leak: never closed */
	struct itimerspec every = {{0, 10 * 1000000L}, {0, 10 * 1000000L}};
	timerfd_settime(tfd, 0, &every, NULL);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = tfd};
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	LOOPTRACE_MARK("loop-start");

	int ticks = 0;
	while (ticks < TICKS) {
		struct epoll_event ready[4];
		int n = epoll_wait(ep, ready, 4, -1);
		for (int i = 0; i < n; i++) {
			if (ready[i].data.fd != tfd)
				continue;
			LOOPTRACE_BEGIN(tfd + 1);
			uint64_t expirations;
			if (read(tfd, &expirations, sizeof(expirations)) == sizeof(expirations))
				enqueue(++ticks);
			LOOPTRACE_END(tfd + 1);
		}
		run_tasks();
	}
	LOOPTRACE_HANDLE_CLOSE(tfd + 1);
	close(tfd);
	close(ep);
	printf("ticks %d\n", ticks);
	return 0;
}
