/*
 * graph_causality.c — the causality view (graph.h): async resources and
 * promises, what created them, and repeated patterns folded (graph_fold.h).
 */
#include "graph.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/locations.h"
#include "../analyzer/queue.h"
#include "causality_items.h"
#include "graph_dot.h"
#include "graph_fold.h"

#define FOLD_GENERATIONS 4 /* how far up a repeating chain is looked for */

/* What an item's node says but its id, and its fold shape, for one
 * combination of the item's words and marks.  A big trace's 14M items have
 * a few thousand such combinations: each is described once (the label
 * escaping and the shape's hash were half of the view's CPU) and
 * remembers the last pattern and "repeats" edge it led to. */
struct description {
	int is_promise, open_at_end, unhandled;
	int64_t line;
	const char *file;  /* the items reader's string: one per stack */
	char *what, *callback;
	char *tail;        /* the label after the id */
	char *shape_key;
	uint64_t shape, inputs;
	Agnode_t *pattern_from, *pattern_node; /* items under pattern_from join pattern_node */
	Agnode_t *loop_from, *loop_to;         /* that edge exists */
};

#define MEMO_MAX 65536 /* descriptions kept; beyond, each item is described alone */

struct memo {
	struct description **slots; /* open addressing, 2 * MEMO_MAX */
	size_t n;
	struct description scratch;  /* for an item when the memo is full */
};

static uint64_t inputs_of(const struct lt_causality_item *item)
{
	uint64_t h = lt_fold_hash(item->what) * 31 + lt_fold_hash(item->callback);
	h = h * 31 + (uint64_t)item->line;
	h = h * 31 + (uint64_t)(uintptr_t)item->file;
	return h * 8 + (uint64_t)(item->is_promise << 2 | item->open_at_end << 1 | item->unhandled);
}

static int describes(const struct description *d, const struct lt_causality_item *item, uint64_t inputs)
{
	return d->inputs == inputs && d->is_promise == item->is_promise && d->open_at_end == item->open_at_end &&
	       d->unhandled == item->unhandled && d->line == item->line && d->file == item->file &&
	       !strcmp(d->what, item->what) && !strcmp(d->callback, item->callback);
}

static void forget(struct description *d)
{
	free(d->what);
	free(d->callback);
	free(d->tail);
	free(d->shape_key);
	memset(d, 0, sizeof(*d));
}

/* Fill d for item: the label's tail (everything the node says but its id,
 * then the marks) and the shape.  0 or -ENOMEM. */
static int describe(struct description *d, const struct lt_causality_item *item, uint64_t inputs)
{
	char tail[LT_DOT_LABEL_BYTES], shape_key[LT_DOT_LABEL_BYTES + 32];
	tail[0] = '\0';
	if (*item->callback) {
		lt_dot_label_raw(tail, sizeof(tail), "\\n");
		lt_dot_label_add(tail, sizeof(tail), item->callback);
	}
	if (item->file) {
		char where[64];
		snprintf(where, sizeof(where), ":%lld", (long long)item->line);
		lt_dot_label_raw(tail, sizeof(tail), "\\n");
		lt_dot_label_add(tail, sizeof(tail), lt_dot_base_name(item->file));
		lt_dot_label_raw(tail, sizeof(tail), where);
	}
	if (item->is_promise && !strcmp(item->what, "rejected"))
		lt_dot_label_raw(tail, sizeof(tail), "\\nrejected");
	else if (item->is_promise && !strcmp(item->what, "pending"))
		lt_dot_label_raw(tail, sizeof(tail), "\\nnever settled");
	if (item->unhandled)
		lt_dot_label_raw(tail, sizeof(tail), "\\nunhandled");
	if (item->open_at_end)
		lt_dot_label_raw(tail, sizeof(tail), "\\nopen at the end");
	snprintf(shape_key, sizeof(shape_key), "%c|%s|%s", item->is_promise ? 'p' : 'r', item->what, tail);
	forget(d);
	d->is_promise = item->is_promise;
	d->open_at_end = item->open_at_end;
	d->unhandled = item->unhandled;
	d->line = item->line;
	d->file = item->file;
	d->inputs = inputs;
	d->what = strdup(item->what);
	d->callback = strdup(item->callback);
	d->tail = strdup(tail);
	d->shape_key = strdup(shape_key);
	d->shape = lt_fold_hash(shape_key);
	return d->what && d->callback && d->tail && d->shape_key ? 0 : -ENOMEM;
}

/* The description of item, NULL when out of memory. */
static struct description *description_of(struct memo *m, const struct lt_causality_item *item)
{
	uint64_t inputs = inputs_of(item);
	if (!m->slots && !(m->slots = calloc(2 * MEMO_MAX, sizeof(*m->slots))))
		return NULL;
	size_t i = inputs & (2 * MEMO_MAX - 1);
	for (; m->slots[i]; i = (i + 1) & (2 * MEMO_MAX - 1))
		if (describes(m->slots[i], item, inputs))
			return m->slots[i];
	struct description *d = m->n < MEMO_MAX ? calloc(1, sizeof(*d)) : &m->scratch;
	if (!d)
		return NULL;
	if (describe(d, item, inputs) != 0) {
		if (d != &m->scratch) {
			forget(d);
			free(d);
		}
		return NULL;
	}
	if (d != &m->scratch) {
		m->slots[i] = d;
		m->n++;
	}
	return d;
}

static void memo_free(struct memo *m)
{
	for (size_t i = 0; m->slots && i < 2 * MEMO_MAX; i++)
		if (m->slots[i]) {
			forget(m->slots[i]);
			free(m->slots[i]);
		}
	free(m->slots);
	forget(&m->scratch);
}

