/*
 * import_db.c — the importer's prepared statements: rows queued by the
 * replay, bound and stepped by the writer thread (import_queue.c).
 */
#include "import_db.h"
#include "import_vouch.h"

#include "import_order.h"
#include "import_queue.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
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

/* What each statement writes, for the importer's own check of its values
 * (import_vouch.h): the table, the columns of its parameters in order and,
 * for an INSERT, the columns SQL fills (a NULL, the rowid); NULL for an
 * UPDATE. */
static const struct {
	const char *table, *params, *sets;
} stmt_writes[ST_COUNT] = {
	[ST_THREAD] = {"threads",
		       "pid,tid,ppid,parent_tid,is_main_thread,js_thread_id,argv,main_script,start_ns,end_ns,"
		       "clean_exit,events,raw_bytes,thread_name,exec_path,end_reason",
		       ""},
	[ST_STACK] = {"stacks", "stack_id,depth,function,file,line,column", ""},
	[ST_RESOURCE] = {"resources",
			 "id,pid,tid,async_id,type,trigger_id,created_ns,created_seq,stack_id,site_stack_id,"
			 "callback,timer_delay_ms,timer_repeat,ref",
			 "destroyed_ns,cleared_ns"},
	[ST_RESOURCE_DESTROY] = {"resources", "destroyed_ns,id", NULL},
	[ST_RESOURCE_REF] = {"resources", "ref,id", NULL},
	[ST_PROMISE] = {"promises",
			"id,pid,tid,parent_id,created_ns,created_seq,settled_ns,settled_seq,state,stack_id,"
			"site_stack_id",
			""},
	[ST_PROMISE_REJECTED] = {"promises", "id", NULL},
	[ST_PROMISE_SETTLED] = {"promises", "settled_ns,settled_seq,id", NULL},
	[ST_DISPATCH] = {"dispatches",
			 "seq,pid,tid,queue,type,resource_id,promise_id,parent_seq,depth,trigger_seq,iteration,"
			 "phase,begin_ns,end_ns",
			 ""},
	[ST_OUTPUT] = {"output", "pid,tid,dispatch_seq,fd,ts_ns,text", "id"},
	[ST_ITERATION] = {"iterations", "pid,tid,n,begin_ns,poll_begin_ns,poll_end_ns,end_ns,timeout_ms,events",
			  ""},
	[ST_REJECTION] = {"rejections", "pid,tid,kind,promise_id,reason,stack_id,ts_ns,dispatch_seq", "id"},
	[ST_LINEAGE] = {"lineage", "pid,tid,kind,ts_ns,child_pid,detail", ""},
	[ST_REJECTION_DETAIL] = {"rejections", "reason,id", NULL},
	[ST_BLOCKING] = {"blocking_calls", "pid,tid,dispatch_seq,call,begin_ns,end_ns", "id"},
	[ST_SAMPLE] = {"samples", "pid,tid,ts_ns,dispatch_seq,stack_id,busy_ns,on_cpu_ns,runq_ns", "id"},
	[ST_RESOURCE_CLEAR] = {"resources", "cleared_ns,id", NULL},
};

/* The tables only these statements write during an import (threads also
 * gets an UPDATE from import.c, the stream tables their own statements). */
const char *const lt_import_vouched_tables[] = {
	"stacks", "resources", "promises", "dispatches", "output", "iterations",
	"rejections", "lineage", "blocking_calls", "samples", NULL,
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
	bt->columns = d->columns[single];
	if (bt->columns <= 0 || bt->columns > LT_IMPORT_BATCH_COLUMNS)
		return -EIO;
	char *sql = many_rows_sql(stmt_sql[single], bt->columns, LT_IMPORT_BATCH_ROWS);
	if (!sql)
		return -ENOMEM;
	int rc = sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &bt->many, NULL);
	free(sql);
	return rc == SQLITE_OK ? 0 : -EIO;
}

/* An operation's head cell names its target: a statement, a batch's row, a
 * batch's flush. */
enum { OP_HEAD = -3, TARGET_ROW = ST_COUNT, TARGET_FLUSH = ST_COUNT + BATCH_COUNT };

static void run_chunk(void *ctx, struct lt_import_chunk *chunk);
static struct lt_import_cell *queue_op(struct lt_import_db *d, int target, int n);

/* Rowids in order within this many: 32K rows of a batch held (11 MB). */
#define ORDER_WINDOW 32768u

static void queue_dispatch_row(void *ctx, const struct lt_import_cell *cells)
{
	struct lt_import_db *d = ctx;
	memcpy(queue_op(d, TARGET_ROW + BATCH_DISPATCH, d->batch[BATCH_DISPATCH].columns), cells,
	       (size_t)d->batch[BATCH_DISPATCH].columns * sizeof(*cells));
}

