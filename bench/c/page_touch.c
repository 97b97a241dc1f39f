/*
 * page_touch.c — what writing memory for the first time costs on this
 * machine, against writing it again: the cost a capture ring's first pass
 * pays (probes/preload/capture.c maps a 32 MiB ring per thread on tmpfs).
 *
 *   page_touch [MIB] [DIR]   (default 32 MiB, DIR /dev/shm)
 *
 * For a MAP_SHARED mapping of a fallocate'd file in DIR (as the ring is
 * made) and for anonymous memory, each with a fresh mapping: the first
 * sequential pass of 16-byte stores, then a second; then the same when
 * MADV_POPULATE_WRITE ran first, and when another thread wrote one word of
 * each page first (what the page warmer does).  Prints milliseconds, GB/s
 * and microseconds per 4 KiB page of each pass.  On a bare-metal machine
 * the first pass costs a fraction of a microsecond a page; in a VM whose
 * hypervisor backs guest memory lazily it can cost ten times more.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

enum prepare { PREPARE_NONE, PREPARE_POPULATE, PREPARE_OTHER_THREAD };

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

struct region {
	volatile uint32_t *words;
	size_t bytes;
};

static void *touch_each_page(void *arg)
{
	struct region *r = arg;
	for (size_t off = 0; off < r->bytes; off += 4096)
		__atomic_fetch_or((uint32_t *)((char *)r->words + off), 0u, __ATOMIC_RELAXED);
	return NULL;
}

static double write_pass(struct region *r, uint32_t pass)
{
	size_t n = r->bytes / 4;
	double t0 = now_ms();
	for (size_t i = 0; i + 3 < n; i += 4) {
		r->words[i] = (uint32_t)i;
		r->words[i + 1] = pass;
		r->words[i + 2] = 3;
		r->words[i + 3] = 4;
	}
	return now_ms() - t0;
}

static void report(const char *what, const char *prep, int pass, double ms, size_t bytes)
{
	printf("%-10s %-22s pass %d: %8.1f ms  %6.2f GB/s  %6.2f us/page\n", what, prep, pass, ms,
	       (double)bytes / ms / 1e6, ms * 1000.0 / ((double)bytes / 4096.0));
}

/* Returns 0, or -errno when the region could not be made. */
static int measure(const char *what, const char *dir, size_t bytes, enum prepare prep)
{
	static const char *const prep_names[] = {"", "after POPULATE_WRITE", "after another thread"};
	int fd = -1, rc = 0;
	void *map;
	if (dir) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/page-touch.XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return -errno;
		unlink(path);
		if (fallocate(fd, 0, 0, (off_t)bytes) != 0) {
			rc = -errno;
			goto close_fd;
		}
		map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	} else {
		map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (map == MAP_FAILED) {
		rc = -errno;
		goto close_fd;
	}
	struct region r = {map, bytes};
	double prep_ms = 0;
	if (prep == PREPARE_POPULATE) {
		double t0 = now_ms();
		if (madvise(map, bytes, MADV_POPULATE_WRITE) != 0)
			printf("%-10s MADV_POPULATE_WRITE: %s\n", what, strerror(errno));
		prep_ms = now_ms() - t0;
	} else if (prep == PREPARE_OTHER_THREAD) {
		pthread_t t;
		double t0 = now_ms();
		if (pthread_create(&t, NULL, touch_each_page, &r) == 0)
			pthread_join(t, NULL);
		prep_ms = now_ms() - t0;
	}
	if (prep != PREPARE_NONE)
		printf("%-10s %-22s (took %.1f ms, %.2f us/page)\n", what, prep_names[prep], prep_ms,
		       prep_ms * 1000.0 / ((double)bytes / 4096.0));
	for (int pass = 1; pass <= 2; pass++)
		report(what, prep_names[prep], pass, write_pass(&r, (uint32_t)pass), bytes);
	munmap(map, bytes);
close_fd:
	if (fd >= 0)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 32;
	const char *dir = argc > 2 ? argv[2] : "/dev/shm";
	if (mib <= 0 || mib > 4096) {
		fprintf(stderr, "page_touch: MIB is 1 to 4096\n");
		return 2;
	}
	size_t bytes = (size_t)mib << 20;
	for (int prep = PREPARE_NONE; prep <= PREPARE_OTHER_THREAD; prep++) {
		int rc = measure("shared", dir, bytes, (enum prepare)prep);
		if (rc != 0) {
			fprintf(stderr, "page_touch: a ring-like mapping in %s: %s\n", dir, strerror(-rc));
			return 2;
		}
		if ((rc = measure("anonymous", NULL, bytes, (enum prepare)prep)) != 0) {
			fprintf(stderr, "page_touch: anonymous memory: %s\n", strerror(-rc));
			return 2;
		}
	}
	return 0;
}
