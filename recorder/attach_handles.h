/*
 * attach_handles.h — the libuv handles an attached thread has open, keyed by
 * the handle's address (LT_EV_HANDLE_INIT puts, LT_EV_HANDLE_CLOSE finds and
 * removes): open addressing with linear probing, removal by backward shift
 * (no tombstones), grown at half full.
 *
 * Used by recorder/attach_events.c alone, on the thread that drains the
 * ring.  Ownership: the table owns its slots; lt_handles_free releases
 * them.  A zeroed struct is an empty table.  Errors: 0 or -ENOMEM.
 */
#ifndef LOOPTRACE_ATTACH_HANDLES_H
#define LOOPTRACE_ATTACH_HANDLES_H

#include <stddef.h>
#include <stdint.h>

struct lt_handle_slot {
	uint64_t ptr; /* 0 = empty */
	uint32_t id;  /* the handle's resource id in the capture */
};

struct lt_handle_table {
	struct lt_handle_slot *slots;
	size_t cap, n;
};

/* The slot of the handle at ptr, or NULL.  Valid until the next put. */
struct lt_handle_slot *lt_handles_find(struct lt_handle_table *t, uint64_t ptr);

/* Map ptr (not 0) to id, replacing an earlier mapping.  0 or -ENOMEM. */
int lt_handles_put(struct lt_handle_table *t, uint64_t ptr, uint32_t id);

/* Forget a slot lt_handles_find returned. */
void lt_handles_remove(struct lt_handle_table *t, struct lt_handle_slot *slot);

void lt_handles_free(struct lt_handle_table *t);

#endif
