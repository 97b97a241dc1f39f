/*
 * graph_order.c — the order view (graph.h): a cluster per process, loop
 * iteration and phase, a lane per queue, a node per dispatch in order.
 */
#include "graph.h"

#include <stdio.h>
#include <string.h>

#include "../analyzer/locations.h"
#include "../analyzer/queue.h"
#include "graph_dot.h"

/* Output lines drawn in a node: all of them (as many as a label holds)
 * when the window's whole output is short, a teaching-sized program; a few
 * otherwise. */
#define OUTPUT_LINES 4
#define SHORT_OUTPUT_LINES 200
#define ALL_OUTPUT_LINES 40

static const char output_lines_sql[] =
	"SELECT COALESCE(SUM(length(text) - length(replace(text, char(10), ''))), 0) FROM output"
	" WHERE dispatch_seq >= ? AND dispatch_seq <= ?";

static int lines_per_node(sqlite3 *db, int64_t from, int64_t to)
{
	sqlite3_stmt *s;
	int64_t total = SHORT_OUTPUT_LINES + 1;
	if (sqlite3_prepare_v2(db, output_lines_sql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, from);
		sqlite3_bind_int64(s, 2, to);
		if (sqlite3_step(s) == SQLITE_ROW)
			total = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	return total <= SHORT_OUTPUT_LINES ? ALL_OUTPUT_LINES : OUTPUT_LINES;
}

static const char order_sql[] =
	"SELECT d.seq, d.pid, d.iteration, d.phase, d.queue, d.type, COALESCE(r.callback, ''),"
	" u.function, u.file, u.line,"
	" COALESCE(r.stack_id, p.stack_id) IS NOT COALESCE(r.site_stack_id, p.site_stack_id),"
	" (SELECT group_concat(o.text, '') FROM output o WHERE o.dispatch_seq = d.seq),"
	" d.trigger_seq, d.depth"
	" FROM dispatches d"
	" LEFT JOIN resources r ON r.id = d.resource_id"
	" LEFT JOIN promises p ON p.id = d.promise_id"
	" LEFT JOIN temp.user_frame u ON u.stack_id = COALESCE(r.site_stack_id, p.site_stack_id)"
	" WHERE d.seq >= ? AND d.seq <= ? ORDER BY d.seq";

struct builder {
	Agraph_t *g, *cluster;
	char cluster_key[128];
	Agnode_t *last;          /* last node placed, for the ordering edges */
	Agnode_t *lane_head[LT_QUEUE_COUNT + 1]; /* a title per queue used, last: other */
	Agnode_t *run;           /* a collapsible run in progress */
	char run_key[4600];
	char run_head[LT_DOT_LABEL_BYTES];
	int64_t run_count;
	struct lt_graph_stats *st;
};

static void cluster_key(char *key, size_t cap, int64_t pid, int64_t iteration, const char *phase)
{
	snprintf(key, cap, "cluster_%lld_%lld_%s", (long long)pid, (long long)iteration, phase);
}

static Agraph_t *cluster_for(struct builder *b, int64_t pid, int64_t iteration, const char *phase)
{
	char key[128];
	cluster_key(key, sizeof(key), pid, iteration, phase);
	if (b->cluster && !strcmp(key, b->cluster_key))
		return b->cluster;
	snprintf(b->cluster_key, sizeof(b->cluster_key), "%s", key);
	b->cluster = agsubg(b->g, key, 1);
	char label[128];
	if (!strcmp(phase, "main") || !strcmp(phase, "exit"))
		snprintf(label, sizeof(label), "pid %lld: %s", (long long)pid, phase);
	else
		snprintf(label, sizeof(label), "pid %lld: iteration %lld, %s phase", (long long)pid,
			 (long long)iteration, phase);
	lt_dot_set(b->cluster, "label", label);
	lt_dot_set(b->cluster, "style", "rounded");
	lt_dot_set(b->cluster, "labeljust", "l");
	b->st->clusters++;
	b->run = NULL;
	return b->cluster;
}

/* Lanes: a title node per queue on the top rank, and every dispatch in the
 * group of its queue, which dot keeps in one column as far as the order
 * allows; an invisible edge from the title pulls the queue's first dispatch
 * under it. */
static int queue_index(const char *queue)
{
	for (int q = 0; q < LT_QUEUE_COUNT; q++)
		if (!strcmp(queue, lt_queue_name((enum lt_queue)q)))
			return q;
	return LT_QUEUE_COUNT;
}

static void lane_place(struct builder *b, Agnode_t *n, const char *queue)
{
	int q = queue_index(queue);
	const char *name = q < LT_QUEUE_COUNT ? lt_queue_name((enum lt_queue)q) : "other";
	lt_dot_set(n, "group", name);
	if (!b->lane_head[q]) {
		char id[32];
		snprintf(id, sizeof(id), "lane_%s", name);
		Agnode_t *h = agnode(b->g, id, 1);
		lt_dot_set(h, "label", name);
		lt_dot_set(h, "shape", "plaintext");
		lt_dot_set(h, "style", "");
		lt_dot_set(h, "fontcolor", "#555555");
		lt_dot_set(h, "group", name);
		b->lane_head[q] = h;
		b->st->lanes++;
		Agedge_t *e = agedge(b->g, h, n, NULL, 1);
		lt_dot_set(e, "style", "invis");
		lt_dot_set(e, "weight", "5");
	}
}

/* The titles on one rank, left to right in queue order. */
static void lane_titles(struct builder *b)
{
	Agraph_t *row = agsubg(b->g, "lanes", 1);
	lt_dot_set(row, "rank", "min");
	Agnode_t *prev = NULL;
	for (int q = 0; q <= LT_QUEUE_COUNT; q++) {
		if (!b->lane_head[q])
			continue;
		agsubnode(row, b->lane_head[q], 1);
		if (prev) {
			Agedge_t *e = agedge(b->g, prev, b->lane_head[q], NULL, 1);
			lt_dot_set(e, "style", "invis");
		}
		prev = b->lane_head[q];
	}
}

static void order_edge(struct builder *b, Agnode_t *n)
{
	if (b->last) {
		Agedge_t *e = agedge(b->g, b->last, n, NULL, 1);
		lt_dot_set(e, "style", "invis");
		lt_dot_set(e, "weight", "10");
	}
	b->last = n;
}

Agraph_t *lt_graph_order(sqlite3 *db, const struct lt_graph_opts *o, struct lt_graph_stats *st,
			 char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	sqlite3_stmt *s;
	if (lt_locations_prepare(db) != 0 || sqlite3_prepare_v2(db, order_sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_bind_int64(s, 1, o->from_seq > 0 ? o->from_seq : 0);
	sqlite3_bind_int64(s, 2, o->to_seq > 0 ? o->to_seq : INT64_MAX);

	int max_lines = lines_per_node(db, o->from_seq > 0 ? o->from_seq : 0, o->to_seq > 0 ? o->to_seq : INT64_MAX);
	struct builder b = {.st = st};
	agseterr(AGMAX); /* Graphviz's own messages would break our one-line contract */
	b.g = agopen("order", Agdirected, NULL);
	lt_dot_set(b.g, "rankdir", "TB");
	lt_dot_set(b.g, "newrank", "true"); /* ranks across clusters: the lane titles' row */
	lt_dot_set(b.g, "nodesep", "0.3");
	lt_dot_set(b.g, "ranksep", "0.25");
	agattr(b.g, AGNODE, "shape", "box");
	agattr(b.g, AGNODE, "style", "rounded,filled");
	agattr(b.g, AGNODE, "fontname", "Helvetica");
	agattr(b.g, AGNODE, "fontsize", "10");
	agattr(b.g, AGRAPH, "fontname", "Helvetica");

	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0);
		const char *queue = (const char *)sqlite3_column_text(s, 4);
		const char *type = (const char *)sqlite3_column_text(s, 5);
		const char *callback = (const char *)sqlite3_column_text(s, 6);
		const char *function = (const char *)sqlite3_column_text(s, 7);
		const char *file = (const char *)sqlite3_column_text(s, 8);
		int inherited = sqlite3_column_int(s, 10);
		const char *out = (const char *)sqlite3_column_text(s, 11);
		queue = queue ? queue : "";
		type = type ? type : "";
		int silent = !out || !*out;
		if (!o->show_all && silent && (!file || inherited) && strcmp(queue, "main") && strcmp(queue, "exit"))
			continue; /* Node's housekeeping, as in replay */
		if (sqlite3_column_int64(s, 13) > 1 && silent && !o->show_all)
			continue; /* silent nested dispatches add nothing to the order */

		/* Past the bound only a run in progress can grow: no new clusters
		 * (a cluster per left-out dispatch made 100k traces take 16 s). */
		if (st->nodes >= o->max_nodes) {
			char ck[128];
			cluster_key(ck, sizeof(ck), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
				    (const char *)sqlite3_column_text(s, 3));
			if (!(silent && b.run && !strcmp(ck, b.cluster_key))) {
				st->omitted++;
				continue;
			}
		}
		Agraph_t *c = cluster_for(&b, sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
					  (const char *)sqlite3_column_text(s, 3));
		char key[4600];
		snprintf(key, sizeof(key), "%s|%s|%s|%s|%lld", queue, type, callback ? callback : "",
			 file ? file : "", (long long)sqlite3_column_int64(s, 9));
		if (silent && b.run && !strcmp(key, b.run_key)) {
			char label[LT_DOT_LABEL_BYTES + 32];
			b.run_count++;
			snprintf(label, sizeof(label), "%.*s\\n×%lld", LT_DOT_LABEL_BYTES - 1, b.run_head,
				 (long long)b.run_count);
			lt_dot_set(b.run, "label", label);
			st->collapsed++;
			continue;
		}
		if (st->nodes >= o->max_nodes) {
			st->omitted++;
			continue;
		}
		char name[32], head[LT_DOT_LABEL_BYTES] = "", label[LT_DOT_LABEL_BYTES] = "";
		snprintf(name, sizeof(name), "d%lld", (long long)seq);
		Agnode_t *n = agnode(c, name, 1);
		snprintf(head, sizeof(head), "#%lld %s · %s", (long long)seq, queue, type);
		if ((callback && *callback) || (function && *function) || file) {
			lt_dot_label_raw(head, sizeof(head), "\\n");
			lt_dot_label_add(head, sizeof(head), callback && *callback ? callback : function ? function : "");
			if (file) {
				char where[64];
				snprintf(where, sizeof(where), ":%lld", (long long)sqlite3_column_int64(s, 9));
				lt_dot_label_add(head, sizeof(head), " ");
				lt_dot_label_add(head, sizeof(head), lt_dot_base_name(file));
				lt_dot_label_add(head, sizeof(head), where);
			}
		}
		snprintf(label, sizeof(label), "%s", head);
		if (!silent) {
			/* the output, a few lines, each as `> text` */
			const char *p = out;
			for (int k = 0; *p && k < max_lines; k++) {
				const char *nl = strchr(p, '\n');
				size_t len = nl ? (size_t)(nl - p) : strlen(p);
				lt_dot_label_raw(label, sizeof(label), "\\n> ");
				lt_dot_label_append(label, sizeof(label), p, len > 60 ? 60 : len);
				p += len + (nl ? 1 : 0);
			}
			if (*p)
				lt_dot_label_raw(label, sizeof(label), "\\n> …");
		}
		lt_dot_set(n, "label", label);
		lt_dot_set(n, "fillcolor", lt_dot_colour_of(queue));
		lt_dot_set(n, "tooltip", head);
		st->nodes++;
		lane_place(&b, n, queue);
		order_edge(&b, n);
		b.run = silent ? n : NULL;
		b.run_count = 1;
		snprintf(b.run_key, sizeof(b.run_key), "%s", key);
		snprintf(b.run_head, sizeof(b.run_head), "%s", head);

		/* enqueue -> dispatch, when the scheduling dispatch is drawn */
		if (sqlite3_column_type(s, 12) != SQLITE_NULL) {
			char from[32];
			snprintf(from, sizeof(from), "d%lld", (long long)sqlite3_column_int64(s, 12));
			Agnode_t *t = agnode(b.g, from, 0);
			if (t && t != n) {
				Agedge_t *e = agedge(b.g, t, n, NULL, 1);
				lt_dot_set(e, "style", "dashed");
				lt_dot_set(e, "color", "#888888");
				lt_dot_set(e, "constraint", "false");
				st->edges++;
			}
		}
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
		agclose(b.g);
		return NULL;
	}
	if (st->omitted) {
		char note[128];
		snprintf(note, sizeof(note), "… %lld more dispatches not drawn (narrow with --from/--to)",
			 (long long)st->omitted);
		Agnode_t *n = agnode(b.g, "omitted", 1);
		lt_dot_set(n, "label", note);
		lt_dot_set(n, "shape", "note");
		lt_dot_set(n, "style", "");
		order_edge(&b, n);
	}
	lane_titles(&b);
	return b.g;
}
