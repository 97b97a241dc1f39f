/*
 * fuzz_trace.c — libFuzzer harness: the input is a trace (an SQLite file
 * image), opened through the store as `report`, `replay`, `graph` and
 * `export` open it, then read by every report: text, JSON and HTML, the
 * replay as text and JSON, the three graph views (built, written as DOT and,
 * when small and FUZZ_TRACE_RENDER=1, laid out and rendered) and the Chrome
 * trace export.
 *
 * A crash, a leak, undefined behaviour, or a run past libFuzzer's -timeout
 * or -rss_limit_mb is a finding; an error return is not (bad traces are
 * refused with one line).  Seeds: tests/fuzz/corpus/trace/, small recorded
 * traces VACUUMed to 512-byte pages (tests/fuzz/make-trace-seeds.sh).
 * FUZZ_TRACE_VERBOSE=1 prints why a trace was refused.
 */
#include <fcntl.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/analysis.h"
#include "analyzer/compare.h"
#include "analyzer/replay.h"
#include "analyzer/store.h"
#include "reports/chrome_export.h"
#include "reports/diff_format.h"
#include "reports/graph.h"
#include "reports/html_report.h"
#include "reports/lesson_page.h"
#include "reports/lesson_text.h"
#include "reports/replay_format.h"
#include "reports/report_format.h"
#include "reports/sarif.h"

/* Graphs up to this many nodes are laid out and rendered too. */
#define RENDER_NODES 16

static FILE *sink;
/* Laying out and rendering costs ~10x the rest of a run (Graphviz measures
 * every label through pango): off while fuzzing, on when replaying the
 * committed inputs (FUZZ_TRACE_RENDER=1, set by the replay ctest). */
static int render;
static char path[64];

static int write_image(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	close(fd);
	return 0;
}

static void reports(sqlite3 *db)
{
	char err[1024];
	struct lt_analysis_opts opts;
	lt_analysis_defaults(&opts);
	struct lt_analysis a;
	if (lt_analyze(db, &opts, &a, err, sizeof(err)) == 0) {
		lt_report_text(sink, &a, 0);
		lt_report_json(sink, &a);
		lt_report_html(sink, &a, "trace.db", err, sizeof(err));
		lt_report_sarif(sink, &a, "/tmp", "0");
		/* diff: the trace against itself (every reader of compare.c) */
		struct lt_comparison c;
		struct lt_gates g;
		if (lt_compare(&a, &a, &c) == 0) {
			struct lt_diff_view v = {"a.db", "b.db", &c, NULL, 10};
			if (lt_gates_parse("p99_lag>+20%,new,elu>0.5", &g, err, sizeof(err)) == 0)
				v.gates = &g;
			lt_diff_text(sink, &v);
			lt_diff_json(sink, &v);
			lt_diff_html(sink, &v);
			lt_comparison_free(&c);
		}
	}
	lt_analysis_free(&a);
}

static void replays(sqlite3 *db)
{
	char err[1024];
	struct lt_replay_text t;
	lt_replay_text_begin(&t, sink, lt_replay_origin_ns(db), 1);
	if (lt_replay_each(db, lt_replay_text_dispatch, &t, err, sizeof(err)) == 0)
		lt_replay_text_end(&t);
	struct lt_replay_json j;
	lt_replay_json_begin(&j, sink);
	lt_replay_each(db, lt_replay_json_dispatch, &j, err, sizeof(err));
	lt_replay_json_end(&j);
	/* the filters: a window, a process, a shortest duration, a pattern */
	static regex_t re;
	static int compiled;
	if (!compiled)
		compiled = regcomp(&re, "a|[0-9]", REG_EXTENDED | REG_NOSUB) == 0 ? 1 : -1;
	const int64_t one[] = {1};
	uint64_t left_out = 0;
	const struct lt_replay_opts f = {.from_seq = 2, .to_seq = 400, .pids = one, .n_pids = 1, .min_ms = 0.001,
					 .grep = compiled == 1 ? &re : NULL, .left_out = &left_out};
	lt_replay_text_begin(&t, sink, lt_replay_origin_ns(db), 0);
	if (lt_replay_each_with(db, &f, lt_replay_text_dispatch, &t, err, sizeof(err)) == 0) {
		t.left_out = left_out;
		lt_replay_text_end(&t);
	}
	const struct lt_replay_opts slow = {.min_ms = 1};
	lt_replay_text_begin(&t, sink, lt_replay_origin_ns(db), 1);
	lt_replay_each_with(db, &slow, lt_replay_text_dispatch, &t, err, sizeof(err));
}

