/*
 * import_db.h — the importer's SQLite writing: one prepared statement per
 * kind of row, bound and stepped by the record handlers.
 *
 * Ownership: lt_import_db_prepare borrows the caller's open database and
 * owns the statements (and the batches' cells) until lt_import_db_finalize.  Errors: a failed step
 * sets `failed` (the import then rolls back); prepare returns 0 or -EIO.
 */
#ifndef LOOPTRACE_IMPORT_DB_H
#define LOOPTRACE_IMPORT_DB_H

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

enum lt_import_stmt {
	ST_THREAD,
	ST_STACK,
	ST_RESOURCE,
	ST_RESOURCE_DESTROY,
	ST_RESOURCE_REF,
	ST_PROMISE,
	ST_PROMISE_REJECTED,
	ST_PROMISE_SETTLED,
	ST_DISPATCH,
	ST_OUTPUT,
	ST_ITERATION,
	ST_REJECTION,
	ST_LINEAGE,
	ST_REJECTION_DETAIL,
	ST_BLOCKING,
	ST_SAMPLE,
	ST_RESOURCE_CLEAR,
	ST_COUNT
};

/* The two big tables are written LT_IMPORT_BATCH_ROWS rows per statement
 * (one multi-row INSERT keeps SQLite's cursor at the end of the table:
 * about twice the rows per second of one INSERT per row).  A row is filled
 * cell by cell; texts are kept by pointer until the batch is written, so
 * they must outlive it (static, or the streams' string storage). */
#define LT_IMPORT_BATCH_ROWS 64
#define LT_IMPORT_BATCH_COLUMNS 14

enum lt_import_batch_id { BATCH_DISPATCH, BATCH_PROMISE, BATCH_COUNT };

struct lt_import_cell {
	int64_t i;
	const char *s;
	int n; /* -1 NULL, -2 integer, >= 0 text of n bytes */
};

struct lt_import_batch {
	enum lt_import_stmt single; /* the one-row statement, for the remainder */
	sqlite3_stmt *many;
	int columns, rows;
	struct lt_import_cell cells[LT_IMPORT_BATCH_ROWS * LT_IMPORT_BATCH_COLUMNS];
};

struct lt_import_db {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	struct lt_import_batch batch[BATCH_COUNT];
	int failed; /* a statement failed: the import is rolled back */
};

int lt_import_db_prepare(struct lt_import_db *d, sqlite3 *db);
void lt_import_db_finalize(struct lt_import_db *d);

/* Bind v, or NULL when !present. */
void lt_import_bind_opt(sqlite3_stmt *s, int col, int present, int64_t v);
/* Step and reset statement `which`; a failure sets d->failed. */
void lt_import_db_run(struct lt_import_db *d, enum lt_import_stmt which);

/* The cells of a new row of batch b (columns of the one-row statement, in
 * order); lt_import_row_done adds it (writing the batch when full). */
struct lt_import_cell *lt_import_row(struct lt_import_db *d, enum lt_import_batch_id b);
void lt_import_row_done(struct lt_import_db *d, enum lt_import_batch_id b);
/* Write the rows of batch b still held (before anything reads or updates
 * its table). */
void lt_import_flush(struct lt_import_db *d, enum lt_import_batch_id b);
void lt_import_flush_all(struct lt_import_db *d);

static inline void lt_cell_int(struct lt_import_cell *c, int64_t v)
{
	c->i = v;
	c->n = -2;
}
static inline void lt_cell_null(struct lt_import_cell *c) { c->n = -1; }
static inline void lt_cell_opt(struct lt_import_cell *c, int present, int64_t v)
{
	c->i = v;
	c->n = present ? -2 : -1;
}
static inline void lt_cell_text(struct lt_import_cell *c, const char *s, int n)
{
	c->s = s;
	c->n = n < 0 ? (int)strlen(s) : n;
}

#endif
