/*
 * test_replay.c — the replay model over an imported trace, and its text and
 * JSON renderings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "analyzer/replay.h"
#include "analyzer/store.h"
#include "rawgen.h"
#include "recorder/import.h"
#include "reports/replay_format.h"
#include "testutil.h"

#define MS 1000000ull

static char dir[4096];
static sqlite3 *db;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	struct rawgen g;
	rawgen_init(&g, 7, 7, 500 * MS);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_output(&g, 1, "one\n", 1 * MS);
	rawgen_r_init(&g, 5, 1, "TickObject", 1 * MS, -1);
	rawgen_r_init(&g, 6, 1, "TickObject", 1 * MS, -1); /* Node-internal, silent */
	rawgen_r_init(&g, 9, 1, "Timeout", 1 * MS, 0);
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 5, 3 * MS, 0);
	rawgen_output(&g, 1, "two\nthree\n", 3 * MS);
	rawgen_output(&g, 2, "<script>\x1b[2J\n", 3 * MS);
	rawgen_r_after(&g, 5, 4 * MS);
	rawgen_r_before(&g, 6, 4 * MS, 0);
	rawgen_r_after(&g, 6, 4 * MS);
	rawgen_r_before(&g, 9, 5 * MS, 0);
	rawgen_output(&g, 1, "four\n", 5 * MS);
	rawgen_r_after(&g, 9, 6 * MS);
	char err[512];
	assert_int_equal(rawgen_import(&g, dir, &db, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(db);
	test_rmdir(dir);
	return 0;
}

struct seen {
	char order[256];
	int outputs[8];
	int n;
};

static int collect(void *ctx, const struct lt_dispatch *d, const struct lt_output *out, size_t n_out)
{
	struct seen *s = ctx;
	(void)out;
	strcat(s->order, d->queue);
	strcat(s->order, " ");
	if (s->n < 8)
		s->outputs[s->n] = (int)n_out;
	s->n++;
	return 0;
}

static void walks_dispatches_in_order_with_output(void **state)
{
	(void)state;
	struct seen s = {0};
	char err[256];
	assert_int_equal(lt_replay_each(db, collect, &s, err, sizeof(err)), 0);
	assert_string_equal(s.order, "main nextTick nextTick timer ");
	assert_int_equal(s.outputs[0], 1);
	assert_int_equal(s.outputs[1], 2); /* stdout and stderr chunks */
	assert_int_equal(s.outputs[2], 0);
	assert_int_equal(s.outputs[3], 1);
}

static int stop_early(void *ctx, const struct lt_dispatch *d, const struct lt_output *out, size_t n)
{
	(void)d;
	(void)out;
	(void)n;
	return ++*(int *)ctx == 2;
}

static void callback_can_stop_the_walk(void **state)
{
	(void)state;
	int calls = 0;
	char err[256];
	assert_int_equal(lt_replay_each(db, stop_early, &calls, err, sizeof(err)), 0);
	assert_int_equal(calls, 2);
}

static char *render_text(int all)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct lt_replay_text t;
	lt_replay_text_begin(&t, f, lt_replay_origin_ns(db), all);
	assert_int_equal(lt_replay_each(db, lt_replay_text_dispatch, &t, err, sizeof(err)), 0);
	lt_replay_text_end(&t);
	fclose(f);
	return buf;
}

static void text_shows_output_and_hides_silent_internals(void **state)
{
	(void)state;
	char *s = render_text(0);
	assert_non_null(strstr(s, " > one\n"));
	assert_non_null(strstr(s, " > two\n"));
	assert_non_null(strstr(s, " > three\n"));
	assert_non_null(strstr(s, "2> <script>\\x1b[2J\n")); /* escape sequences defused */
	assert_null(strstr(s, "\x1b"));
	assert_non_null(strstr(s, "1 dispatches of Node's own"));
	assert_non_null(strstr(s, "-- iteration 1, timers phase"));
	free(s);
	s = render_text(1);
	assert_null(strstr(s, "hidden"));
	free(s);
}