/* The lesson page and replay --step: steps, why-now sentences, the stored
 * sources (table sources, when the input has one). */
static void lessons(sqlite3 *db)
{
	char err[1024];
	struct lt_lesson l;
	if (lt_lesson_load(db, NULL, 400, &l, err, sizeof(err)) == 0) {
		const struct lt_lesson_info info = {.title = "fuzz", .command = "node fuzz.js", .runtime = "Node v0"};
		lt_lesson_page(sink, &l, &info);
		for (size_t i = 0; i < l.n; i++)
			lt_lesson_text_step(sink, &l, i);
	}
	lt_lesson_free(&l); /* a failed load may hold part of the steps */
}

static void graph(Agraph_t *g, const struct lt_graph_stats *st)
{
	if (!g)
		return;
	agwrite(g, sink);
	if (render && st->nodes <= RENDER_NODES) {
		char *data = NULL;
		size_t len = 0;
		if (lt_graph_render(g, "dot", &data, &len) == 0)
			free(data);
	}
	agclose(g);
}

static void graphs(sqlite3 *db)
{
	char err[1024];
	struct lt_graph_stats st;
	for (int all = 0; all <= 1; all++) {
		struct lt_graph_opts o = {.max_nodes = 60, .show_all = all};
		graph(lt_graph_order(db, &o, &st, err, sizeof(err)), &st);
		graph(lt_graph_timeline(db, &o, 50, &st, err, sizeof(err)), &st);
		graph(lt_graph_causality(db, &o, &st, err, sizeof(err)), &st);
	}
	struct lt_graph_opts few = {.max_nodes = 3}; /* a "long" trace: the window around the worst lag */
	graph(lt_graph_timeline(db, &few, 50, &st, err, sizeof(err)), &st);
	struct lt_graph_opts window = {.from_seq = 2, .to_seq = 6, .max_nodes = 8};
	graph(lt_graph_order(db, &window, &st, err, sizeof(err)), &st);
	graph(lt_graph_timeline(db, &window, 50, &st, err, sizeof(err)), &st);
	graph(lt_graph_causality(db, &window, &st, err, sizeof(err)), &st);
}

/* Once per process (here, not in LLVMFuzzerInitialize: replay_main.c runs
 * the harness without libFuzzer). */
static int setup(void)
{
	if (sink)
		return 0;
	sink = fopen("/dev/null", "w");
	/* Every input has its values checked: no record of checked traces is
	 * read or written (checked_traces.h), so nothing on disk outlives an
	 * input and a passing one costs no settle wait. */
	setenv("LOOPTRACE_FULL_CHECK", "1", 1);
	render = getenv("FUZZ_TRACE_RENDER") && !strcmp(getenv("FUZZ_TRACE_RENDER"), "1");
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%.32s/fuzz_trace.%d.db", dir && *dir ? dir : "/tmp", (int)getpid());
	return sink ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (setup() != 0 || write_image(data, size) != 0)
		abort(); /* the harness's own file: not the input's fault */
	sqlite3 *db;
	char err[1024];
	if (lt_store_open(path, &db, err, sizeof(err)) == 0) {
		reports(db);
		replays(db);
		lessons(db);
		graphs(db);
		struct lt_export_stats xs;
		lt_export_chrome(db, NULL, sink, &xs, err, sizeof(err));
		const int64_t one[] = {1};
		const struct lt_export_window xw = {.from_seq = 2, .to_seq = 6, .pids = one, .n_pids = 1};
		lt_export_chrome(db, &xw, sink, &xs, err, sizeof(err));
		sqlite3_close(db);
	} else if (getenv("FUZZ_TRACE_VERBOSE")) {
		fprintf(stderr, "fuzz_trace: %s\n", err);
	}
	unlink(path);
	return 0;
}
