/*
 * test_graph.c — the order graph: clusters per iteration and phase, nodes,
 * enqueue edges, collapsed runs, the node bound, hostile labels; its DOT
 * output parses back with libcgraph.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/store.h"
#include "rawgen.h"
#include "recorder/import.h"
#include "reports/causality_items.h"
#include "reports/graph.h"
#include "testutil.h"

#define MS 1000000ull

static char dir[4096];
static sqlite3 *db;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	struct rawgen g;
	rawgen_init(&g, 9, 9, 100 * MS);
	rawgen_js_start(&g, "/app/p.js");
	uint32_t site = rawgen_stack(&g, "start", "/app/p.js", 3, 1);
	rawgen_output(&g, 1, "<script>\"x\"\\N & \x1b[1m\n", 1 * MS);
	rawgen_r_init_ex(&g, 5, 1, "Timeout", 1 * MS, 1, site, 0, "tick");
	for (uint32_t i = 0; i < 5; i++)
		rawgen_r_init_ex(&g, 10 + i, 1, "Immediate", 1 * MS, -1, site, 0, "again");
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 5, 3 * MS, 0);
	rawgen_output(&g, 1, "timer ran\n", 3 * MS);
	rawgen_r_after(&g, 5, 4 * MS);
	rawgen_poll(&g, 5 * MS, 6 * MS, 0, 0);
	for (uint32_t i = 0; i < 5; i++) { /* five silent identical immediates */
		rawgen_r_before(&g, 10 + i, (7 + i) * MS, 0);
		rawgen_r_after(&g, 10 + i, (7 + i) * MS + 1000);
	}
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

static Agraph_t *reparse(Agraph_t *g)
{
	char *dot = NULL;
	size_t len = 0;
	assert_int_equal(lt_graph_render(g, "dot", &dot, &len), 0);
	char *text = malloc(len + 1);
	memcpy(text, dot, len);
	text[len] = '\0';
	free(dot);
	Agraph_t *back = agmemread(text);
	free(text);
	assert_non_null(back);
	return back;
}

static int clusters(Agraph_t *g)
{
	int n = 0;
	for (Agraph_t *s = agfstsubg(g); s; s = agnxtsubg(s))
		n += strncmp(agnameof(s), "cluster_", 8) == 0;
	return n;
}

static void order_view_structure_and_reparse(void **state)
{
	(void)state;
	struct lt_graph_opts o = {.max_nodes = 100};
	struct lt_graph_stats st;
	char err[256];
	Agraph_t *g = lt_graph_order(db, &o, &st, err, sizeof(err));
	assert_non_null(g);
	/* main, iteration 1 timers, iteration 1 check */
	assert_int_equal(st.clusters, 3);
	/* main, the timer, and the five immediates collapsed into one */
	assert_int_equal(st.nodes, 3);
	assert_int_equal(st.collapsed, 4);
	assert_int_equal(st.edges, 2); /* main -> timer, main -> immediates */
	Agraph_t *back = reparse(g);
	assert_int_equal(clusters(back), 3);
	/* three dispatch nodes and a title per queue lane: main, timer, immediate */
	assert_int_equal(st.lanes, 3);
	assert_int_equal(agnnodes(back), 3 + 3);
	Agnode_t *title = agnode(back, "lane_immediate", 0);
	assert_non_null(title);
	assert_string_equal(agget(title, "label"), "immediate");
	assert_string_equal(agget(agnode(back, "d1", 0), "group"), "main");
	Agnode_t *main_node = agnode(back, "d1", 0);
	assert_non_null(main_node);
	const char *label = agget(main_node, "label");
	assert_non_null(strstr(label, "<script>\"x\"\\\\N & \\\\x1b[1m")); /* escaped, not expanded */
	Agnode_t *imm = agfstnode(back);
	int found = 0;
	for (; imm; imm = agnxtnode(back, imm))
		found |= strstr(agget(imm, "label"), "×5") != NULL;
	assert_true(found);
	agclose(back);
	agclose(g);
}

static void node_bound_and_window(void **state)
{
	(void)state;
	struct lt_graph_opts o = {.max_nodes = 1};
	struct lt_graph_stats st;
	char err[256];
	Agraph_t *g = lt_graph_order(db, &o, &st, err, sizeof(err));
	assert_int_equal(st.nodes, 1);
	assert_true(st.omitted >= 2);
	assert_non_null(agnode(g, "omitted", 0));
	agclose(g);
	struct lt_graph_opts w = {.from_seq = 2, .to_seq = 2, .max_nodes = 100};
	g = lt_graph_order(db, &w, &st, err, sizeof(err));
	assert_int_equal(st.nodes, 1);
	assert_int_equal(st.clusters, 1);
	agclose(g);
}

