/*
 * import_db.c — the importer's prepared statements.
 */
#include "import_db.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const stmt_sql[ST_COUNT] = {
	[ST_THREAD] = "INSERT OR REPLACE INTO threads VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_STACK] = "INSERT INTO stacks VALUES(?,?,?,?,?,?)",
	[ST_RESOURCE] = "INSERT INTO resources VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,NULL)",
	[ST_RESOURCE_DESTROY] = "UPDATE resources SET destroyed_ns=? WHERE id=?",
	[ST_RESOURCE_REF] = "UPDATE resources SET ref=? WHERE id=?",
	[ST_PROMISE] = "INSERT OR IGNORE INTO promises VALUES(?,?,?,?,?,?,?,?,?,?,?)",
	[ST_PROMISE_REJECTED] = "UPDATE promises SET state='rejected' WHERE id=?",
	[ST_PROMISE_SETTLED] = "UPDATE promises SET settled_ns=?, settled_seq=?, state='settled'"
			       " WHERE id=? AND state='pending'",
	[ST_DISPATCH] = "INSERT INTO dispatches VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_OUTPUT] = "INSERT INTO output(pid,tid,dispatch_seq,fd,ts_ns,text) VALUES(?,?,?,?,?,?)",
	[ST_ITERATION] = "INSERT OR REPLACE INTO iterations VALUES(?,?,?,?,?,?,?,?,?)",
	[ST_REJECTION] = "INSERT INTO rejections(pid,tid,kind,promise_id,reason,stack_id,ts_ns,"
			 "dispatch_seq) VALUES(?,?,?,?,?,?,?,?)",
	[ST_LINEAGE] = "INSERT INTO lineage VALUES(?,?,?,?,?,?)",
	[ST_REJECTION_DETAIL] = "UPDATE rejections SET reason=? WHERE id=?",
	[ST_BLOCKING] = "INSERT INTO blocking_calls(pid,tid,dispatch_seq,call,begin_ns,end_ns)"
			" VALUES(?,?,?,?,?,?)",
	[ST_SAMPLE] = "INSERT INTO samples(pid,tid,ts_ns,dispatch_seq,stack_id,busy_ns,on_cpu_ns,runq_ns)"
		       " VALUES(?,?,?,?,?,?,?,?)",
	[ST_RESOURCE_CLEAR] = "UPDATE resources SET cleared_ns=? WHERE id=? AND cleared_ns IS NULL",
};

/* "INSERT ... VALUES(?,...)" of a one-row statement, as `rows` rows. */
static char *many_rows_sql(const char *one, int columns, int rows)
{
	const char *values = strstr(one, "VALUES(");
	if (!values)
		return NULL;
	size_t head = (size_t)(values - one) + strlen("VALUES");
	size_t row = (size_t)columns * 2 + 2; /* "(?,?,?)," */
	char *sql = malloc(head + row * (size_t)rows + 1);
	if (!sql)
		return NULL;
	memcpy(sql, one, head);
	char *p = sql + head;
	for (int r = 0; r < rows; r++) {
		*p++ = '(';
		for (int c = 0; c < columns; c++) {
			*p++ = '?';
			*p++ = c + 1 < columns ? ',' : ')';
		}
		*p++ = r + 1 < rows ? ',' : '\0';
	}
	return sql;
}

static int prepare_batch(struct lt_import_db *d, enum lt_import_batch_id b, enum lt_import_stmt single)
{
	struct lt_import_batch *bt = &d->batch[b];
	bt->single = single;
	bt->rows = 0;
	bt->columns = sqlite3_bind_parameter_count(d->st[single]);
	if (bt->columns <= 0 || bt->columns > LT_IMPORT_BATCH_COLUMNS)
		return -EIO;
	char *sql = many_rows_sql(stmt_sql[single], bt->columns, LT_IMPORT_BATCH_ROWS);
	if (!sql)
		return -ENOMEM;
	int rc = sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &bt->many, NULL);
	free(sql);
	return rc == SQLITE_OK ? 0 : -EIO;
}

int lt_import_db_prepare(struct lt_import_db *d, sqlite3 *db)
{
	d->db = db;
	d->failed = 0;
	for (int i = 0; i < ST_COUNT; i++)
		d->st[i] = NULL;
	for (int b = 0; b < BATCH_COUNT; b++)
		d->batch[b].many = NULL;
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &d->st[i], NULL) !=
		    SQLITE_OK)
			return -EIO;
	if (prepare_batch(d, BATCH_DISPATCH, ST_DISPATCH) != 0 ||
	    prepare_batch(d, BATCH_PROMISE, ST_PROMISE) != 0)
		return -EIO;
	return 0;
}

void lt_import_db_finalize(struct lt_import_db *d)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(d->st[i]);
		d->st[i] = NULL;
	}
	for (int b = 0; b < BATCH_COUNT; b++) {
		sqlite3_finalize(d->batch[b].many);
		d->batch[b].many = NULL;
	}
}

static void bind_cell(sqlite3_stmt *s, int col, const struct lt_import_cell *c)
{
	if (c->n == -2)
		sqlite3_bind_int64(s, col, c->i);
	else if (c->n < 0)
		sqlite3_bind_null(s, col);
	else
		sqlite3_bind_text(s, col, c->s, c->n, SQLITE_STATIC);
}

static void step(struct lt_import_db *d, sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		d->failed = 1;
	sqlite3_reset(s);
}

struct lt_import_cell *lt_import_row(struct lt_import_db *d, enum lt_import_batch_id b)
{
	struct lt_import_batch *bt = &d->batch[b];
	return &bt->cells[bt->rows * bt->columns];
}

void lt_import_row_done(struct lt_import_db *d, enum lt_import_batch_id b)
{
	struct lt_import_batch *bt = &d->batch[b];
	if (++bt->rows < LT_IMPORT_BATCH_ROWS)
		return;
	int n = bt->rows * bt->columns;
	for (int i = 0; i < n; i++)
		bind_cell(bt->many, i + 1, &bt->cells[i]);
	step(d, bt->many);
	bt->rows = 0;
}

void lt_import_flush(struct lt_import_db *d, enum lt_import_batch_id b)
{
	struct lt_import_batch *bt = &d->batch[b];
	sqlite3_stmt *one = d->st[bt->single];
	for (int r = 0; r < bt->rows; r++) {
		for (int c = 0; c < bt->columns; c++)
			bind_cell(one, c + 1, &bt->cells[r * bt->columns + c]);
		step(d, one);
	}
	bt->rows = 0;
}

void lt_import_flush_all(struct lt_import_db *d)
{
	for (int b = 0; b < BATCH_COUNT; b++)
		lt_import_flush(d, (enum lt_import_batch_id)b);
}

void lt_import_bind_opt(sqlite3_stmt *s, int col, int present, int64_t v)
{
	if (present)
		sqlite3_bind_int64(s, col, v);
	else
		sqlite3_bind_null(s, col);
}

void lt_import_db_run(struct lt_import_db *d, enum lt_import_stmt which)
{
	sqlite3_stmt *s = d->st[which];
	if (sqlite3_step(s) != SQLITE_DONE)
		d->failed = 1;
	sqlite3_reset(s);
}
