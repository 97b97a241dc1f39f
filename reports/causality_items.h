/*
 * causality_items.h — the resources and promises the causality view draws,
 * in creation order, read without sorting them when the trace allows.
 *
 * Order: created_seq, then promises before resources, then id (what the
 * view's former single query sorted by).  A trace looptrace wrote numbers
 * resources and promises as they are created, so a table's rows in rowid
 * order are already in that order: the reader scans both tables in rowid
 * order and merges them, with no sort of 14M rows.  When a table's rows
 * turn out not to be in order, lt_causality_items_next says so (-EAGAIN)
 * and the caller starts again with `sorted` set (SQLite sorts each table).
 * The user frame of a creation site, a promise's unhandled rejection and
 * whether a resource was left open at the end are looked up in C (sorted
 * arrays loaded once) instead of per-row joins.  Needs
 * lt_locations_prepare (temp.user_frame) on db first.
 *
 * Ownership: lt_causality_items_open hands the reader to the caller, who
 * frees it with lt_causality_items_close.  The strings of an item stay
 * valid until the next call of lt_causality_items_next.  Errors: 0 or
 * -errno (-EIO: SQLite's message is on db).
 */
#ifndef LOOPTRACE_CAUSALITY_ITEMS_H
#define LOOPTRACE_CAUSALITY_ITEMS_H

#include <sqlite3.h>
#include <stdint.h>

struct lt_causality_item {
	int is_promise;
	int64_t id;
	const char *what;     /* a resource's type, a promise's state; never NULL */
	int has_from;         /* a trigger (resource) or parent (promise) is named */
	int64_t from;
	const char *callback; /* "" when none (always for promises) */
	const char *file;     /* the creation site's user frame, NULL when none */
	int64_t line;
	int open_at_end;      /* a handle still open when its process ended without draining */
	int unhandled;        /* a promise whose rejection was left unhandled */
};

struct lt_causality_items;

/* Items created by dispatches from_seq..to_seq. */
int lt_causality_items_open(sqlite3 *db, int64_t from_seq, int64_t to_seq, int sorted,
			    struct lt_causality_items **out);

/* The next item: 1 (item filled), 0 at the end, -EAGAIN when the unsorted
 * scan met a row out of order, -EIO or -ENOMEM. */
int lt_causality_items_next(struct lt_causality_items *it, struct lt_causality_item *item);

void lt_causality_items_close(struct lt_causality_items *it);

#endif
