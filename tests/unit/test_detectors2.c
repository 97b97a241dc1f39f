/*
 * test_detectors2.c — rejections placed at the user line that chained the
 * promise, and leaked-handle only for what keeps the loop alive (cleared
 * timers, a service's server when the recording stopped it), on traces
 * built in code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/analysis.h"
#include "analyzer/store.h"
#include "rawgen.h"
#include "recorder/import.h"
#include "testutil.h"

#define MS 1000000ull
#define FILE_JS "/app/client.js"
#define AXIOS_JS "/app/node_modules/axios/lib/core/settle.js"

/* A trace and its analysis (testutil.h). */
static int setup(void **state) { return test_analysis_setup(state); }
static int teardown(void **state) { return test_analysis_teardown(state); }

/* Import the stream, run `sql` on the trace (NULL: nothing), analyze. */
static void analyze_sql(struct test_analysis *f, struct rawgen *g, const char *sql)
{
	char err[512] = "";
	struct lt_analysis_opts o;
	lt_analysis_defaults(&o);
	assert_int_equal(rawgen_import(g, f->t.dir, &f->t.db, err, sizeof(err)), 0);
	if (sql && sqlite3_exec(f->t.db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		if (strstr(sqlite3_errmsg(f->t.db), "no such column"))
			skip(); /* a schema without the column (cleared_ns) */
		fail_msg("%s: %s", sql, sqlite3_errmsg(f->t.db));
	}
	/* Traces with threads.end_reason: make it agree with clean_exit. */
	if (lt_table_has_column(f->t.db, "threads", "end_reason"))
		sqlite3_exec(f->t.db, "UPDATE threads SET end_reason = CASE clean_exit WHEN 0 THEN 'killed' ELSE 'exit' END",
			     NULL, NULL, NULL);
	if (lt_analyze(f->t.db, &o, &f->a, err, sizeof(err)) != 0)
		fail_msg("analyze: %s", err);
	f->analyzed = 1;
}

static const struct lt_finding *find(const struct test_analysis *f, const char *kind)
{
	for (size_t i = 0; i < f->a.findings.n; i++)
		if (!strcmp(f->a.findings.items[i].kind, kind))
			return &f->a.findings.items[i];
	return NULL;
}

static const struct lt_field *field(const struct lt_finding *x, const char *key)
{
	for (size_t i = 0; i < x->n_fields; i++)
		if (!strcmp(x->fields[i].key, key))
			return &x->fields[i];
	return NULL;
}

static void start(struct rawgen *g)
{
	rawgen_init(g, 41, 41, 1000 * MS);
	rawgen_js_start(g, FILE_JS);
}

/* `api.get(url).then(f)` with no catch: the promise .then() made (no stack
 * of its own) rejects; its parent's sampled stack has the user's line. */
static void rejection_is_placed_at_the_user_line_that_chained_it(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	uint32_t user = rawgen_stack(&g, "checkMissing", FILE_JS, 44, 23);
	rawgen_p_init_stack(&g, 1, 0, 1 * MS, user);
	rawgen_p_init(&g, 2, 1, 1 * MS);
	rawgen_main_end(&g, 2 * MS);
	rawgen_reject(&g, LT_REJECT_UNHANDLED, 2,
		      "AxiosError: Request failed with status code 404\n"
		      "    at settle (" AXIOS_JS ":19:12)\n"
		      "    at IncomingMessage.handleStreamEnd (/app/node_modules/axios/lib/adapters/http.js:599:11)\n"
		      "    at IncomingMessage.emit (node:events:536:35)",
		      3 * MS, 1);
	analyze_sql(f, &g, NULL);
	const struct lt_finding *x = find(f, "unhandled-rejection");
	assert_non_null(x);
	assert_non_null(x->file);
	assert_string_equal(x->file, FILE_JS);
	assert_int_equal(x->line, 44);
	assert_non_null(x->library_file);
	assert_string_equal(x->library_file, AXIOS_JS);
	assert_string_equal(field(x, "reason")->text, "AxiosError: Request failed with status code 404");
	assert_string_equal(field(x, "error_class")->text, "AxiosError");
	assert_int_equal(x->tid, 41);
}

/* `app.store.audit(e).then(f)`: the promise .then() made has no stack, the
 * one it was chained on was sampled inside the program's own store module;
 * the rejection's stack is the handler's place (the agent records it): the
 * line that chained it wins over the helper that made the parent. */
static void rejection_is_placed_at_the_handler_it_was_chained_with(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	uint32_t helper = rawgen_stack(&g, "audit", "/app/store.js", 15, 12);
	uint32_t handler = rawgen_stack(&g, "", FILE_JS, 83, 41);
	rawgen_p_init_stack(&g, 1, 0, 1 * MS, helper);
	rawgen_p_init(&g, 2, 1, 1 * MS);
	rawgen_main_end(&g, 2 * MS);
	rawgen_reject_stack(&g, LT_REJECT_UNHANDLED, 2, "Error: audit: no user\n    at audit (/app/store.js:17:11)",
			    handler, 3 * MS, 1);
	analyze_sql(f, &g, NULL);
	const struct lt_finding *x = find(f, "unhandled-rejection");
	assert_non_null(x);
	assert_string_equal(x->file, FILE_JS);
	assert_int_equal(x->line, 83);
}

/* A 90 ms timer callback whose thread spent 60 of the 80 sampled ms
 * waiting for a CPU (other processes had it) took ~23 ms of its own: not a
 * blocking task, one note that says why; with no run-queue wait it is. */
static void busy_machine(struct test_analysis *f, uint32_t runq_ms)
{
	struct rawgen g;
	start(&g);
	rawgen_sampling(&g, LT_SAMPLING_ON, 127);
	uint32_t at = rawgen_stack(&g, "crunch", FILE_JS, 30, 7);
	rawgen_r_init(&g, 6, 1, "Timeout", 1 * MS, 0);
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 6, 10 * MS, 0);
	rawgen_r_after(&g, 6, 100 * MS);
	rawgen_sample_sched(&g, 90 * MS, at, 80 * MS, (uint32_t)((80 - runq_ms) * MS), (uint32_t)(runq_ms * MS));
	rawgen_exit(&g, 1, 120 * MS);
	analyze_sql(f, &g, NULL);
}

