/*
 * graph.h — execution-order graphs built with libcgraph and laid out and
 * rendered in-process with libgvc (no `dot` program involved).
 *
 * The `order` view, for teaching: one cluster per process, loop iteration and
 * phase, a lane (column, titled) per queue, a node per dispatch in order
 * (coloured by queue, with the output it
 * wrote), dashed enqueue -> dispatch edges, runs of identical silent
 * dispatches collapsed into one node with a count, and at most max_nodes
 * nodes (a note says what was left out).
 *
 * The views are built in graph_order.c, graph_timeline.c (with the window
 * a long trace's timeline shows) and graph_causality.c, on the shared
 * attribute and label helpers of graph_dot.h; graph.c lays out and renders.
 *
 * Ownership: each lt_graph_* view returns a graph the caller frees with
 * agclose.  Errors: a view returns NULL with a one-line reason in err (a
 * trace it cannot read, out of memory); lt_graph_render returns 0 or -EIO.
 */
#ifndef LOOPTRACE_GRAPH_H
#define LOOPTRACE_GRAPH_H

#include <cgraph.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct lt_graph_opts {
	int64_t from_seq, to_seq; /* window, inclusive; 0 = open */
	int64_t max_nodes;
	int show_all;             /* keep Node's silent housekeeping dispatches */
};

struct lt_graph_stats {
	int64_t nodes, edges, clusters /* lanes in a timeline */, collapsed, omitted;
	int64_t lanes; /* order view: queue lanes (a title node each) */
};

/* Build the order view; NULL with a one-line reason in err on failure. */
Agraph_t *lt_graph_order(sqlite3 *db, const struct lt_graph_opts *opts, struct lt_graph_stats *st,
			 char *err, size_t errlen);

/* The timeline view: a lane per process, thread and queue, each dispatch a
 * box placed at its start time and as wide as it ran (pinned positions, no
 * layout search), dispatches longer than block_ms in red.  Same options and
 * bounds as the order view. */
Agraph_t *lt_graph_timeline(sqlite3 *db, const struct lt_graph_opts *opts, double block_ms,
			    struct lt_graph_stats *st, char *err, size_t errlen);

/* The causality view: async resources and promises created in the window
 * (by the dispatch that created them), with trigger -> resource and parent
 * -> promise edges; rejected promises red, rejections left unhandled bold
 * red, promises never settled dashed, handles still open at the end of a
 * process that did not drain its loop purple.  Repeated patterns fold: an
 * item like one already drawn under the same drawn parent joins its node,
 * which shows a count (graph_fold.h); stats->collapsed counts them.  Bounded
 * like the others. */
Agraph_t *lt_graph_causality(sqlite3 *db, const struct lt_graph_opts *opts, struct lt_graph_stats *st,
			     char *err, size_t errlen);

/* Lay out (dot for order graphs; pinned positions, the nop engine, for
 * graphs whose nodes carry pos) and render as format (svg, png, pdf, dot) into a malloc'd
 * buffer the caller frees.  Returns 0 or -EIO. */
int lt_graph_render(Agraph_t *g, const char *format, char **data, size_t *len);

#endif
