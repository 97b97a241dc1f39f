/*
 * test_page_warmer.c — the page warmer maps pages in ahead of their writer
 * and never changes what is there (probes/preload/page_warmer.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "probes/preload/page_warmer.h"

#define PAGES 256

static size_t resident_pages(void *map, size_t pages)
{
	unsigned char vec[PAGES];
	if (mincore(map, pages * 4096u, vec) != 0)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1u;
	return n;
}

/* Waits up to 10 s for every page to be resident. */
static size_t wait_resident(void *map, size_t pages)
{
	size_t n = 0;
	for (int tries = 0; tries < 1000 && (n = resident_pages(map, pages)) < pages; tries++) {
		struct timespec nap = {0, 10 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	return n;
}

static void *fresh_pages(size_t pages)
{
	void *m = mmap(NULL, pages * 4096u, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		       0);
	assert_true(m != MAP_FAILED);
	return m;
}

static void warms_every_page(void **state)
{
	(void)state;
	char *m = fresh_pages(PAGES);
	assert_int_equal(resident_pages(m, PAGES), 0);
	lt_warm_pages(m, (size_t)PAGES * 4096u);
	assert_int_equal(wait_resident(m, PAGES), PAGES);
	/* Never unmapped: requests must name memory that stays mapped. */
}

static void keeps_what_the_writer_wrote(void **state)
{
	(void)state;
	uint32_t *m = fresh_pages(PAGES);
	/* A writer already in the first pages, as when it outruns the warmer. */
	for (uint32_t i = 0; i < 4096; i++)
		m[i] = 0xabcd0000u + i;
	lt_warm_pages(m, (size_t)PAGES * 4096u);
	assert_int_equal(wait_resident(m, PAGES), PAGES);
	for (uint32_t i = 0; i < 4096; i++)
		assert_int_equal(m[i], 0xabcd0000u + i);
	for (size_t i = 4096; i < (size_t)PAGES * 1024u; i++)
		assert_int_equal(m[i], 0);
	/* Never unmapped: requests must name memory that stays mapped. */
}

static void many_requests_never_block(void **state)
{
	(void)state;
	/* More requests than the queue holds: the extra ones are dropped, the
	 * caller goes on, and the ones taken are done. */
	enum { N = 200 };
	char *m = fresh_pages(N);
	for (int i = 0; i < N; i++)
		lt_warm_pages(m + (size_t)i * 4096u, 4096u);
	lt_warm_pages(NULL, 4096u); /* ignored */
	lt_warm_pages(m, 0);        /* ignored */
	/* The last request may be dropped, but at least the first is done. */
	for (int tries = 0; tries < 1000 && resident_pages(m, 1) < 1; tries++) {
		struct timespec nap = {0, 10 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	assert_int_equal(resident_pages(m, 1), 1);
	/* Not unmapped: some requests may still be in the warmer's hands. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(warms_every_page),
		cmocka_unit_test(keeps_what_the_writer_wrote),
		cmocka_unit_test(many_requests_never_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
