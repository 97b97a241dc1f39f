/*
 * import_db.c — the importer's prepared statements.
 */
#include "import_db.h"

#include <errno.h>
#include <stddef.h>

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

int lt_import_db_prepare(struct lt_import_db *d, sqlite3 *db)
{
	d->db = db;
	d->failed = 0;
	for (int i = 0; i < ST_COUNT; i++)
		d->st[i] = NULL;
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &d->st[i], NULL) !=
		    SQLITE_OK)
			return -EIO;
	return 0;
}

void lt_import_db_finalize(struct lt_import_db *d)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(d->st[i]);
		d->st[i] = NULL;
	}
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
