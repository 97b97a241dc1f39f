/*
 * test_why.c — the "why now" sentences (analyzer/why.h) on hand-made step
 * lists: run-to-completion, nextTick before promise jobs, FIFO promise jobs,
 * an await, a thenable's two jobs against a loop's repeated await, timers,
 * setImmediate after I/O, nested calls, and every concept in the glossary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/why.h"

#define STEP(seq_, queue_, enq_) {.seq = (seq_), .queue = (queue_), .enqueued = (enq_), .timer_delay_ms = -1}

static const char *explain(const struct lt_why_step *s, size_t n, size_t i, char *buf, size_t len)
{
	const char *concept = lt_why_explain(s, n, i, buf, len);
	assert_true(strlen(buf) > 20);
	return concept;
}

static void ticks_before_promise_jobs(void **state)
{
	(void)state;
	struct lt_why_step s[] = {STEP(1, "main", 0), STEP(2, "nextTick", 1), STEP(3, "microtask", 1),
				  STEP(4, "microtask", 1), STEP(5, "timer", 1)};
	s[4].timer_delay_ms = 0;
	char buf[1024];
	assert_string_equal(explain(s, 5, 0, buf, sizeof(buf)), "run-to-completion");
	assert_non_null(strstr(buf, "(4 later steps were queued by it)"));
	assert_string_equal(explain(s, 5, 1, buf, sizeof(buf)), "nexttick");
	assert_non_null(strstr(buf, "queued during step #1 (main), ahead of 2 promise jobs and 1 timer callback already waiting"));
	assert_string_equal(explain(s, 5, 3, buf, sizeof(buf)), "microtask");
	assert_non_null(strstr(buf, "1 promise job queued earlier ran first"));
	assert_non_null(strstr(buf, "ahead of 1 timer callback"));
	assert_string_equal(explain(s, 5, 4, buf, sizeof(buf)), "timers-phase");
	assert_non_null(strstr(buf, "its 0 ms delay had passed"));
	assert_non_null(strstr(buf, "a 0 ms timer still waits"));
}

static void await_and_thenable(void **state)
{
	(void)state;
	/* 2: calls the thenable's then(), 3: another await, 4: the thenable's
	 * value (its promise made in main, before 2 ran) */
	struct lt_why_step s[] = {STEP(1, "main", 0), STEP(2, "microtask", 1), STEP(3, "microtask", 1),
				  STEP(4, "microtask", 2)};
	s[1].site = s[3].site = "  const v = await thenable;";
	s[1].site_line = s[3].site_line = 9;
	s[1].site_column = s[3].site_column = 13;
	s[3].created = 1;
	s[2].site = "  await null;";
	s[2].site_line = 12;
	char buf[1024];
	assert_string_equal(explain(s, 4, 1, buf, sizeof(buf)), "thenable");
	assert_non_null(strstr(buf, "first of two promise jobs for line 9"));
	assert_string_equal(explain(s, 4, 2, buf, sizeof(buf)), "await");
	assert_non_null(strstr(buf, "even an already settled one costs a job"));
	assert_string_equal(explain(s, 4, 3, buf, sizeof(buf)), "thenable");
	assert_non_null(strstr(buf, "second promise job for line 9 (step #2 was the first)"));
	/* a loop's next await: same line, but its promise made by the job that
	 * queued it: a plain await */
	s[3].created = 2;
	assert_string_equal(explain(s, 4, 3, buf, sizeof(buf)), "await");
	assert_string_equal(explain(s, 4, 1, buf, sizeof(buf)), "await");
}

static void immediate_after_io_and_nesting(void **state)
{
	(void)state;
	struct lt_why_step s[] = {STEP(1, "main", 0), STEP(2, "io", 1), STEP(3, "immediate", 2), STEP(4, "timer", 2),
				  STEP(5, "timer", 0)};
	s[1].type = "FSREQCALLBACK";
	s[4].parent = 4;
	char buf[1024];
	assert_string_equal(explain(s, 5, 1, buf, sizeof(buf)), "poll-phase");
	assert_non_null(strstr(buf, "the FSREQCALLBACK operation had completed"));
	assert_string_equal(explain(s, 5, 2, buf, sizeof(buf)), "check-phase");
	assert_non_null(strstr(buf, "queued by an I/O callback (step #2), so it runs before any timer"));
	assert_non_null(strstr(buf, "ahead of 1 timer callback already waiting"));
	assert_string_equal(explain(s, 5, 4, buf, sizeof(buf)), "nested-call");
	assert_non_null(strstr(buf, "while step #4 was still running"));
}

static void short_buffer_and_glossary(void **state)
{
	(void)state;
	struct lt_why_step s[] = {STEP(1, "main", 0), STEP(2, "exit", 0)};
	s[1].type = "beforeExit";
	char small[16];
	lt_why_explain(s, 2, 0, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	char buf[256];
	assert_string_equal(lt_why_explain(s, 2, 1, buf, sizeof(buf)), "exit");
	assert_non_null(strstr(buf, "emitted 'beforeExit'"));
	/* every concept a sentence names has its glossary entry */
	const char *concepts[] = {"run-to-completion", "nexttick", "microtask", "await", "thenable", "timers-phase",
				  "poll-phase", "check-phase", "close-phase", "exit", "nested-call"};
	for (size_t c = 0; c < sizeof(concepts) / sizeof(concepts[0]); c++) {
		int found = 0;
		for (size_t k = 0; k < lt_why_glossary_count(); k++) {
			const char *anchor, *title, *text;
			lt_why_glossary_entry(k, &anchor, &title, &text);
			found |= !strcmp(anchor, concepts[c]) && *title && strlen(text) > 40;
		}
		assert_true(found);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ticks_before_promise_jobs),
		cmocka_unit_test(await_and_thenable),
		cmocka_unit_test(immediate_after_io_and_nesting),
		cmocka_unit_test(short_buffer_and_glossary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
