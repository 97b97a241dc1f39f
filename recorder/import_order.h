/*
 * import_order.h — puts the rows of a big table back in rowid order, within
 * a window, before they are written.
 *
 * The importer knows a promise's row when the promise settles and a
 * dispatch's when it ends, not in the order of their ids; SQLite inserts a
 * row whose rowid is beyond the table's last one without a seek and fills
 * its pages full, while one inserted in the middle costs a seek from the
 * root and a page split that leaves two half-full pages (6M promise rows:
 * about twice the CPU, and 19% more pages, out of order).  The window
 * holds rows with rowids in [low, low + size) in a ring; the contiguous
 * run at `low` is handed on as soon as it is complete.
 *
 * A row below the window (late) or far beyond it (another stream's id
 * range) is handed on at once, out of order; a row a little beyond the
 * window moves it, handing on what falls below.  Many far rows in a row
 * (the ids moved on) re-anchor the window there.  Two rows with the same
 * rowid are handed on in the order they came.  So the rows handed on are
 * the rows put, each once, and what differs is only their order; the
 * order is a function of the rows put (deterministic).  Work per row is
 * bounded by size / 64 bitmap words, whatever the ids.
 *
 * Ownership: the window owns its ring (cells by value: a cell's text
 * pointer must outlive the window's drain).  Errors: init returns 0 or
 * -ENOMEM.
 */
#ifndef LOOPTRACE_IMPORT_ORDER_H
#define LOOPTRACE_IMPORT_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "import_db.h"

/* Hand a row's cells on (the callback copies them). */
typedef void (*lt_import_emit_fn)(void *ctx, const struct lt_import_cell *cells);

struct lt_import_order {
	struct lt_import_cell *rows; /* size × columns */
	uint64_t *present;           /* a bit per slot */
	uint64_t size;               /* a power of two */
	int columns;
	int64_t low;                 /* rowid of slot low & (size - 1) */
	size_t held;                 /* rows in the ring */
	uint64_t far_run;            /* far rows in a row */
	int anchored;                /* low was set by a first row */
	lt_import_emit_fn emit;
	void *ctx;
};

int lt_import_order_init(struct lt_import_order *o, int columns, uint64_t size, lt_import_emit_fn emit,
			 void *ctx);
void lt_import_order_free(struct lt_import_order *o);
/* The cells for a row of rowid `rowid` (to fill before the next call),
 * or NULL when the row is out of the window: the caller hands it on
 * itself, at once.  Rows ready before it are handed on first. */
struct lt_import_cell *lt_import_order_put(struct lt_import_order *o, int64_t rowid);
/* Hand on every row held, in rowid order. */
void lt_import_order_drain(struct lt_import_order *o);

#endif
