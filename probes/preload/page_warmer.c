/*
 * page_warmer.c — the pages of a capture ring touched before their thread
 * writes there (see page_warmer.h).
 */
#include "page_warmer.h"
#include "helper_thread.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define QUEUE 64
#define PAGE 4096u

enum { FREE, FILLING, READY, TAKEN };

static struct request {
	atomic_int state;
	char *from;
	size_t bytes;
} queue[QUEUE];

static atomic_uint posted;     /* futex word: bumped at each request */
static atomic_int thread_state; /* 0 none, 1 started (or starting) */

static void warm(char *from, size_t bytes)
{
	/* The guest's page tables in one call, then one write per page for
	 * the rest of the first-touch cost.  An OR of zero keeps whatever the
	 * writer may have put there already. */
	madvise(from, bytes, MADV_POPULATE_WRITE);
	for (size_t at = 0; at < bytes; at += PAGE)
		atomic_fetch_or_explicit((_Atomic uint32_t *)(void *)(from + at), 0u, memory_order_relaxed);
}

static int take_one(void)
{
	int done = 0;
	for (int i = 0; i < QUEUE; i++) {
		int expected = READY;
		if (!atomic_compare_exchange_strong(&queue[i].state, &expected, TAKEN))
			continue;
		char *from = queue[i].from;
		size_t bytes = queue[i].bytes;
		atomic_store_explicit(&queue[i].state, FREE, memory_order_release);
		warm(from, bytes);
		done = 1;
	}
	return done;
}

static void *warmer_main(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned seen = atomic_load(&posted);
		if (take_one())
			continue;
		syscall(SYS_futex, &posted, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
	}
	return NULL;
}

void lt_warm_pages(void *from, size_t bytes)
{
	if (!from || bytes == 0)
		return;
	int expected = 0;
	if (atomic_load_explicit(&thread_state, memory_order_relaxed) == 0 &&
	    atomic_compare_exchange_strong(&thread_state, &expected, 1) &&
	    looptrace_helper_thread(warmer_main, NULL) != 0) {
		atomic_store(&thread_state, 0);
		return;
	}
	for (int i = 0; i < QUEUE; i++) {
		int free_state = FREE;
		if (!atomic_compare_exchange_strong(&queue[i].state, &free_state, FILLING))
			continue;
		queue[i].from = from;
		queue[i].bytes = bytes;
		atomic_store_explicit(&queue[i].state, READY, memory_order_release);
		atomic_fetch_add(&posted, 1u);
		syscall(SYS_futex, &posted, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		return;
	}
	/* Queue full: the writer pays its own faults. */
}

void lt_warm_after_fork_child(void)
{
	for (int i = 0; i < QUEUE; i++)
		atomic_store(&queue[i].state, FREE);
	atomic_store(&thread_state, 0);
}