static void json_has_the_documented_fields(void **state)
{
	(void)state;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct lt_replay_json r;
	lt_replay_json_begin(&r, f);
	assert_int_equal(lt_replay_each(db, lt_replay_json_dispatch, &r, err, sizeof(err)), 0);
	lt_replay_json_end(&r);
	fclose(f);
	assert_true(strncmp(buf, "{\"dispatches\":[{\"seq\":1,\"pid\":7,\"tid\":7,\"queue\":\"main\"", 52) == 0);
	const char *fields[] = {"\"type\":", "\"begin_ns\":", "\"end_ns\":", "\"trigger\":", "\"output\":["};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		assert_non_null(strstr(buf, fields[i]));
	assert_non_null(strstr(buf, "\"output\":[\"two\\nthree\\n\",\"<script>\\u001b[2J\\n\"]"));
	assert_non_null(strstr(buf, "\"output_fd\":[1,2]"));
	free(buf);
}

/* A silent 80 ms dispatch with no user site is not Node's housekeeping:
 * replay shows it, and names the user code sampled while it ran. */
static void slow_dispatches_are_never_hidden(void **state)
{
	(void)state;
	char sub[4200], err[512];
	snprintf(sub, sizeof(sub), "%s/slow", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	struct rawgen g;
	rawgen_init(&g, 8, 8, 500 * MS);
	rawgen_js_start(&g, "/app/main.js");
	uint32_t fn = rawgen_string(&g, "parseAll"), file = rawgen_string(&g, "/app/main.js");
	uint32_t inner = rawgen_string(&g, "readFileSync"), fs = rawgen_string(&g, "node:fs");
	uint32_t stack[10] = {1, 2, inner, fs, 450, 1, fn, file, 22, 7};
	rawgen_record(&g, LT_STACK, 0, stack, 10);
	rawgen_r_init(&g, 5, 1, "TickObject", 1 * MS, -1);
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 5, 3 * MS, 0);
	rawgen_r_after(&g, 5, 83 * MS);
	sqlite3 *sdb;
	assert_int_equal(rawgen_import(&g, sub, &sdb, err, sizeof(err)), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct lt_replay_text t;
	lt_replay_text_begin(&t, f, lt_replay_origin_ns(sdb), 0);
	assert_int_equal(lt_replay_each(sdb, lt_replay_text_dispatch, &t, err, sizeof(err)), 0);
	lt_replay_text_end(&t);
	fclose(f);
	assert_non_null(strstr(buf, "nextTick  TickObject       80.000 ms"));
	assert_null(strstr(buf, "hidden"));
	free(buf);
	/* With samples inside it: the user line and what it called. */
	assert_int_equal(sqlite3_exec(sdb,
				      "INSERT INTO samples(pid, tid, ts_ns, dispatch_seq, stack_id)"
				      " SELECT 8, 8, begin_ns + 10000000, seq, 1 FROM dispatches WHERE queue = 'nextTick';"
				      "INSERT INTO samples(pid, tid, ts_ns, dispatch_seq, stack_id)"
				      " SELECT 8, 8, begin_ns + 50000000, seq, 1 FROM dispatches WHERE queue = 'nextTick';",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(sdb); /* the samples are indexed once per connection (a trace is read-only) */
	char dbp[8192];
	snprintf(dbp, sizeof(dbp), "%s/trace.db", sub); /* where rawgen_import put it */
	assert_int_equal(sqlite3_open(dbp, &sdb), SQLITE_OK);
	buf = NULL;
	f = open_memstream(&buf, &len);
	lt_replay_text_begin(&t, f, lt_replay_origin_ns(sdb), 0);
	assert_int_equal(lt_replay_each(sdb, lt_replay_text_dispatch, &t, err, sizeof(err)), 0);
	fclose(f);
	assert_non_null(strstr(buf, "~ 80 ms in parseAll (/app/main.js:22) -> readFileSync  (2 of 2 samples)"));
	free(buf);
	sqlite3_close(sdb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(walks_dispatches_in_order_with_output),
		cmocka_unit_test(callback_can_stop_the_walk),
		cmocka_unit_test(text_shows_output_and_hides_silent_internals),
		cmocka_unit_test(json_has_the_documented_fields),
		cmocka_unit_test(slow_dispatches_are_never_hidden),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
