/*
 * graph_fold.h — folding repeated patterns of the causality graph: every
 * resource or promise whose pattern (kind, type or state, callback, site,
 * marks, and the node its trigger or parent was drawn as) was already drawn
 * joins that node, which then shows a count.  A server's thousand identical
 * request chains become one chain with counts.
 *
 * A chain that repeats itself (a callback that schedules itself, or a
 * cycle of a few: setImmediate -> nextTick -> setTimeout -> ...) folds into
 * the ancestor with the same shape, a few generations up, drawn as a loop.
 *
 * Two maps: item (resource or promise id) -> the node it is drawn as, and
 * pattern -> node; each node carries a record (struct lt_fold_rec) with its
 * drawn parent, shape and count.
 *
 * Ownership: struct lt_fold owns its tables and the pattern keys it copied;
 * the node pointers belong to the graph.  lt_fold_free releases the tables.
 */
#ifndef LOOPTRACE_GRAPH_FOLD_H
#define LOOPTRACE_GRAPH_FOLD_H

#include <cgraph.h>
#include <stddef.h>
#include <stdint.h>

struct lt_fold_item {
	uint64_t key; /* ((id << 1) | is_promise) + 2; 0 = empty slot */
	Agnode_t *node;
};

struct lt_fold_pattern {
	char *key; /* NULL = empty slot */
	Agnode_t *node;
};

/* Bound to every node drawn (agbindrec, name LT_FOLD_REC). */
#define LT_FOLD_REC "lt_fold"
struct lt_fold_rec {
	Agrec_t header;
	Agnode_t *parent; /* the node its trigger or parent is drawn as */
	uint64_t shape;   /* hash of its pattern without the parent */
	int64_t count;    /* items drawn as this node */
	uint32_t slot;    /* 1 + its index in lt_fold.drawn; 0 until an item is drawn as it */
	/* The label of a node items folded into, set once at the end: the
	 * last folded item's words before and after the count ("what\0tail",
	 * malloc'd, freed by whoever set it) and the description it was made
	 * from (graph_causality.c; NULL: compare the text). */
	char *fold_label;
	const void *fold_label_of;
};

/* The record of a node drawn by the fold (NULL for others). */
struct lt_fold_rec *lt_fold_rec(Agnode_t *n);
/* Bind a fresh record (count 1) to a new node. */
struct lt_fold_rec *lt_fold_bind(Agnode_t *n, Agnode_t *parent, uint64_t shape);
/* Among the node and its drawn ancestors, up to `generations`, the nearest
 * with this shape, or NULL. */
Agnode_t *lt_fold_same_shape(Agnode_t *n, uint64_t shape, int generations);
uint64_t lt_fold_hash(const char *s);

struct lt_fold {
	/* Items with small ids (ids are dense from 1 in a trace looptrace
	 * wrote): per kind (0 resource, 1 promise), dense[kind][id] is the
	 * slot of the node it is drawn as (0: none); it grows to the largest
	 * id seen while that stays below 4 items per id plus 1M.  Other ids go
	 * to the hash table `items`.  A 43M-event trace's 14M items were a
	 * 512 MiB hash table probed at random (30% of the view's CPU). */
	uint32_t *dense[2];
	size_t cap_dense[2];
	Agnode_t **drawn; /* slot - 1 -> node */
	size_t n_drawn, cap_drawn;
	size_t n_set;     /* items recorded, for the growth bound */
	struct lt_fold_item *items;
	size_t n_items, cap_items;
	struct lt_fold_pattern *patterns;
	size_t n_patterns, cap_patterns;
};

/* The node item (id, is_promise) is drawn as, NULL if none. */
Agnode_t *lt_fold_node_of(const struct lt_fold *f, int64_t id, int is_promise);
/* Record that item (id, is_promise) is drawn as node.  0 or -ENOMEM. */
int lt_fold_set_node(struct lt_fold *f, int64_t id, int is_promise, Agnode_t *node);

/* The pattern's entry: an existing one (node set) or a new one with node
 * NULL for the caller to fill.  NULL when out of memory. */
struct lt_fold_pattern *lt_fold_pattern(struct lt_fold *f, const char *key);

void lt_fold_free(struct lt_fold *f);

#endif