static void callback_stretched_by_a_busy_machine_is_a_note(void **state)
{
	struct test_analysis *f = *state;
	busy_machine(f, 60);
	for (size_t i = 0; i < f->a.findings.n; i++)
		if (!strcmp(f->a.findings.items[i].kind, "blocking-task"))
			assert_int_equal(f->a.findings.items[i].severity, LT_SEV_INFO);
	const struct lt_finding *x = find(f, "blocking-task");
	assert_non_null(x);
	assert_string_equal(field(x, "cause")->text, "busy-machine");
	assert_int_equal(field(x, "count")->integer, 1);
}

static void callback_that_had_its_cpu_is_blocking(void **state)
{
	struct test_analysis *f = *state;
	busy_machine(f, 0);
	const struct lt_finding *x = find(f, "blocking-task");
	assert_non_null(x);
	assert_true(x->severity >= LT_SEV_WARNING);
	assert_string_equal(x->file, FILE_JS);
	assert_int_equal(x->line, 30);
}

/* A timer callback that spends 90 ms inside a library it calls (axios's
 * first request: lazy compilation, set-up), once and early: a note; the
 * same every time it runs is a warning (the loop idles in between: a
 * service, where a library at work counts as much as the program's code). */
static void library_call(struct test_analysis *f, int times)
{
	struct rawgen g;
	start(&g);
	rawgen_sampling(&g, LT_SAMPLING_ON, 127);
	uint32_t at = rawgen_stack2(&g, "wrap", "/app/node_modules/axios/dist/node/axios.cjs", 4499, "main",
				    FILE_JS, 16);
	rawgen_main_end(&g, 2 * MS);
	for (int i = 0; i < times; i++) {
		uint64_t t0 = (uint64_t)(10 + 200 * i) * MS;
		rawgen_r_init(&g, 6 + (uint32_t)i, 1, "Timeout", 1 * MS, 0);
		rawgen_r_before(&g, 6 + (uint32_t)i, t0, 0);
		rawgen_r_after(&g, 6 + (uint32_t)i, t0 + 90 * MS);
		rawgen_sample_sched(&g, t0 + 60 * MS, at, 60 * MS, 60 * MS, 0);
		rawgen_poll(&g, t0 + 91 * MS, t0 + 199 * MS, 200, 1); /* a service: idle between */
	}
	rawgen_exit(&g, 1, (uint64_t)(20 + 200 * times) * MS);
	analyze_sql(f, &g, NULL);
}

static void library_first_use_is_a_note(void **state)
{
	struct test_analysis *f = *state;
	library_call(f, 1);
	const struct lt_finding *x = find(f, "blocking-task");
	assert_non_null(x);
	assert_int_equal(x->severity, LT_SEV_INFO);
	assert_non_null(field(x, "first_use"));
}

static void library_work_every_time_is_a_warning(void **state)
{
	struct test_analysis *f = *state;
	library_call(f, 3);
	const struct lt_finding *x = find(f, "blocking-task");
	assert_non_null(x);
	assert_true(x->severity >= LT_SEV_WARNING);
	assert_null(field(x, "first_use"));
}

