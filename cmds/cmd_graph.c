/*
 * cmd_graph.c — `looptrace graph`: the execution order drawn with Graphviz
 * (order, timeline or causality view; svg, png, pdf or dot).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../reports/graph.h"
#include "cmds.h"

struct graph_settings {
	const char *trace;
	const char *view;
	const char *format;
	const char *output;
	struct lt_graph_opts graph;
};

static const char *const views[] = {"order", "timeline", "causality", NULL};
static const char *const formats[] = {"svg", "png", "pdf", "dot", NULL};

static const struct lt_option options[] = {
	{"view", 0, NULL,
	 "Draw the dispatch order by loop phase and queue (order, the default), dispatches on a time "
	 "axis (timeline), or what created what (causality).",
	 LT_OPT_ENUM, views, offsetof(struct graph_settings, view)},
	LT_OPTION_FORMAT(struct graph_settings, format, formats,
			 "Render as SVG (the default), PNG, PDF, or the Graphviz source."),
	LT_OPTION_FROM(struct graph_settings, graph.from_seq),
	LT_OPTION_TO(struct graph_settings, graph.to_seq),
	{"max-nodes", 0, "N", "Draw at most N nodes and say what was left out (default 500).", LT_OPT_COUNT,
	 NULL, offsetof(struct graph_settings, graph.max_nodes)},
	{"all", 0, NULL, "Also draw Node's own housekeeping dispatches.", LT_OPT_FLAG, NULL,
	 offsetof(struct graph_settings, graph.show_all)},
	LT_OPTION_OUTPUT(struct graph_settings, output, "Write the drawing to FILE instead of standard output."),
};

const struct lt_command lt_command_graph = {
	.name = "graph",
	.summary = "draw the execution order with Graphviz (svg, png, pdf, dot)",
	.description = "Draw a trace with Graphviz, laid out in-process: the order in which callbacks ran, "
		       "grouped by process, loop iteration and phase; or a timeline; or the causality between "
		       "async resources and promises.  With -o, a summary of what was drawn goes to standard "
		       "error.",
	LT_OPTIONS(options),
	LT_TRACE_OPERAND(struct graph_settings, trace),
	.run = cmd_graph,
};

static Agraph_t *build(sqlite3 *db, const struct graph_settings *s, struct lt_graph_stats *st, char *err,
		       size_t errlen)
{
	if (!strcmp(s->view, "timeline"))
		return lt_graph_timeline(db, &s->graph, 50, st, err, errlen);
	if (!strcmp(s->view, "causality"))
		return lt_graph_causality(db, &s->graph, st, err, errlen);
	return lt_graph_order(db, &s->graph, st, err, errlen);
}

static void say_drawn(const struct graph_settings *s, const struct lt_graph_stats *st)
{
	if (!strcmp(s->view, "causality"))
		fprintf(stderr,
			"looptrace: %lld resources and promises drawn, %lld more folded into them, %lld edges, "
			"%lld left out -> %s\n",
			(long long)st->nodes, (long long)st->collapsed, (long long)st->edges,
			(long long)st->omitted, s->output);
	else
		fprintf(stderr,
			"looptrace: %lld dispatches drawn in %lld %s%s%.0lld%s, %lld enqueue edges, "
			"%lld collapsed, %lld left out -> %s\n",
			(long long)st->nodes, (long long)st->clusters,
			strcmp(s->view, "timeline") ? "clusters" : "lanes", st->lanes ? " on " : "",
			(long long)st->lanes, st->lanes ? " queue lanes" : "", (long long)st->edges,
			(long long)st->collapsed, (long long)st->omitted, s->output);
}

int cmd_graph(int argc, char **argv)
{
	struct graph_settings s = {.view = "order", .format = "svg", .graph = {.max_nodes = 500}};
	int status;
	if (lt_command_parse(&lt_command_graph, argc, argv, &s, &status) != 0)
		return status;

	sqlite3 *db;
	if ((status = lt_command_open_trace(s.trace, &db)) != 0)
		return status;
	if (lt_trace_is_attached(db))
		s.graph.show_all = 1;
	char err[1024];
	struct lt_graph_stats st;
	Agraph_t *g = build(db, &s, &st, err, sizeof(err));
	sqlite3_close(db);
	if (!g) {
		lt_cli_error("%s: %s", s.trace, err);
		return LT_EXIT_USAGE;
	}
	char *data = NULL;
	size_t len = 0;
	int rc = lt_graph_render(g, s.format, &data, &len);
	agclose(g);
	if (rc != 0) {
		lt_cli_error("graph: Graphviz could not lay out or render %s", s.format);
		return LT_EXIT_USAGE;
	}
	struct lt_output_file out;
	if ((status = lt_output_open(&out, &lt_command_graph, s.output, s.trace)) != 0)
		goto free_data;
	if (fwrite(data, 1, len, out.f) != len) {
		lt_output_abandon(&out);
		status = 1;
		goto free_data;
	}
	if (lt_output_commit(&out) != 0) {
		status = 1;
		goto free_data;
	}
	if (s.output)
		say_drawn(&s, &st);
free_data:
	free(data);
	return status;
}
