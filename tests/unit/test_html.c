/*
 * test_html.c — the HTML report's parts on synthetic inputs: escaping,
 * HTML-safe JSON, source excerpts (and what they refuse to read), timeline
 * marks (late timers, rejections), the step data, and the whole page of a
 * trace whose names and output are markup.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/analysis.h"
#include "analyzer/marks.h"
#include "analyzer/source.h"
#include "analyzer/store.h"
#include "rawgen.h"
#include "recorder/import.h"
#include "reports/html.h"
#include "reports/html_report.h"
#include "reports/html_steps.h"
#include "reports/json.h"
#include "testutil.h"

#define MS 1000000ull
#define FILE_JS "/app/<b>server</b>.js"

/* Run `write` into a memory buffer and return it (caller frees). */
#define CAPTURE(buf, len, stmt)                                  \
	do {                                                     \
		FILE *out_ = open_memstream(&(buf), &(len));     \
		assert_non_null(out_);                           \
		FILE *out = out_;                                \
		stmt;                                            \
		fclose(out_);                                    \
	} while (0)

static void html_text_escapes_markup_and_controls(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	static const char in[] = "<script>\"a\" & 'b'</script>\x1b[31m\n\t\xff\xc3\xa9";
	CAPTURE(buf, len, lt_html_text(out, in, sizeof(in) - 1));
	assert_string_equal(buf, "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;\\x1b[31m\n\t"
				 "\xef\xbf\xbd\xc3\xa9");
	free(buf);
	buf = NULL;
	CAPTURE(buf, len, lt_html_cstr(out, NULL));
	assert_int_equal(len, 0);
	free(buf);
}

static void json_can_be_html_safe(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	struct lt_json j;
	CAPTURE(buf, len, {
		lt_json_init(&j, out);
		j.html_safe = 1;
		lt_json_begin_array(&j);
		lt_json_cstring(&j, "</script><!-- & -->");
		lt_json_end_array(&j);
	});
	assert_string_equal(buf, "[\"\\u003c/script\\u003e\\u003c!-- \\u0026 --\\u003e\"]");
	free(buf);
	buf = NULL;
	CAPTURE(buf, len, {
		lt_json_init(&j, out);
		lt_json_cstring(&j, "<b>");
	});
	assert_string_equal(buf, "\"<b>\"");
	free(buf);
}

struct lines {
	int64_t no[16];
	char text[16][LT_SOURCE_LINE_MAX + 1];
	int n;
};

static int collect(void *ctx, int64_t no, const char *text, size_t len)
{
	struct lines *l = ctx;
	assert_true(len <= LT_SOURCE_LINE_MAX);
	l->no[l->n] = no;
	memcpy(l->text[l->n], text, len);
	l->text[l->n][len] = 0;
	return ++l->n == 16;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void source_lines_are_excerpted_only_from_program_sources(void **state)
{
	(void)state;
	const char *dir = test_tmpdir();
	char js[4096], txt[4096], url[4096], dirjs[4096], spaced[4096];
	snprintf(js, sizeof(js), "%s/app.js", dir);
	snprintf(txt, sizeof(txt), "%s/secret.txt", dir);
	snprintf(dirjs, sizeof(dirjs), "%s/folder.js", dir);
	snprintf(spaced, sizeof(spaced), "%s/my app.mjs", dir);
	char long_line[1000];
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = 0;
	char text[2048];
	snprintf(text, sizeof(text), "one\ntwo\nthree\n%s\nfive\nsix", long_line);
	write_file(js, text);
	write_file(txt, text);
	write_file(spaced, text);
	assert_int_equal(mkdir(dirjs, 0700), 0);

	struct lines l = {0};
	assert_int_equal(lt_source_lines(js, 2, 5, collect, &l), 4);
	assert_int_equal(l.no[0], 2);
	assert_string_equal(l.text[0], "two");
	assert_int_equal(l.no[2], 4);
	assert_int_equal(strlen(l.text[2]), LT_SOURCE_LINE_MAX); /* cut, not split */
	assert_int_equal(l.no[3], 5);
	assert_string_equal(l.text[3], "five");

	memset(&l, 0, sizeof(l));
	assert_int_equal(lt_source_lines(js, 5, 9, collect, &l), 2); /* ends at the last line */
	assert_string_equal(l.text[1], "six");

	/* a file:// URL, percent-encoded */
	memset(&l, 0, sizeof(l));
	snprintf(url, sizeof(url), "file://%s/my%%20app.mjs", dir);
	assert_int_equal(lt_source_lines(url, 1, 1, collect, &l), 1);
	assert_string_equal(l.text[0], "one");

	/* refused: not program source, a directory, missing, past the end, bad range */
	assert_int_equal(lt_source_lines(txt, 1, 3, collect, &l), -ENOENT);
	assert_int_equal(lt_source_lines(dirjs, 1, 3, collect, &l), -ENOENT);
	assert_int_equal(lt_source_lines("/nonexistent/x.js", 1, 3, collect, &l), -ENOENT);
	assert_int_equal(lt_source_lines(js, 40, 42, collect, &l), -ENOENT);
	assert_int_equal(lt_source_lines(js, 3, 2, collect, &l), -ENOENT);
	assert_int_equal(lt_source_lines(NULL, 1, 2, collect, &l), -ENOENT);
	assert_int_equal(lt_source_lines("file://%00.js", 1, 2, collect, &l), -ENOENT);
	rmdir(dirjs);
	test_rmdir(dir);
}

/* --- traces --- */

struct fixture {
	struct test_trace t; /* first: test_trace_setup */
};

static int setup(void **state)
{
	static struct fixture f;
	return test_trace_setup(state, &f, sizeof(f));
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	test_trace_teardown(&f->t);
	return 0;
}

static void import(struct fixture *f, struct rawgen *g)
{
	char err[512] = "";
	if (rawgen_import(g, f->t.dir, &f->t.db, err, sizeof(err)) != 0)
		fail_msg("import: %s", err);
}

static int64_t seq_of_callback(sqlite3 *db, const char *callback, int nth)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "SELECT d.seq FROM dispatches d JOIN resources r ON r.id = d.resource_id"
		 " WHERE r.callback = '%s' ORDER BY d.seq LIMIT 1 OFFSET %d",
		 callback, nth);
	return test_int(db, sql);
}