/* No stack anywhere on the chain and only library frames in the error:
 * no location, said plainly, the library frame kept. */
static void rejection_without_user_frames_says_why(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_p_init(&g, 1, 0, 1 * MS);
	rawgen_p_init(&g, 2, 1, 1 * MS);
	rawgen_main_end(&g, 2 * MS);
	rawgen_reject(&g, LT_REJECT_UNHANDLED, 2, "AxiosError: boom\n    at settle (" AXIOS_JS ":19:12)", 3 * MS, 1);
	analyze_sql(f, &g, NULL);
	const struct lt_finding *x = find(f, "unhandled-rejection");
	assert_non_null(x);
	assert_null(x->file);
	assert_non_null(x->location_note);
	assert_string_equal(x->library_file, AXIOS_JS);
}

/* A repeating timer still armed at a forced exit is a leak at its user
 * line; once cleared (cleared_ns) it is not. */
static void interval_leak(struct test_analysis *f, int cleared)
{
	struct rawgen g;
	start(&g);
	uint32_t site = rawgen_stack(&g, "startMetrics", FILE_JS, 14, 3);
	rawgen_r_init_ex(&g, 7, 1, "Timeout", 1 * MS, 500, site, 2, "flush");
	rawgen_main_end(&g, 2 * MS);
	rawgen_exit(&g, 1, 3 * MS);
	analyze_sql(f, &g, cleared ? "UPDATE resources SET cleared_ns = created_ns + 1000 WHERE type = 'Timeout'" : NULL);
}

static void armed_interval_is_a_leak(void **state)
{
	struct test_analysis *f = *state;
	interval_leak(f, 0);
	const struct lt_finding *x = find(f, "leaked-handle");
	assert_non_null(x);
	assert_int_equal(x->severity, LT_SEV_WARNING);
	assert_string_equal(x->file, FILE_JS);
	assert_int_equal(x->line, 14);
}

static void cleared_interval_is_not_a_leak(void **state)
{
	struct test_analysis *f = *state;
	interval_leak(f, 1);
	assert_null(find(f, "leaked-handle"));
}

/* A listening server when the recording stopped the process (killed):
 * expected for a service, an info note at most; the same server at a
 * process.exit() is a leak. */
static void server_at_end(struct test_analysis *f, int stopped)
{
	struct rawgen g;
	start(&g);
	uint32_t site = rawgen_stack(&g, "start", FILE_JS, 22, 5);
	rawgen_r_init_ex(&g, 8, 1, "TCPSERVERWRAP", 1 * MS, 0, site, 0, NULL);
	rawgen_main_end(&g, 2 * MS);
	if (!stopped)
		rawgen_exit(&g, 1, 30 * MS);
	analyze_sql(f, &g, stopped ? "UPDATE threads SET clean_exit = 0" : "UPDATE threads SET clean_exit = 1");
}

static void server_stopped_by_the_recording_is_expected(void **state)
{
	struct test_analysis *f = *state;
	server_at_end(f, 1);
	const struct lt_finding *x = find(f, "leaked-handle");
	assert_true(x == NULL || x->severity == LT_SEV_INFO);
}

static void server_left_open_at_exit_is_a_leak(void **state)
{
	struct test_analysis *f = *state;
	server_at_end(f, 0);
	const struct lt_finding *x = find(f, "leaked-handle");
	assert_non_null(x);
	assert_int_equal(x->severity, LT_SEV_WARNING);
	assert_int_equal(x->line, 22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rejection_is_placed_at_the_user_line_that_chained_it, setup, teardown),
		cmocka_unit_test_setup_teardown(rejection_without_user_frames_says_why, setup, teardown),
		cmocka_unit_test_setup_teardown(rejection_is_placed_at_the_handler_it_was_chained_with, setup, teardown),
		cmocka_unit_test_setup_teardown(callback_stretched_by_a_busy_machine_is_a_note, setup, teardown),
		cmocka_unit_test_setup_teardown(callback_that_had_its_cpu_is_blocking, setup, teardown),
		cmocka_unit_test_setup_teardown(library_first_use_is_a_note, setup, teardown),
		cmocka_unit_test_setup_teardown(library_work_every_time_is_a_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(armed_interval_is_a_leak, setup, teardown),
		cmocka_unit_test_setup_teardown(cleared_interval_is_not_a_leak, setup, teardown),
		cmocka_unit_test_setup_teardown(server_stopped_by_the_recording_is_expected, setup, teardown),
		cmocka_unit_test_setup_teardown(server_left_open_at_exit_is_a_leak, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
