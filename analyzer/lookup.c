/*
 * lookup.c — many rows of a big table looked up by key in one ordered pass.
 */
#include "lookup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Rows stepped over rather than seeking: a seek is a b-tree descent (a
 * few pages), a step reads on in the page at hand. */
#define STEP_GAP 64
#define DIGIT_BITS 16
#define DIGITS (1u << DIGIT_BITS)

int lt_lookup_reserve(struct lt_lookup *l, size_t cap)
{
	if (cap <= l->cap)
		return 0;
	int64_t *key = realloc(l->key, cap * sizeof(*key));
	if (key)
		l->key = key;
	uint32_t *item = realloc(l->item, cap * sizeof(*item));
	if (item)
		l->item = item;
	int64_t *spare_key = realloc(l->spare_key, cap * sizeof(*spare_key));
	if (spare_key)
		l->spare_key = spare_key;
	uint32_t *spare_item = realloc(l->spare_item, cap * sizeof(*spare_item));
	if (spare_item)
		l->spare_item = spare_item;
	if (!key || !item || !spare_key || !spare_item)
		return -ENOMEM;
	l->cap = cap;
	return 0;
}

void lt_lookup_free(struct lt_lookup *l)
{
	free(l->key);
	free(l->item);
	free(l->spare_key);
	free(l->spare_item);
	memset(l, 0, sizeof(*l));
}

/* Least significant digit first, DIGIT_BITS at a time, over the bits in
 * which the keys differ from the smallest: two passes for the ids of a
 * 45M-event trace's stretch.  Stable, so equal keys keep their order. */
static int sort_keys(struct lt_lookup *l)
{
	size_t n = l->n;
	if (n < 2)
		return 0;
	uint64_t min = (uint64_t)l->key[0] ^ (UINT64_C(1) << 63), max = min;
	for (size_t i = 1; i < n; i++) {
		uint64_t u = (uint64_t)l->key[i] ^ (UINT64_C(1) << 63); /* signed order as unsigned */
		if (u < min)
			min = u;
		if (u > max)
			max = u;
	}
	uint64_t spread = max - min;
	size_t *count = malloc(DIGITS * sizeof(*count));
	if (!count)
		return -ENOMEM;
	int64_t *key = l->key, *to_key = l->spare_key;
	uint32_t *item = l->item, *to_item = l->spare_item;
	for (unsigned shift = 0; shift < 64 && (spread >> shift) != 0; shift += DIGIT_BITS) {
		memset(count, 0, DIGITS * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[((((uint64_t)key[i] ^ (UINT64_C(1) << 63)) - min) >> shift) & (DIGITS - 1)]++;
		size_t at = 0;
		for (size_t d = 0; d < DIGITS; d++) {
			size_t c = count[d];
			count[d] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++) {
			size_t d = ((((uint64_t)key[i] ^ (UINT64_C(1) << 63)) - min) >> shift) & (DIGITS - 1);
			to_key[count[d]] = key[i];
			to_item[count[d]++] = item[i];
		}
		int64_t *k = key;
		key = to_key;
		to_key = k;
		uint32_t *t = item;
		item = to_item;
		to_item = t;
	}
	free(count);
	/* The sorted keys end in whichever buffer the last pass wrote. */
	l->spare_key = to_key;
	l->key = key;
	l->spare_item = to_item;
	l->item = item;
	return 0;
}

/* Positions s on its first row from key on; *have says whether there is one. */
static int seek(sqlite3_stmt *s, int64_t key, int *have, int64_t *cur)
{
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, key);
	int rc = sqlite3_step(s);
	*have = rc == SQLITE_ROW;
	if (*have)
		*cur = sqlite3_column_int64(s, 0);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

int lt_lookup_run(struct lt_lookup *l, sqlite3_stmt *s, lt_lookup_found found, void *ctx)
{
	int rc = sort_keys(l);
	int have = 0;
	int64_t cur = 0;
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		int64_t k = l->key[i];
		/* Keys ascend: after a seek at or below k, a row past k means
		 * none has key k, and no row left means none for the rest. */
		if (i == 0 || (have && k > cur && (uint64_t)k - (uint64_t)cur > STEP_GAP))
			rc = seek(s, k, &have, &cur);
		while (rc == 0 && have && cur < k) {
			int step = sqlite3_step(s);
			have = step == SQLITE_ROW;
			if (have)
				cur = sqlite3_column_int64(s, 0);
			else if (step != SQLITE_DONE)
				rc = -EIO;
		}
		if (rc == 0)
			rc = found(ctx, l->item[i], have && cur == k ? s : NULL);
	}
	sqlite3_reset(s);
	return rc;
}