/* Timers: on time, late, an interval late only on its second run; a
 * rejection reported between dispatches. */
static void build_marked_trace(struct fixture *f)
{
	struct rawgen g;
	rawgen_init(&g, 50, 50, 1000 * MS);
	rawgen_js_start(&g, "/app/main.js");
	uint32_t site = rawgen_stack(&g, "", "/app/main.js", 3, 1);
	rawgen_r_init_ex(&g, 6, 1, "Timeout", 1 * MS, 10, site, 0, "onTime");
	rawgen_r_init_ex(&g, 7, 1, "Timeout", 1 * MS, 10, site, 0, "late");
	rawgen_r_init_ex(&g, 8, 1, "Timeout", 1 * MS, 20, site, 2 /* repeating */, "tick");
	rawgen_p_init(&g, 9, 0, 1 * MS);
	rawgen_main_end(&g, 2 * MS);
	rawgen_reject(&g, LT_REJECT_UNHANDLED, 9, "Error: <b>no</b>", 3 * MS, 1);
	rawgen_poll(&g, 3 * MS, 11 * MS, 9, 0);
	rawgen_r_before(&g, 6, 12 * MS, 0); /* due 11: 1 ms late, fine */
	rawgen_r_after(&g, 6, 13 * MS);
	rawgen_r_before(&g, 7, 13 * MS, 0);
	rawgen_r_after(&g, 7, 14 * MS);
	rawgen_poll(&g, 14 * MS, 21 * MS, 7, 0);
	rawgen_r_before(&g, 8, 21 * MS, 0); /* due 21 */
	rawgen_r_after(&g, 8, 70 * MS);     /* long */
	rawgen_poll(&g, 70 * MS, 70 * MS, 0, 0);
	rawgen_r_before(&g, 8, 72 * MS, 0); /* due 41: 31 ms late */
	rawgen_r_after(&g, 8, 73 * MS);
	import(f, &g);
}

static void marks_find_late_timers_and_rejections(void **state)
{
	struct fixture *f = *state;
	build_marked_trace(f);
	struct lt_marks m;
	assert_int_equal(lt_marks_load(f->t.db, LT_LATE_TIMER_MS, &m), 0);
	assert_null(lt_marks_find(&m, seq_of_callback(f->t.db, "onTime", 0)));
	assert_null(lt_marks_find(&m, seq_of_callback(f->t.db, "late", 0))); /* 2 ms: under the bar */
	assert_null(lt_marks_find(&m, seq_of_callback(f->t.db, "tick", 0)));
	const struct lt_mark *second = lt_marks_find(&m, seq_of_callback(f->t.db, "tick", 1));
	assert_non_null(second);
	assert_true(fabs(second->late_ms - 31.0) < 0.01);
	/* the rejection was reported after main: marked on main */
	const struct lt_mark *rej = lt_marks_find(&m, test_int(f->t.db, "SELECT seq FROM dispatches WHERE queue = 'main'"));
	assert_non_null(rej);
	assert_string_equal(rej->rejection, "unhandled-rejection");
	lt_marks_free(&m);

	/* a lower bar finds the 2 ms one too */
	assert_int_equal(lt_marks_load(f->t.db, 1.5, &m), 0);
	assert_non_null(lt_marks_find(&m, seq_of_callback(f->t.db, "late", 0)));
	lt_marks_free(&m);
}

