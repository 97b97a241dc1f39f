/*
 * graph_fold.c — open-addressing tables for folding causality patterns.
 */
#include "graph_fold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

uint64_t lt_fold_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static uint64_t item_key(int64_t id, int is_promise) { return ((uint64_t)id << 1 | (is_promise ? 1u : 0u)) + 2; }

static Agnode_t *hashed_node_of(const struct lt_fold *f, int64_t id, int is_promise)
{
	if (!f->cap_items)
		return NULL;
	uint64_t key = item_key(id, is_promise);
	for (size_t i = mix(key) & (f->cap_items - 1);; i = (i + 1) & (f->cap_items - 1)) {
		if (f->items[i].key == key)
			return f->items[i].node;
		if (!f->items[i].key)
			return NULL;
	}
}

static void put_item(struct lt_fold_item *t, size_t cap, uint64_t key, Agnode_t *node)
{
	size_t i = mix(key) & (cap - 1);
	while (t[i].key && t[i].key != key)
		i = (i + 1) & (cap - 1);
	t[i].key = key;
	t[i].node = node;
}

static int hashed_set_node(struct lt_fold *f, int64_t id, int is_promise, Agnode_t *node)
{
	if (2 * (f->n_items + 1) > f->cap_items) {
		size_t cap = f->cap_items ? 2 * f->cap_items : 1024;
		struct lt_fold_item *t = calloc(cap, sizeof(*t));
		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < f->cap_items; i++)
			if (f->items[i].key)
				put_item(t, cap, f->items[i].key, f->items[i].node);
		free(f->items);
		f->items = t;
		f->cap_items = cap;
	}
	uint64_t key = item_key(id, is_promise);
	if (!hashed_node_of(f, id, is_promise))
		f->n_items++;
	put_item(f->items, f->cap_items, key, node);
	return 0;
}

#define DENSE_SLACK ((size_t)1 << 20)

static int is_dense(const struct lt_fold *f, int64_t id, int is_promise)
{
	return id >= 0 && (uint64_t)id < f->cap_dense[is_promise ? 1 : 0];
}

Agnode_t *lt_fold_node_of(const struct lt_fold *f, int64_t id, int is_promise)
{
	if (is_dense(f, id, is_promise)) {
		uint32_t slot = f->dense[is_promise ? 1 : 0][id];
		if (slot)
			return f->drawn[slot - 1];
	}
	return hashed_node_of(f, id, is_promise);
}

/* Make room in the dense table of a kind for id, when the bound allows.
 * Returns 1 when id has a dense place, 0 when it goes to the hash table,
 * -ENOMEM. */
static int dense_room(struct lt_fold *f, int64_t id, int kind)
{
	if (id < 0)
		return 0;
	if ((uint64_t)id < f->cap_dense[kind])
		return 1;
	if ((uint64_t)id >= 4 * (f->n_set + 1) + DENSE_SLACK)
		return 0;
	size_t cap = f->cap_dense[kind] ? f->cap_dense[kind] : 1024;
	while (cap <= (uint64_t)id)
		cap *= 2;
	uint32_t *t = realloc(f->dense[kind], cap * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t + f->cap_dense[kind], 0, (cap - f->cap_dense[kind]) * sizeof(*t));
	f->dense[kind] = t;
	f->cap_dense[kind] = cap;
	return 1;
}

/* The node's slot, given one on first use; 0 when out of memory. */
static uint32_t slot_of(struct lt_fold *f, struct lt_fold_rec *r, Agnode_t *node)
{
	if (r->slot)
		return r->slot;
	if (f->n_drawn == f->cap_drawn) {
		size_t cap = f->cap_drawn ? 2 * f->cap_drawn : 256;
		Agnode_t **t = cap <= UINT32_MAX ? realloc(f->drawn, cap * sizeof(*t)) : NULL;
		if (!t)
			return 0;
		f->drawn = t;
		f->cap_drawn = cap;
	}
	f->drawn[f->n_drawn++] = node;
	return r->slot = (uint32_t)f->n_drawn;
}

int lt_fold_set_node(struct lt_fold *f, int64_t id, int is_promise, Agnode_t *node)
{
	int kind = is_promise ? 1 : 0;
	struct lt_fold_rec *r = lt_fold_rec(node);
	int dense = r ? dense_room(f, id, kind) : 0;
	if (dense < 0)
		return dense;
	f->n_set++;
	if (!dense)
		return hashed_set_node(f, id, is_promise, node);
	uint32_t slot = slot_of(f, r, node);
	if (!slot)
		return -ENOMEM;
	f->dense[kind][id] = slot;
	return 0;
}

static struct lt_fold_pattern *find_slot(struct lt_fold_pattern *t, size_t cap, const char *key)
{
	size_t i = lt_fold_hash(key) & (cap - 1);
	while (t[i].key && strcmp(t[i].key, key) != 0)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

struct lt_fold_pattern *lt_fold_pattern(struct lt_fold *f, const char *key)
{
	if (2 * (f->n_patterns + 1) > f->cap_patterns) {
		size_t cap = f->cap_patterns ? 2 * f->cap_patterns : 256;
		struct lt_fold_pattern *t = calloc(cap, sizeof(*t));
		if (!t)
			return NULL;
		for (size_t i = 0; i < f->cap_patterns; i++)
			if (f->patterns[i].key)
				*find_slot(t, cap, f->patterns[i].key) = f->patterns[i];
		free(f->patterns);
		f->patterns = t;
		f->cap_patterns = cap;
	}
	struct lt_fold_pattern *p = find_slot(f->patterns, f->cap_patterns, key);
	if (!p->key) {
		if (!(p->key = strdup(key)))
			return NULL;
		p->node = NULL;
		f->n_patterns++;
	}
	return p;
}

struct lt_fold_rec *lt_fold_rec(Agnode_t *n)
{
	return n ? (struct lt_fold_rec *)aggetrec(n, LT_FOLD_REC, 0) : NULL;
}

struct lt_fold_rec *lt_fold_bind(Agnode_t *n, Agnode_t *parent, uint64_t shape)
{
	struct lt_fold_rec *r = (struct lt_fold_rec *)agbindrec(n, LT_FOLD_REC, sizeof(*r), 0);
	if (r) {
		r->parent = parent;
		r->shape = shape;
		r->count = 1;
		r->slot = 0;
		r->fold_label = NULL;
		r->fold_label_of = NULL;
	}
	return r;
}

Agnode_t *lt_fold_same_shape(Agnode_t *n, uint64_t shape, int generations)
{
	for (int k = 0; n && k < generations; k++) {
		struct lt_fold_rec *r = lt_fold_rec(n);
		if (!r)
			return NULL;
		if (r->shape == shape)
			return n;
		n = r->parent;
	}
	return NULL;
}

void lt_fold_free(struct lt_fold *f)
{
	for (size_t i = 0; i < f->cap_patterns; i++)
		free(f->patterns[i].key);
	free(f->patterns);
	free(f->items);
	free(f->dense[0]);
	free(f->dense[1]);
	free(f->drawn);
	memset(f, 0, sizeof(*f));
}