static void queue_promise_row(void *ctx, const struct lt_import_cell *cells)
{
	struct lt_import_db *d = ctx;
	memcpy(queue_op(d, TARGET_ROW + BATCH_PROMISE, d->batch[BATCH_PROMISE].columns), cells,
	       (size_t)d->batch[BATCH_PROMISE].columns * sizeof(*cells));
}

static int start_orders(struct lt_import_db *d)
{
	static const lt_import_emit_fn emit[BATCH_COUNT] = {
		[BATCH_DISPATCH] = queue_dispatch_row,
		[BATCH_PROMISE] = queue_promise_row,
	};
	for (int b = 0; b < BATCH_COUNT; b++) {
		d->order[b] = malloc(sizeof(*d->order[b]));
		if (!d->order[b] ||
		    lt_import_order_init(d->order[b], d->batch[b].columns, ORDER_WINDOW, emit[b], d) != 0) {
			free(d->order[b]);
			d->order[b] = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

static void free_orders(struct lt_import_db *d)
{
	for (int b = 0; b < BATCH_COUNT; b++) {
		if (d->order[b])
			lt_import_order_free(d->order[b]);
		free(d->order[b]);
		d->order[b] = NULL;
	}
}

/* The rowid SQLite gives the next row of rejections (max + 1). */
static int next_rejection_rowid(sqlite3 *db, int64_t *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(rowid), 0) + 1 FROM rejections", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -EIO;
	*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int lt_import_db_prepare(struct lt_import_db *d, sqlite3 *db)
{
	memset(d, 0, sizeof(*d));
	d->db = db;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &d->st[i], NULL) !=
		    SQLITE_OK)
			return -EIO;
		d->columns[i] = sqlite3_bind_parameter_count(d->st[i]);
		char why[160];
		if (lt_import_vouch_init(&d->vouch[i], stmt_writes[i].table, stmt_writes[i].params,
					 stmt_writes[i].sets, d->columns[i], why, sizeof(why)) != 0) {
			snprintf(d->write_error, sizeof(d->write_error), "%s", why);
			return -EIO;
		}
	}
	if (prepare_batch(d, BATCH_DISPATCH, ST_DISPATCH) != 0 ||
	    prepare_batch(d, BATCH_PROMISE, ST_PROMISE) != 0 ||
	    next_rejection_rowid(db, &d->next_rejection_rowid) != 0)
		return -EIO;
	if (start_orders(d) != 0)
		return -ENOMEM;
	d->queue = malloc(sizeof(*d->queue));
	if (!d->queue)
		return -ENOMEM;
	if (lt_import_queue_start(d->queue, run_chunk, d) != 0) {
		free(d->queue);
		d->queue = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The importer's own check of a chunk's rows (import_vouch.h), on the
 * replay's thread before the writer gets the chunk; after a row breaks a
 * rule the rest is not tested (the trace will be scanned at its first
 * open anyway). */
static void vouch_chunk(struct lt_import_db *d, const struct lt_import_chunk *chunk)
{
	size_t k = 0;
	while (!d->unvouched && k < chunk->n_cells) {
		int target = (int)chunk->cells[k].i;
		const struct lt_import_cell *cells = &chunk->cells[k + 1];
		int which, n;
		if (target < TARGET_ROW) {
			which = target;
			n = d->columns[target];
		} else if (target < TARGET_FLUSH) {
			which = d->batch[target - TARGET_ROW].single;
			n = d->batch[target - TARGET_ROW].columns;
		} else {
			k++;
			continue;
		}
		d->unvouched = lt_import_vouch_row(&d->vouch[which], cells);
		k += 1 + (size_t)n;
	}
}

static void stop_writer(struct lt_import_db *d)
{
	if (!d->queue)
		return;
	vouch_chunk(d, lt_import_queue_current(d->queue));
	lt_import_queue_stop(d->queue);
	free(d->queue);
	d->queue = NULL;
	d->failed |= d->write_failed;
}

void lt_import_db_finish_writes(struct lt_import_db *d)
{
	if (!d->queue)
		return;
	for (int b = 0; b < BATCH_COUNT; b++)
		lt_import_flush(d, (enum lt_import_batch_id)b);
	stop_writer(d);
}

void lt_import_db_finalize(struct lt_import_db *d)
{
	stop_writer(d);
	free_orders(d);
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(d->st[i]);
		d->st[i] = NULL;
	}
	for (int b = 0; b < BATCH_COUNT; b++) {
		sqlite3_finalize(d->batch[b].many);
		d->batch[b].many = NULL;
	}
}

/* ---- the replay's side: rows into the current chunk ---- */

/* An operation of n value cells on target, at the end of the current chunk. */
static struct lt_import_cell *queue_op(struct lt_import_db *d, int target, int n)
{
	struct lt_import_chunk *c = lt_import_queue_current(d->queue);
	if (c->n_cells + 1 + (size_t)n > LT_IMPORT_CHUNK_CELLS) {
		vouch_chunk(d, c);
		lt_import_queue_submit(d->queue);
		c = lt_import_queue_current(d->queue);
	}
	struct lt_import_cell *head = &c->cells[c->n_cells];
	head->n = OP_HEAD;
	head->i = target;
	c->n_cells += 1 + (size_t)n;
	return head + 1;
}

struct lt_import_cell *lt_import_op(struct lt_import_db *d, enum lt_import_stmt which)
{
	return queue_op(d, which, d->columns[which]);
}

struct lt_import_cell *lt_import_row(struct lt_import_db *d, enum lt_import_batch_id b, int64_t rowid)
{
	struct lt_import_cell *held = lt_import_order_put(d->order[b], rowid);
	return held ? held : queue_op(d, TARGET_ROW + b, d->batch[b].columns);
}

void lt_import_flush(struct lt_import_db *d, enum lt_import_batch_id b)
{
	lt_import_order_drain(d->order[b]);
	queue_op(d, TARGET_FLUSH + b, 0);
}

void lt_cell_text_copy(struct lt_import_db *d, struct lt_import_cell *c, const char *s, int n)
{
	struct lt_import_chunk *chunk = lt_import_queue_current(d->queue);
	if (n < 0)
		n = (int)strlen(s);
	char *copy;
	int owned = 0;
	if ((size_t)n <= LT_IMPORT_CHUNK_TEXT - chunk->text_used) {
		copy = chunk->text + chunk->text_used;
		chunk->text_used += (size_t)n;
	} else {
		copy = malloc(n ? (size_t)n : 1);
		if (!copy) {
			d->failed = 1;
			lt_cell_null(c);
			return;
		}
		owned = 1;
	}
	if (n)
		memcpy(copy, s, (size_t)n);
	c->s = copy;
	c->n = n;
	c->owned = owned;
}

/* ---- the writer's side ---- */

static void bind_cell(sqlite3_stmt *s, int col, const struct lt_import_cell *c)
{
	if (c->n == -2)
		sqlite3_bind_int64(s, col, c->i);
	else if (c->n < 0)
		sqlite3_bind_null(s, col);
	else
		sqlite3_bind_text(s, col, c->s, c->n, SQLITE_STATIC);
}

/* Step s; after a failure nothing more is stepped (the import is rolled
 * back, and going on after SQLITE_FULL only buries its message under
 * others), and the first message is kept for the caller. */
static void step(struct lt_import_db *d, sqlite3_stmt *s)
{
	if (d->write_failed)
		return;
	if (sqlite3_step(s) != SQLITE_DONE) {
		d->write_failed = 1;
		snprintf(d->write_error, sizeof(d->write_error), "%s", sqlite3_errmsg(d->db));
	}
	sqlite3_reset(s);
}

static void add_row(struct lt_import_db *d, enum lt_import_batch_id b, const struct lt_import_cell *row)
{
	struct lt_import_batch *bt = &d->batch[b];
	memcpy(&bt->cells[bt->rows * bt->columns], row, (size_t)bt->columns * sizeof(*row));
	if (++bt->rows < LT_IMPORT_BATCH_ROWS)
		return;
	int n = bt->rows * bt->columns;
	for (int i = 0; i < n; i++)
		bind_cell(bt->many, i + 1, &bt->cells[i]);
	step(d, bt->many);
	bt->rows = 0;
}

static void flush_batch(struct lt_import_db *d, enum lt_import_batch_id b)
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

static void run_statement(struct lt_import_db *d, int which, struct lt_import_cell *cells)
{
	sqlite3_stmt *st = d->st[which];
	int n = d->columns[which];
	for (int i = 0; i < n; i++)
		bind_cell(st, i + 1, &cells[i]);
	step(d, st);
	for (int i = 0; i < n; i++)
		if (cells[i].owned)
			free((void *)cells[i].s);
}

static void run_chunk(void *ctx, struct lt_import_chunk *chunk)
{
	struct lt_import_db *d = ctx;
	size_t k = 0;
	while (k < chunk->n_cells) {
		int target = (int)chunk->cells[k].i;
		struct lt_import_cell *cells = &chunk->cells[k + 1];
		if (target < TARGET_ROW) {
			run_statement(d, target, cells);
			k += 1 + (size_t)d->columns[target];
		} else if (target < TARGET_FLUSH) {
			add_row(d, (enum lt_import_batch_id)(target - TARGET_ROW), cells);
			k += 1 + (size_t)d->batch[target - TARGET_ROW].columns;
		} else {
			flush_batch(d, (enum lt_import_batch_id)(target - TARGET_FLUSH));
			k++;
		}
	}
}
