/*
 * id_map.h — a sparse map from 64-bit ids to small fixed-size values, with
 * memory bounded by the number of entries, never by the ids' values.
 *
 * Open addressing (linear probing) in a power-of-two table, at most half
 * full.  Optionally bounded: with a generation limit L, the map keeps
 * two generations; once the young one holds L entries, the old one is
 * dropped (each of its entries passed to the evict callback first) and the
 * young one becomes old.  An entry found in the old generation moves back
 * to the young one, so what is still used survives; what was not touched
 * for L insertions is forgotten.  Memory then stays below 16 × L slots of
 * 16 + (value size rounded up to 16) bytes, however long the run.  The evict
 * callback must not use the map.
 *
 * Ownership: the map owns its tables and the values in them; a pointer
 * returned by lt_id_map_get/lt_id_map_put stays valid only until the next
 * get/put/remove on the same map (both may move entries).  Errors: put
 * returns NULL when out of memory; get returns NULL when the id is absent.
 */
#ifndef LOOPTRACE_ID_MAP_H
#define LOOPTRACE_ID_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef void (*lt_id_map_evict_fn)(void *ctx, uint64_t id, void *value);

struct lt_id_table {
	unsigned char *slots; /* capacity × stride bytes */
	size_t capacity;      /* 0 or a power of two */
	size_t count;         /* live entries */
	size_t used;          /* live + removed (probe chains) */
};

struct lt_id_map {
	struct lt_id_table young, old;
	size_t value_size, stride;
	size_t generation_limit; /* 0: unbounded (one generation) */
	lt_id_map_evict_fn evict;
	void *ctx;
	uint64_t evicted;        /* entries dropped with a generation */
	uint64_t salt;           /* of the hash (id_map.c) */
};

/* value_size: bytes per value (zeroed when created).  generation_limit: 0
 * for an unbounded map, else entries per generation (see above); evict may
 * be NULL. */
void lt_id_map_init(struct lt_id_map *m, size_t value_size, size_t generation_limit,
		    lt_id_map_evict_fn evict, void *ctx);
void lt_id_map_free(struct lt_id_map *m);

/* The value of `id`, or NULL. */
void *lt_id_map_get(struct lt_id_map *m, uint64_t id);
/* The value of `id`, created zeroed if absent (*created says which, may be
 * NULL).  NULL when out of memory. */
void *lt_id_map_put(struct lt_id_map *m, uint64_t id, int *created);
/* Forget `id` (no evict callback).  Returns 1 if it was there. */
int lt_id_map_remove(struct lt_id_map *m, uint64_t id);
/* Entries held (both generations). */
size_t lt_id_map_count(const struct lt_id_map *m);
/* Call fn for every entry held, in no particular order; fn must not change
 * the map. */
void lt_id_map_each(struct lt_id_map *m, lt_id_map_evict_fn fn, void *ctx);

#endif
