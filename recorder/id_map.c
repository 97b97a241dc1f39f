/*
 * id_map.c — sparse id map (open addressing, two generations when bounded).
 *
 * A slot is a 16-byte head (id, state) followed by the value.  State 0 is
 * empty, 1 live, 2 removed (keeps probe chains intact until the table is
 * rebuilt).
 */
#include "id_map.h"

#include <stdlib.h>
#include <string.h>

enum { EMPTY = 0, LIVE = 1, REMOVED = 2 };
#define HEAD 16u
#define MIN_CAPACITY 16u

struct head {
	uint64_t id;
	uint64_t state;
};

/* Ids come mostly as runs of consecutive values (the probes count them up):
 * 16 consecutive ids land in 16 consecutive slots, so a run is read and
 * written in order (memory prefetch does the rest), while the blocks of 16
 * are spread by a mix salted per map (an input cannot aim its ids at one
 * place of the table without knowing the salt). */
#define RUN 16u

static size_t hash(uint64_t id, uint64_t salt, size_t mask)
{
	uint64_t block = (id / RUN) ^ salt;
	block ^= block >> 33;
	block *= 0xff51afd7ed558ccdull;
	block ^= block >> 33;
	block *= 0xc4ceb9fe1a85ec53ull;
	block ^= block >> 33;
	return (size_t)(block * RUN + id % RUN) & mask;
}

static struct head *slot(const struct lt_id_map *m, const struct lt_id_table *t, size_t i)
{
	return (struct head *)(void *)(t->slots + i * m->stride);
}

static void *value_of(struct head *h) { return (unsigned char *)h + HEAD; }

void lt_id_map_init(struct lt_id_map *m, size_t value_size, size_t generation_limit,
		    lt_id_map_evict_fn evict, void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->value_size = value_size;
	m->stride = HEAD + ((value_size + 15u) & ~(size_t)15u);
	m->generation_limit = generation_limit;
	m->evict = evict;
	m->ctx = ctx;
	/* where the map lives and where this code was loaded: different from
	 * one run to the next (ASLR), and costs no system call */
	m->salt = (uint64_t)(uintptr_t)m * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&hash;
}

