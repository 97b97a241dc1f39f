/*
 * import_db.h — the importer's SQLite writing: one prepared statement per
 * kind of row; the record handlers fill rows of cells, a writer thread
 * binds and steps them in order (import_queue.h).
 *
 * Ownership: lt_import_db_prepare borrows the caller's open database (the
 * writer thread uses it until lt_import_db_finish_writes: the caller must
 * not) and owns the statements, the queue and the batches' cells until
 * lt_import_db_finalize.  Errors: a failed step sets `write_failed`, folded
 * into `failed` when the writer ends (the import then rolls back); prepare
 * returns 0, -EIO or -ENOMEM.
 */
#ifndef LOOPTRACE_IMPORT_DB_H
#define LOOPTRACE_IMPORT_DB_H

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "import_cell.h"
#include "import_vouch.h"

struct lt_import_queue;
struct lt_import_order;

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
 * about twice the rows per second of one INSERT per row). */
#define LT_IMPORT_BATCH_ROWS 64
#define LT_IMPORT_BATCH_COLUMNS 14

enum lt_import_batch_id { BATCH_DISPATCH, BATCH_PROMISE, BATCH_COUNT };

struct lt_import_batch {
	enum lt_import_stmt single; /* the one-row statement, for the remainder */
	sqlite3_stmt *many;
	int columns, rows;
	struct lt_import_cell cells[LT_IMPORT_BATCH_ROWS * LT_IMPORT_BATCH_COLUMNS];
};

/* The replay (the record handlers) asks for the cells of a row and fills
 * them; the row goes into the queue (import_queue.h) and the writer thread
 * binds and steps it, in the order the rows were asked for.  Fields marked
 * "writer" are the writer thread's while the queue runs. */
struct lt_import_db {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	int columns[ST_COUNT];
	struct lt_import_batch batch[BATCH_COUNT]; /* writer */
	struct lt_import_queue *queue;             /* NULL once stopped */
	struct lt_import_order *order[BATCH_COUNT]; /* the batches' rows back in rowid order */
	int64_t next_rejection_rowid; /* the rowid the next ST_REJECTION row gets */
	struct lt_import_vouch vouch[ST_COUNT]; /* each statement's rules (import_vouch.h) */
	const char *unvouched; /* the first column whose value broke the check's rules (replay) */
	int failed;       /* the replay failed (memory): the import is rolled back */
	int write_failed; /* writer: a statement failed (the writer then steps nothing more) */
	char write_error[160]; /* writer: SQLite's message of that first failure */
};

/* The tables that only these statements write during an import: every
 * value in them was tested by the importer (import_vouch.h) when
 * `unvouched` stays NULL.  NULL-terminated. */
extern const char *const lt_import_vouched_tables[];

/* Prepare the statements and start the writer.  0, -EIO or -ENOMEM. */
int lt_import_db_prepare(struct lt_import_db *d, sqlite3 *db);
/* Write what is queued (the batches' last rows too) and end the writer;
 * the connection is the caller's again.  A write failure sets d->failed. */
void lt_import_db_finish_writes(struct lt_import_db *d);
/* End the writer if it runs, finalize the statements. */
void lt_import_db_finalize(struct lt_import_db *d);

/* The cells of a new row of statement `which` (its parameters in order),
 * to be filled before the next row is asked for. */
struct lt_import_cell *lt_import_op(struct lt_import_db *d, enum lt_import_stmt which);
/* The cells of a new row of batch b (columns of the one-row statement, in
 * order; the first is the row's rowid, given here too), to be filled
 * before the next row is asked for.  Its texts must outlive the import (no
 * lt_cell_text_copy).  Rows of a batch may be written in another order
 * (import_order.h): anything that updates their table flushes first. */
struct lt_import_cell *lt_import_row(struct lt_import_db *d, enum lt_import_batch_id b, int64_t rowid);
/* Write the rows of batch b still held (before anything updates its
 * table). */
void lt_import_flush(struct lt_import_db *d, enum lt_import_batch_id b);
/* A copy of text s (n bytes) in cell c of the row asked for last. */
void lt_cell_text_copy(struct lt_import_db *d, struct lt_import_cell *c, const char *s, int n);

#endif
