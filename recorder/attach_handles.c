/*
 * attach_handles.c — open libuv handles by address (attach_handles.h).
 */
#include "attach_handles.h"

#include <errno.h>
#include <stdlib.h>

static size_t slot_of(const struct lt_handle_table *t, uint64_t ptr)
{
	uint64_t h = ptr * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 20) & (t->cap - 1);
}

static int grow(struct lt_handle_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	struct lt_handle_slot *old = t->slots, *grown = calloc(cap, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	size_t old_cap = t->cap;
	t->slots = grown;
	t->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].ptr) {
			size_t k = slot_of(t, old[i].ptr);
			while (grown[k].ptr)
				k = (k + 1) & (cap - 1);
			grown[k] = old[i];
		}
	free(old);
	return 0;
}

struct lt_handle_slot *lt_handles_find(struct lt_handle_table *t, uint64_t ptr)
{
	if (!t->cap)
		return NULL;
	for (size_t k = slot_of(t, ptr);; k = (k + 1) & (t->cap - 1)) {
		if (!t->slots[k].ptr)
			return NULL;
		if (t->slots[k].ptr == ptr)
			return &t->slots[k];
	}
}

int lt_handles_put(struct lt_handle_table *t, uint64_t ptr, uint32_t id)
{
	struct lt_handle_slot *have = lt_handles_find(t, ptr);
	if (have) {
		have->id = id;
		return 0;
	}
	if ((t->n + 1) * 2 > t->cap && grow(t) != 0)
		return -ENOMEM;
	size_t k = slot_of(t, ptr);
	while (t->slots[k].ptr)
		k = (k + 1) & (t->cap - 1);
	t->slots[k] = (struct lt_handle_slot){ptr, id};
	t->n++;
	return 0;
}

/* Backward shift, so that probing needs no tombstones. */
void lt_handles_remove(struct lt_handle_table *t, struct lt_handle_slot *slot)
{
	size_t mask = t->cap - 1, i = (size_t)(slot - t->slots);
	for (size_t j = (i + 1) & mask; t->slots[j].ptr; j = (j + 1) & mask) {
		size_t home = slot_of(t, t->slots[j].ptr);
		/* j's entry may move into the hole at i if its home is not in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].ptr = 0;
	t->n--;
}

void lt_handles_free(struct lt_handle_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
}
