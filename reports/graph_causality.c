/*
 * graph_causality.c — the causality view (graph.h): async resources and
 * promises, what created them, and repeated patterns folded (graph_fold.h).
 */
#include "graph.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../analyzer/locations.h"
#include "../analyzer/queue.h"
#include "causality_items.h"
#include "graph_dot.h"
#include "graph_fold.h"

#define FOLD_GENERATIONS 4 /* how far up a repeating chain is looked for */

/* The view from the items in creation order; NULL with *rc set (-EAGAIN:
 * the unsorted scan met a row out of order, start again sorted). */
static Agraph_t *draw(sqlite3 *db, const struct lt_graph_opts *o, int sorted, struct lt_graph_stats *st, int *rc)
{
	memset(st, 0, sizeof(*st));
	struct lt_causality_items *it;
	if ((*rc = lt_causality_items_open(db, o->from_seq > 0 ? o->from_seq : 0, o->to_seq > 0 ? o->to_seq : INT64_MAX,
					   sorted, &it)) != 0)
		return NULL;
	agseterr(AGMAX);
	Agraph_t *g = agopen("causality", Agdirected, NULL);
	lt_dot_set(g, "rankdir", "LR");
	agattr(g, AGNODE, "shape", "box");
	agattr(g, AGNODE, "style", "rounded,filled");
	agattr(g, AGNODE, "fillcolor", "#f4f4f4");
	agattr(g, AGNODE, "fontname", "Helvetica");
	agattr(g, AGNODE, "fontsize", "9");
	struct lt_fold fold = {0};
	int got, oom = 0;
	struct lt_causality_item item;
	while (!oom && (got = lt_causality_items_next(it, &item)) == 1) {
		int is_promise = item.is_promise;
		int64_t id = item.id;
		const char *what = item.what;
		/* Node's silent housekeeping resources: not worth a node */
		if (!o->show_all && !is_promise && !strcmp(what, "TickObject") && !item.file)
			continue;
		Agnode_t *from = item.has_from ? lt_fold_node_of(&fold, item.from, is_promise) : NULL;
		int open_at_end = item.open_at_end;
		int unhandled = item.unhandled;
		const char *callback = item.callback;
		const char *file = item.file;
		/* everything the node says but its id, then the marks */
		char tail[LT_DOT_LABEL_BYTES] = "";
		if (callback && *callback) {
			lt_dot_label_raw(tail, sizeof(tail), "\\n");
			lt_dot_label_add(tail, sizeof(tail), callback);
		}
		if (file) {
			char where[64];
			snprintf(where, sizeof(where), ":%lld", (long long)item.line);
			lt_dot_label_raw(tail, sizeof(tail), "\\n");
			lt_dot_label_add(tail, sizeof(tail), lt_dot_base_name(file));
			lt_dot_label_raw(tail, sizeof(tail), where);
		}
		if (is_promise && !strcmp(what, "rejected"))
			lt_dot_label_raw(tail, sizeof(tail), "\\nrejected");
		else if (is_promise && !strcmp(what, "pending"))
			lt_dot_label_raw(tail, sizeof(tail), "\\nnever settled");
		if (unhandled)
			lt_dot_label_raw(tail, sizeof(tail), "\\nunhandled");
		if (open_at_end)
			lt_dot_label_raw(tail, sizeof(tail), "\\nopen at the end");

		/* An item shaped like one a few generations up (a chain that repeats
		 * itself) joins that ancestor; one shaped like an item already drawn
		 * under the same drawn parent joins that item's node. */
		char shape_key[LT_DOT_LABEL_BYTES + 32], key[LT_DOT_LABEL_BYTES + 64];
		snprintf(shape_key, sizeof(shape_key), "%c|%s|%s", is_promise ? 'p' : 'r', what, tail);
		uint64_t shape = lt_fold_hash(shape_key);
		Agnode_t *join = lt_fold_same_shape(from, shape, FOLD_GENERATIONS);
		if (join && join != from && !agedge(g, from, join, NULL, 0)) {
			Agedge_t *e = agedge(g, from, join, NULL, 1); /* the loop back */
			lt_dot_set(e, "style", "dashed");
			lt_dot_set(e, "label", "repeats");
			st->edges++;
		} else if (join && join == from && !agedge(g, from, from, NULL, 0)) {
			Agedge_t *e = agedge(g, from, from, NULL, 1);
			lt_dot_set(e, "label", "repeats");
			st->edges++;
		}
		if (!join) {
			snprintf(key, sizeof(key), "%s|%p", shape_key, (void *)from);
			struct lt_fold_pattern *pat = lt_fold_pattern(&fold, key);
			if (!pat) {
				oom = 1;
				break;
			}
			join = pat->node;
			if (!join) {
				if (st->nodes >= o->max_nodes) {
					st->omitted++;
					continue;
				}
				char name[32], label[LT_DOT_LABEL_BYTES + 64];
				snprintf(name, sizeof(name), "%c%lld", is_promise ? 'p' : 'r', (long long)id);
				Agnode_t *n = agnode(g, name, 1);
				snprintf(label, sizeof(label), "%s %lld%s", is_promise ? "promise" : what, (long long)id,
					 tail);
				if (is_promise) {
					lt_dot_set(n, "shape", "ellipse");
					if (!strcmp(what, "rejected"))
						lt_dot_set(n, "fillcolor", "#ffb3b3");
					else if (!strcmp(what, "pending"))
						lt_dot_set(n, "style", "dashed");
					if (unhandled) {
						lt_dot_set(n, "color", "#d00000");
						lt_dot_set(n, "penwidth", "3");
					}
				} else {
					lt_dot_set(n, "fillcolor",
					    open_at_end ? "#c77dff"
							: lt_dot_colour_of(lt_queue_name(lt_queue_of_type(what, strlen(what)))));
				}
				lt_dot_set(n, "label", label);
				pat->node = n;
				st->nodes++;
				oom = !lt_fold_bind(n, from, shape) || lt_fold_set_node(&fold, id, is_promise, n) != 0;
				if (from && from != n) {
					agedge(g, from, n, NULL, 1);
					st->edges++;
				}
				continue;
			}
		}
		/* folded into `join` */
		struct lt_fold_rec *r = lt_fold_rec(join);
		char label[LT_DOT_LABEL_BYTES + 64];
		r->count++;
		snprintf(label, sizeof(label), "%s ×%lld%s", is_promise ? "promise" : what, (long long)r->count, tail);
		lt_dot_set(join, "label", label);
		st->collapsed++;
		oom = lt_fold_set_node(&fold, id, is_promise, join) != 0;
	}
	lt_fold_free(&fold);
	lt_causality_items_close(it);
	*rc = oom ? -ENOMEM : got < 0 ? got : 0;
	if (*rc != 0) {
		agclose(g);
		return NULL;
	}
	if (st->omitted) {
		char note[128];
		snprintf(note, sizeof(note), "… %lld more resources and promises not drawn (narrow with --from/--to)",
			 (long long)st->omitted);
		Agnode_t *n = agnode(g, "omitted", 1);
		lt_dot_set(n, "label", note);
		lt_dot_set(n, "shape", "note");
	}
	return g;
}

Agraph_t *lt_graph_causality(sqlite3 *db, const struct lt_graph_opts *o, struct lt_graph_stats *st,
			     char *err, size_t errlen)
{
	int rc = lt_locations_prepare(db);
	Agraph_t *g = rc == 0 ? draw(db, o, 0, st, &rc) : NULL;
	if (rc == -EAGAIN) /* not in creation order by rowid: let SQLite sort */
		g = draw(db, o, 1, st, &rc);
	if (!g)
		snprintf(err, errlen, "%s", rc == -ENOMEM ? "out of memory" : "");
	if (!g && rc != -ENOMEM)
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
	return g;
}