static void table_free(struct lt_id_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

void lt_id_map_free(struct lt_id_map *m)
{
	table_free(&m->young);
	table_free(&m->old);
}

/* The slot of id in t, or NULL. */
static struct head *find(const struct lt_id_map *m, const struct lt_id_table *t, uint64_t id)
{
	if (!t->capacity)
		return NULL;
	size_t mask = t->capacity - 1;
	for (size_t i = hash(id, m->salt, mask);; i = (i + 1) & mask) {
		struct head *h = slot(m, t, i);
		if (h->state == EMPTY)
			return NULL;
		if (h->state == LIVE && h->id == id)
			return h;
	}
}

/* A free slot for id in t (which has room and does not hold id). */
static struct head *free_slot(const struct lt_id_map *m, const struct lt_id_table *t, uint64_t id)
{
	size_t mask = t->capacity - 1;
	size_t i = hash(id, m->salt, mask);
	while (slot(m, t, i)->state == LIVE)
		i = (i + 1) & mask;
	return slot(m, t, i);
}

/* Rebuild t with `capacity` slots (dropping removed ones). */
static int rehash(struct lt_id_map *m, struct lt_id_table *t, size_t capacity)
{
	struct lt_id_table n = {.capacity = capacity};
	n.slots = calloc(capacity, m->stride);
	if (!n.slots)
		return -1;
	for (size_t i = 0; i < t->capacity; i++) {
		struct head *h = slot(m, t, i);
		if (h->state != LIVE)
			continue;
		struct head *to = free_slot(m, &n, h->id);
		memcpy(to, h, m->stride);
		n.count++;
	}
	n.used = n.count;
	free(t->slots);
	*t = n;
	return 0;
}

/* The old generation goes (its entries evicted), the young one becomes old. */
static void rotate(struct lt_id_map *m)
{
	struct lt_id_table *old = &m->old;
	for (size_t i = 0; i < old->capacity; i++) {
		struct head *h = slot(m, old, i);
		if (h->state != LIVE)
			continue;
		m->evicted++;
		if (m->evict)
			m->evict(m->ctx, h->id, value_of(h));
	}
	struct lt_id_table spare = *old;
	*old = m->young;
	/* Reuse the dropped table's memory for the new young generation. */
	if (spare.slots)
		memset(spare.slots, 0, spare.capacity * m->stride);
	spare.count = spare.used = 0;
	m->young = spare;
}

/* Room in the young table for one more entry (rotating or growing). */
static int make_room(struct lt_id_map *m)
{
	if (m->generation_limit && m->young.count >= m->generation_limit)
		rotate(m);
	struct lt_id_table *t = &m->young;
	if ((t->used + 1) * 2 <= t->capacity) /* at most half full: short probes */
		return 0;
	size_t capacity = t->capacity ? t->capacity : MIN_CAPACITY;
	while ((t->count + 1) * 4 > capacity) /* a quarter full once rebuilt */
		capacity *= 2;
	return rehash(m, t, capacity);
}

/* Insert id (absent from young) into young; returns its slot or NULL. */
static struct head *insert(struct lt_id_map *m, uint64_t id)
{
	if (make_room(m) != 0)
		return NULL;
	struct lt_id_table *t = &m->young;
	struct head *h = free_slot(m, t, id);
	if (h->state == EMPTY)
		t->used++;
	h->id = id;
	h->state = LIVE;
	memset(value_of(h), 0, m->stride - HEAD);
	t->count++;
	return h;
}

/* id from the old generation into the young one. */
static struct head *promote(struct lt_id_map *m, struct head *in_old, uint64_t id)
{
	unsigned char saved[256];
	unsigned char *copy = m->value_size <= sizeof(saved) ? saved : malloc(m->value_size);
	if (!copy)
		return NULL;
	memcpy(copy, value_of(in_old), m->value_size);
	in_old->state = REMOVED;
	m->old.count--;
	/* make_room may rotate: the old generation (without id now) is
	 * dropped then, and the copy survives. */
	struct head *h = insert(m, id);
	if (h)
		memcpy(value_of(h), copy, m->value_size);
	if (copy != saved)
		free(copy);
	return h;
}

void *lt_id_map_get(struct lt_id_map *m, uint64_t id)
{
	struct head *h = find(m, &m->young, id);
	if (h)
		return value_of(h);
	h = find(m, &m->old, id);
	if (!h)
		return NULL;
	h = promote(m, h, id);
	return h ? value_of(h) : NULL;
}

void *lt_id_map_put(struct lt_id_map *m, uint64_t id, int *created)
{
	if (created)
		*created = 0;
	struct head *h = find(m, &m->young, id);
	if (h)
		return value_of(h);
	h = find(m, &m->old, id);
	if (h) {
		h = promote(m, h, id);
		return h ? value_of(h) : NULL;
	}
	h = insert(m, id);
	if (!h)
		return NULL;
	if (created)
		*created = 1;
	return value_of(h);
}

int lt_id_map_remove(struct lt_id_map *m, uint64_t id)
{
	struct lt_id_table *tables[2] = {&m->young, &m->old};
	for (int k = 0; k < 2; k++) {
		struct head *h = find(m, tables[k], id);
		if (h) {
			h->state = REMOVED;
			tables[k]->count--;
			return 1;
		}
	}
	return 0;
}

size_t lt_id_map_count(const struct lt_id_map *m)
{
	return m->young.count + m->old.count;
}

void lt_id_map_each(struct lt_id_map *m, lt_id_map_evict_fn fn, void *ctx)
{
	struct lt_id_table *tables[2] = {&m->old, &m->young};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < tables[k]->capacity; i++) {
			struct head *h = slot(m, tables[k], i);
			if (h->state == LIVE)
				fn(ctx, h->id, value_of(h));
		}
}