static void renders_every_format(void **state)
{
	(void)state;
	struct lt_graph_opts o = {.max_nodes = 100};
	struct lt_graph_stats st;
	char err[256];
	static const char *const formats[] = {"svg", "png", "pdf"};
	static const char *const magic[] = {"<?xml", "\x89PNG", "%PDF"};
	for (int i = 0; i < 3; i++) {
		Agraph_t *g = lt_graph_order(db, &o, &st, err, sizeof(err));
		char *data = NULL;
		size_t len = 0;
		assert_int_equal(lt_graph_render(g, formats[i], &data, &len), 0);
		assert_true(len > 100);
		assert_memory_equal(data, magic[i], strlen(magic[i]));
		free(data);
		agclose(g);
	}
}

static void timeline_pins_boxes_to_time(void **state)
{
	(void)state;
	struct lt_graph_opts o = {.max_nodes = 100};
	struct lt_graph_stats st;
	char err[256];
	Agraph_t *g = lt_graph_timeline(db, &o, 0.5, &st, err, sizeof(err));
	assert_non_null(g);
	assert_int_equal(st.clusters, 3);  /* lanes: main, timer, immediate */
	assert_int_equal(st.nodes, 7);     /* main, the timer, five immediates */
	Agraph_t *back = reparse(g);
	Agnode_t *timer = agnode(back, "d2", 0);
	assert_non_null(timer);
	double x, y;
	assert_int_equal(sscanf(agget(timer, "pos"), "%lf,%lf", &x, &y), 2);
	Agnode_t *first_immediate = agnode(back, "d3", 0);
	double x2, y2;
	assert_int_equal(sscanf(agget(first_immediate, "pos"), "%lf,%lf", &x2, &y2), 2);
	assert_true(x2 > x);  /* later in time, further right */
	assert_true(y2 != y); /* another lane */
	assert_string_equal(agget(timer, "fillcolor"), "#e63946"); /* 1 ms > 0.5 ms */
	agclose(back);
	agclose(g);
}

static void causality_marks_rejections(void **state)
{
	(void)state;
	/* a separate trace: a rejected, unhandled promise and its chain */
	char d[4096], err[256];
	snprintf(d, sizeof(d), "%s", test_tmpdir());
	struct rawgen g;
	rawgen_init(&g, 9, 9, 100 * MS);
	rawgen_js_start(&g, "/app/q.js");
	uint32_t site = rawgen_stack(&g, "load", "/app/q.js", 7, 3);
	rawgen_p_init_stack(&g, 1, 0, 1 * MS, site);
	rawgen_p_init(&g, 2, 1, 1 * MS);
	rawgen_p_init(&g, 3, 0, 1 * MS); /* never settles */
	rawgen_p_event(&g, LT_P_SETTLE, 1, 1 * MS);
	rawgen_main_end(&g, 2 * MS);
	rawgen_reject(&g, LT_REJECT_UNHANDLED, 1, "Error: nope", 3 * MS, 1);
	sqlite3 *h;
	assert_int_equal(rawgen_import(&g, d, &h, err, sizeof(err)), 0);
	struct lt_graph_opts o = {.max_nodes = 100};
	struct lt_graph_stats st;
	Agraph_t *gr = lt_graph_causality(h, &o, &st, err, sizeof(err));
	assert_non_null(gr);
	assert_int_equal(st.nodes, 3);
	assert_int_equal(st.edges, 1);
	Agraph_t *back = reparse(gr);
	Agnode_t *p1 = agnode(back, "p1", 0), *p2 = agnode(back, "p2", 0), *p3 = agnode(back, "p3", 0);
	assert_non_null(p1);
	assert_non_null(agedge(back, p1, p2, NULL, 0));
	assert_non_null(strstr(agget(p1, "label"), "unhandled"));
	assert_non_null(strstr(agget(p1, "label"), "q.js:7"));
	assert_string_equal(agget(p1, "penwidth"), "3");
	assert_non_null(strstr(agget(p3, "label"), "never settled"));
	agclose(back);
	agclose(gr);
	sqlite3_close(h);
	test_rmdir(d);
}

