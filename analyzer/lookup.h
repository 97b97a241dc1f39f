/*
 * lookup.h — many rows of a big table looked up by key in one ordered pass.
 *
 * A detector that needs, for millions of its items, the row of another
 * table with a given key (a promise by id, a dispatch by seq) would pay a
 * b-tree descent per item, and on a big trace a page read per descent
 * (SQLite's small page cache holds none of the leaves).  Here the keys are
 * sorted (radix, with the caller's item beside each key) and the rows are
 * read in key order: from one key to the next the statement steps forward
 * when the next key is near, and seeks only over a gap.
 *
 * Ownership: struct lt_lookup owns its arrays (lt_lookup_free); the caller
 * fills key[] and item[] up to lt_lookup_reserve's capacity and sets n.
 * The statement stays the caller's.
 */
#ifndef LOOPTRACE_LOOKUP_H
#define LOOPTRACE_LOOKUP_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct lt_lookup {
	int64_t *key;   /* n keys, filled by the caller */
	uint32_t *item; /* the caller's item of each key */
	size_t n, cap;
	int64_t *spare_key; /* the sort's second buffers */
	uint32_t *spare_item;
};

/* Room for cap keys.  Returns 0 or -ENOMEM. */
int lt_lookup_reserve(struct lt_lookup *l, size_t cap);
void lt_lookup_free(struct lt_lookup *l);

/* Called once per key: row is the statement on the row whose first column
 * equals the key, or NULL when there is none. */
typedef int (*lt_lookup_found)(void *ctx, uint32_t item, sqlite3_stmt *row);

/* Sorts the n keys and calls found for each, in key order.  s selects the
 * rows with their key as first column, from ?1 on, in ascending key order
 * ("SELECT id, ... FROM t WHERE id >= ?1 ORDER BY id"); it is reset and
 * bound here.  Returns 0, found's non-zero result, or -EIO. */
int lt_lookup_run(struct lt_lookup *l, sqlite3_stmt *s, lt_lookup_found found, void *ctx);

#endif