/* A trace whose names and output are markup, and many short timers. */
static void build_hostile_trace(struct fixture *f, int timers)
{
	struct rawgen g;
	rawgen_init(&g, 60, 60, 1000 * MS);
	rawgen_js_start(&g, FILE_JS);
	uint32_t site = rawgen_stack(&g, "<img src=x onerror=alert(1)>", FILE_JS, 7, 2);
	rawgen_r_init_ex(&g, 6, 1, "Timeout", 1 * MS, 1, site, 0, "</script><script>alert(1)</script>");
	for (int i = 0; i < timers; i++)
		rawgen_r_init_ex(&g, 100 + (uint32_t)i, 1, "Timeout", 1 * MS, 200, site, 0, "short"); /* not late */
	rawgen_output(&g, 1, "main says <b>hi</b>\n", 1 * MS);
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 6, 3 * MS, 0);
	rawgen_output(&g, 1, "</script><script>alert(2)</script>\x1b[0m\n", 4 * MS);
	rawgen_r_after(&g, 6, 80 * MS);
	uint64_t t = 81 * MS;
	for (int i = 0; i < timers; i++, t += 10000) {
		rawgen_r_before(&g, 100 + (uint32_t)i, t, 0);
		rawgen_r_after(&g, 100 + (uint32_t)i, t + 5000);
	}
	import(f, &g);
}

static char *render_page(struct fixture *f)
{
	struct lt_analysis a;
	struct lt_analysis_opts o;
	char err[512] = "";
	lt_analysis_defaults(&o);
	if (lt_analyze(f->t.db, &o, &a, err, sizeof(err)) != 0)
		fail_msg("analyze: %s", err);
	char *buf = NULL;
	size_t len = 0;
	int rc;
	CAPTURE(buf, len, rc = lt_report_html(out, &a, "<trace>.db", err, sizeof(err)));
	if (rc != 0)
		fail_msg("report: %s", err);
	lt_analysis_free(&a);
	return buf;
}

static size_t occurrences(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void page_escapes_everything_the_program_controls(void **state)
{
	struct fixture *f = *state;
	build_hostile_trace(f, 3);
	char *page = render_page(f);
	/* exactly the page's own two script elements */
	assert_int_equal(occurrences(page, "<script"), 2);
	assert_int_equal(occurrences(page, "</script>"), 2);
	assert_null(strstr(page, "<img"));
	assert_null(strstr(page, "<b>"));
	assert_null(strstr(page, "\x1b"));
	assert_non_null(strstr(page, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;")); /* the long task */
	assert_non_null(strstr(page, "\\u003c/script\\u003e\\u003cscript\\u003ealert(2)")); /* step output */
	assert_non_null(strstr(page, "&lt;trace&gt;.db"));
	assert_non_null(strstr(page, "<section id=\"findings\">"));
	assert_non_null(strstr(page, "data-kind=\"blocking-task\""));
	assert_non_null(strstr(page, "<rect class=\"d q-timer long\""));
	free(page);
}

static void timeline_merges_short_dispatches(void **state)
{
	struct fixture *f = *state;
	build_hostile_trace(f, 5000);
	char *page = render_page(f);
	const char *stats = strstr(page, "id=\"timeline-stats\" data-boxes=\"");
	assert_non_null(stats);
	long boxes = strtol(stats + strlen("id=\"timeline-stats\" data-boxes=\""), NULL, 10);
	/* 5000 timers of 5 us, 10 us apart, over ~1100 px: a few hundred boxes at most */
	assert_true(boxes > 2);
	assert_true(boxes < 1200);
	assert_non_null(strstr(page, " timer dispatches from #")); /* a merged box's title */
	free(page);
}

static void steps_are_bounded(void **state)
{
	struct fixture *f = *state;
	build_hostile_trace(f, 50);
	char *buf = NULL, err[256] = "";
	size_t len = 0;
	int rc;
	CAPTURE(buf, len, rc = lt_html_steps_json(out, f->t.db, 5, err, sizeof(err)));
	assert_int_equal(rc, 0);
	assert_non_null(strstr(buf, "\"shown\":5,"));
	assert_non_null(strstr(buf, "\"truncated\":true"));
	assert_int_equal(occurrences(buf, "\"seq\":"), 5);
	assert_null(strstr(buf, "<"));
	free(buf);
	buf = NULL;
	CAPTURE(buf, len, rc = lt_html_steps_json(out, f->t.db, 1000, err, sizeof(err)));
	assert_int_equal(rc, 0);
	assert_non_null(strstr(buf, "\"truncated\":false"));
	assert_non_null(strstr(buf, "\"enqueued\":1,")); /* the timers were queued by main, #1 */
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(html_text_escapes_markup_and_controls),
		cmocka_unit_test(json_can_be_html_safe),
		cmocka_unit_test(source_lines_are_excerpted_only_from_program_sources),
		cmocka_unit_test_setup_teardown(marks_find_late_timers_and_rejections, setup, teardown),
		cmocka_unit_test_setup_teardown(page_escapes_everything_the_program_controls, setup, teardown),
		cmocka_unit_test_setup_teardown(timeline_merges_short_dispatches, setup, teardown),
		cmocka_unit_test_setup_teardown(steps_are_bounded, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
