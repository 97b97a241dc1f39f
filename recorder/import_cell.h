/*
 * import_cell.h — one value of a row the importer writes: an integer, NULL
 * or a text, as the replay fills it and the writer binds it (import_db.h).
 *
 * Ownership: a cell owns its text only when `owned` is set (the writer
 * frees it); otherwise the text outlives the import.
 */
#ifndef LOOPTRACE_IMPORT_CELL_H
#define LOOPTRACE_IMPORT_CELL_H

#include <stdint.h>
#include <string.h>

/* One value of a row: an integer, NULL or a text.  A text is kept by
 * pointer until the writer has stepped its statement: it must be static,
 * in the streams' string storage (which outlives the writer), or copied
 * with lt_cell_text_copy. */
struct lt_import_cell {
	int64_t i;
	const char *s;
	int n;     /* -1 NULL, -2 integer, >= 0 text of n bytes; -3 an operation's head */
	int owned; /* s was malloc'd for this cell: the writer frees it */
};

static inline void lt_cell_int(struct lt_import_cell *c, int64_t v)
{
	c->i = v;
	c->n = -2;
	c->owned = 0;
}
static inline void lt_cell_null(struct lt_import_cell *c)
{
	c->n = -1;
	c->owned = 0;
}
static inline void lt_cell_opt(struct lt_import_cell *c, int present, int64_t v)
{
	c->i = v;
	c->n = present ? -2 : -1;
	c->owned = 0;
}
/* A text that outlives the import (static or in a stream's storage). */
static inline void lt_cell_text(struct lt_import_cell *c, const char *s, int n)
{
	c->s = s;
	c->n = n < 0 ? (int)strlen(s) : n;
	c->owned = 0;
}

#endif