/* Item (described by d) folds into node join: remember the words of its
 * label (set at the end by label_folded).  0 or -ENOMEM. */
static int fold_into(Agnode_t *join, const struct description *d, const struct memo *m, Agnode_t ***folded,
		     size_t *n_folded, size_t *cap_folded)
{
	struct lt_fold_rec *r = lt_fold_rec(join);
	r->count++;
	if (r->fold_label && r->fold_label_of == d && d != &m->scratch)
		return 0;
	const char *head = d->is_promise ? "promise" : d->what;
	size_t hl = strlen(head), tl = strlen(d->tail);
	char *label = malloc(hl + tl + 2);
	if (!label)
		return -ENOMEM;
	memcpy(label, head, hl + 1);
	memcpy(label + hl + 1, d->tail, tl + 1);
	if (!r->fold_label) {
		if (*n_folded == *cap_folded) {
			size_t cap = *cap_folded ? 2 * *cap_folded : 64;
			Agnode_t **t = realloc(*folded, cap * sizeof(*t));
			if (!t) {
				free(label);
				return -ENOMEM;
			}
			*folded = t;
			*cap_folded = cap;
		}
		(*folded)[(*n_folded)++] = join;
	}
	free(r->fold_label);
	r->fold_label = label;
	r->fold_label_of = d;
	return 0;
}

/* The label of every node items folded into: "what ×count tail". */
static void label_folded(Agnode_t **folded, size_t n, int set)
{
	for (size_t i = 0; i < n; i++) {
		struct lt_fold_rec *r = lt_fold_rec(folded[i]);
		if (set) {
			const char *head = r->fold_label, *tail = head + strlen(head) + 1;
			char label[LT_DOT_LABEL_BYTES + 64];
			snprintf(label, sizeof(label), "%s ×%lld%s", head, (long long)r->count, tail);
			lt_dot_set(folded[i], "label", label);
		}
		free(r->fold_label);
		r->fold_label = NULL;
	}
	free(folded);
}

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
	struct memo memo = {0};
	Agnode_t **folded = NULL;
	size_t n_folded = 0, cap_folded = 0;
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
		struct description *d = description_of(&memo, &item);
		if (!d) {
			oom = 1;
			break;
		}

		/* An item shaped like one a few generations up (a chain that repeats
		 * itself) joins that ancestor; one shaped like an item already drawn
		 * under the same drawn parent joins that item's node. */
		Agnode_t *join = lt_fold_same_shape(from, d->shape, FOLD_GENERATIONS);
		if (join && !(d->loop_from == from && d->loop_to == join)) {
			if (join != from && !agedge(g, from, join, NULL, 0)) {
				Agedge_t *e = agedge(g, from, join, NULL, 1); /* the loop back */
				lt_dot_set(e, "style", "dashed");
				lt_dot_set(e, "label", "repeats");
				st->edges++;
			} else if (join == from && !agedge(g, from, from, NULL, 0)) {
				Agedge_t *e = agedge(g, from, from, NULL, 1);
				lt_dot_set(e, "label", "repeats");
				st->edges++;
			}
			d->loop_from = from;
			d->loop_to = join;
		}
		if (!join && d->pattern_node && d->pattern_from == from)
			join = d->pattern_node;
		if (!join) {
			char key[LT_DOT_LABEL_BYTES + 64];
			snprintf(key, sizeof(key), "%s|%p", d->shape_key, (void *)from);
			struct lt_fold_pattern *pat = lt_fold_pattern(&fold, key);
			if (!pat) {
				oom = 1;
				break;
			}
			join = pat->node;
			if (join) {
				d->pattern_from = from;
				d->pattern_node = join;
			}
			if (!join) {
				if (st->nodes >= o->max_nodes) {
					st->omitted++;
					continue;
				}
				char name[32], label[LT_DOT_LABEL_BYTES + 64];
				snprintf(name, sizeof(name), "%c%lld", is_promise ? 'p' : 'r', (long long)id);
				Agnode_t *n = agnode(g, name, 1);
				snprintf(label, sizeof(label), "%s %lld%s", is_promise ? "promise" : what, (long long)id,
					 d->tail);
				if (is_promise) {
					lt_dot_set(n, "shape", "ellipse");
					if (!strcmp(what, "rejected"))
						lt_dot_set(n, "fillcolor", "#ffb3b3");
					else if (!strcmp(what, "pending"))
						lt_dot_set(n, "style", "dashed");
					if (item.unhandled) {
						lt_dot_set(n, "color", "#d00000");
						lt_dot_set(n, "penwidth", "3");
					}
				} else {
					lt_dot_set(n, "fillcolor",
					    item.open_at_end ? "#c77dff"
							: lt_dot_colour_of(lt_queue_name(lt_queue_of_type(what, strlen(what)))));
				}
				lt_dot_set(n, "label", label);
				pat->node = n;
				st->nodes++;
				oom = !lt_fold_bind(n, from, d->shape) || lt_fold_set_node(&fold, id, is_promise, n) != 0;
				if (from && from != n) {
					agedge(g, from, n, NULL, 1);
					st->edges++;
				}
				continue;
			}
		}
		/* folded into `join` */
		st->collapsed++;
		oom = fold_into(join, d, &memo, &folded, &n_folded, &cap_folded) != 0 ||
		      lt_fold_set_node(&fold, id, is_promise, join) != 0;
	}
	lt_fold_free(&fold);
	lt_causality_items_close(it);
	*rc = oom ? -ENOMEM : got < 0 ? got : 0;
	label_folded(folded, n_folded, *rc == 0);
	memo_free(&memo);
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
