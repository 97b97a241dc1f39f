/*
 * import_db.h — the importer's SQLite writing: one prepared statement per
 * kind of row, bound and stepped by the record handlers.
 *
 * Ownership: lt_import_db_prepare borrows the caller's open database and
 * owns the statements until lt_import_db_finalize.  Errors: a failed step
 * sets `failed` (the import then rolls back); prepare returns 0 or -EIO.
 */
#ifndef LOOPTRACE_IMPORT_DB_H
#define LOOPTRACE_IMPORT_DB_H

#include <sqlite3.h>
#include <stdint.h>

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

struct lt_import_db {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	int failed; /* a statement failed: the import is rolled back */
};

int lt_import_db_prepare(struct lt_import_db *d, sqlite3 *db);
void lt_import_db_finalize(struct lt_import_db *d);

/* Bind v, or NULL when !present. */
void lt_import_bind_opt(sqlite3_stmt *s, int col, int present, int64_t v);
/* Step and reset statement `which`; a failure sets d->failed. */
void lt_import_db_run(struct lt_import_db *d, enum lt_import_stmt which);

#endif