/* A callback that reschedules itself 50 times, and 30 immediates from one
 * place: folded into two nodes with counts, the chain drawn as a loop. */
static void causality_folds_repeated_patterns(void **state)
{
	(void)state;
	char d[4096], err[256];
	snprintf(d, sizeof(d), "%s", test_tmpdir());
	struct rawgen g;
	rawgen_init(&g, 9, 9, 100 * MS);
	rawgen_js_start(&g, "/app/r.js");
	uint32_t poll_site = rawgen_stack(&g, "poll", "/app/r.js", 4, 3);
	uint32_t fan_site = rawgen_stack(&g, "fan", "/app/r.js", 9, 5);
	rawgen_r_init_ex(&g, 100, 1, "Timeout", 1 * MS, 5, poll_site, 0, "poll");
	for (uint32_t i = 0; i < 30; i++)
		rawgen_r_init_ex(&g, 300 + i, 1, "Immediate", 1 * MS, -1, fan_site, 0, "work");
	rawgen_main_end(&g, 2 * MS);
	uint64_t t = 3 * MS;
	for (uint32_t i = 0; i < 50; i++, t += 2 * MS) {
		rawgen_r_before(&g, 100 + i, t, 0);
		rawgen_r_init_ex(&g, 101 + i, 100 + i, "Timeout", t + 1000, 5, poll_site, 0, "poll");
		rawgen_r_after(&g, 100 + i, t + 2000);
	}
	sqlite3 *h;
	assert_int_equal(rawgen_import(&g, d, &h, err, sizeof(err)), 0);
	struct lt_graph_opts o = {.max_nodes = 100};
	struct lt_graph_stats st;
	Agraph_t *gr = lt_graph_causality(h, &o, &st, err, sizeof(err));
	assert_non_null(gr);
	assert_int_equal(st.nodes, 2);
	assert_int_equal(st.collapsed, 50 + 29);
	assert_int_equal(st.omitted, 0);
	Agraph_t *back = reparse(gr);
	Agnode_t *chain = agnode(back, "r100", 0);
	assert_non_null(chain);
	assert_non_null(strstr(agget(chain, "label"), "Timeout ×51"));
	Agedge_t *loop = agedge(back, chain, chain, NULL, 0);
	assert_non_null(loop);
	assert_string_equal(agget(loop, "label"), "repeats");
	int fan_found = 0;
	for (Agnode_t *n = agfstnode(back); n; n = agnxtnode(back, n))
		fan_found += strstr(agget(n, "label"), "Immediate ×30") != NULL;
	assert_int_equal(fan_found, 1);
	agclose(back);
	agclose(gr);

	/* The same resources numbered backwards (rowid order is no longer
	 * creation order): the unsorted scan notices, the view sorts and draws
	 * the same folds. */
	assert_int_equal(sqlite3_exec(h,
				      "UPDATE resources SET id = 1000000 - id, trigger_id = 1000000 - trigger_id"
				      " WHERE trigger_id IS NOT NULL;"
				      "UPDATE resources SET id = 1000000 - id WHERE trigger_id IS NULL",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	struct lt_causality_items *it;
	struct lt_causality_item item;
	assert_int_equal(lt_causality_items_open(h, 0, INT64_MAX, 0, &it), 0);
	int got;
	while ((got = lt_causality_items_next(it, &item)) == 1)
		;
	assert_int_equal(got, -EAGAIN);
	lt_causality_items_close(it);
	struct lt_graph_stats again;
	gr = lt_graph_causality(h, &o, &again, err, sizeof(err));
	assert_non_null(gr);
	assert_int_equal(again.nodes, st.nodes);
	assert_int_equal(again.collapsed, st.collapsed);
	assert_int_equal(again.edges, st.edges);
	back = reparse(gr);
	chain = agnode(back, "r999900", 0);
	assert_non_null(chain);
	assert_non_null(strstr(agget(chain, "label"), "Timeout ×51"));
	assert_non_null(agedge(back, chain, chain, NULL, 0));
	agclose(back);
	agclose(gr);
	sqlite3_close(h);
	test_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order_view_structure_and_reparse),
		cmocka_unit_test(node_bound_and_window),
		cmocka_unit_test(renders_every_format),
		cmocka_unit_test(timeline_pins_boxes_to_time),
		cmocka_unit_test(causality_marks_rejections),
		cmocka_unit_test(causality_folds_repeated_patterns),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
