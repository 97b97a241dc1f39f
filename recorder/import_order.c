/*
 * import_order.c — a window that puts rows back in rowid order (a ring of
 * rows and a bitmap of the slots held).
 */
#include "import_order.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lt_import_order_init(struct lt_import_order *o, int columns, uint64_t size, lt_import_emit_fn emit,
			 void *ctx)
{
	memset(o, 0, sizeof(*o));
	if (size < 64 || (size & (size - 1)) || columns <= 0)
		return -EINVAL;
	o->rows = malloc(size * (size_t)columns * sizeof(*o->rows));
	o->present = calloc(size / 64, sizeof(*o->present));
	if (!o->rows || !o->present) {
		lt_import_order_free(o);
		return -ENOMEM;
	}
	o->size = size;
	o->columns = columns;
	o->emit = emit;
	o->ctx = ctx;
	return 0;
}

void lt_import_order_free(struct lt_import_order *o)
{
	free(o->rows);
	free(o->present);
	o->rows = NULL;
	o->present = NULL;
}

static int is_held(const struct lt_import_order *o, uint64_t slot)
{
	return (o->present[slot >> 6] >> (slot & 63)) & 1u;
}

/* Hand on the row in slot and free the slot. */
static void emit_slot(struct lt_import_order *o, uint64_t slot)
{
	o->emit(o->ctx, &o->rows[slot * (uint64_t)o->columns]);
	o->present[slot >> 6] &= ~(1ull << (slot & 63));
	o->held--;
}

/* Hand on the rows below new_low (at most size slots above low), in rowid
 * order, and move low there.  Returns the rowid after the last row handed
 * on (low when none was). */
static int64_t advance_to(struct lt_import_order *o, int64_t new_low)
{
	int64_t after_last = o->low;
	uint64_t n = (uint64_t)(new_low - o->low), mask = o->size - 1;
	for (uint64_t i = 0; i < n && o->held;) {
		uint64_t slot = ((uint64_t)o->low + i) & mask;
		uint64_t bits = o->present[slot >> 6] >> (slot & 63);
		if (!bits) {
			i += 64 - (slot & 63);
			continue;
		}
		i += (uint64_t)__builtin_ctzll(bits);
		if (i >= n)
			break;
		emit_slot(o, ((uint64_t)o->low + i) & mask);
		i++;
		after_last = o->low + (int64_t)i;
	}
	o->low = new_low;
	return after_last;
}

/* Hand on the complete run at low. */
static void emit_ready(struct lt_import_order *o)
{
	uint64_t mask = o->size - 1;
	while (o->held && is_held(o, (uint64_t)o->low & mask)) {
		emit_slot(o, (uint64_t)o->low & mask);
		o->low++;
	}
}

/* Everything held goes; the window then starts after the last row handed
 * on, so that the rows still to come above it stay in order. */
void lt_import_order_drain(struct lt_import_order *o)
{
	if (o->held)
		o->low = advance_to(o, o->low + (int64_t)o->size);
}

struct lt_import_cell *lt_import_order_put(struct lt_import_order *o, int64_t rowid)
{
	emit_ready(o);
	if (rowid < 0 || rowid > INT64_MAX / 2)
		return NULL;
	if (!o->anchored) {
		/* rows a little below the first one may still come */
		o->low = rowid > (int64_t)(o->size / 2) ? rowid - (int64_t)(o->size / 2) : 0;
		o->anchored = 1;
	}
	if (rowid < o->low)
		return NULL; /* late */
	uint64_t ahead = (uint64_t)(rowid - o->low);
	if (ahead >= 2 * o->size) {
		/* far: another id range, or the ids moved on */
		if (o->held && ++o->far_run <= o->size / 4)
			return NULL;
		lt_import_order_drain(o);
		o->low = rowid;
	} else if (ahead >= o->size) {
		advance_to(o, rowid - (int64_t)o->size + 1);
	}
	o->far_run = 0;
	uint64_t slot = (uint64_t)rowid & (o->size - 1);
	if (is_held(o, slot))
		emit_slot(o, slot); /* the same rowid again: the first goes first */
	o->present[slot >> 6] |= 1ull << (slot & 63);
	o->held++;
	return &o->rows[slot * (uint64_t)o->columns];
}
