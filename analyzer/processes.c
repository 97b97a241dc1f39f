/*
 * processes.c — names and lifetimes of the traced processes and threads.
 */
#include "processes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lt_table_has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
	int found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

int lt_table_exists(sqlite3 *db, const char *table)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1,
			       &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	int found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static const char *text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? (const char *)t : "";
}

int64_t lt_main_tid(sqlite3 *db, int64_t pid)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT tid FROM threads WHERE pid = ? ORDER BY is_main_thread DESC, tid LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, pid);
	int64_t tid = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return tid;
}

/* The process's script: its main thread's main_script, else its argv. */
static void process_script(sqlite3 *db, int64_t pid, char *script, size_t len)
{
	sqlite3_stmt *s;
	script[0] = '\0';
	if (sqlite3_prepare_v2(db,
			       "SELECT COALESCE(NULLIF(main_script, ''), argv, '') FROM threads WHERE pid = ?"
			       " ORDER BY is_main_thread DESC, tid LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, pid);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(script, len, "%s", text(s, 0));
	sqlite3_finalize(s);
}

static void process_argv(sqlite3 *db, int64_t pid, char *argv, size_t len)
{
	sqlite3_stmt *s;
	argv[0] = '\0';
	if (sqlite3_prepare_v2(db,
			       "SELECT COALESCE(argv, '') FROM threads WHERE pid = ? AND argv IS NOT NULL"
			       " AND argv <> '' ORDER BY is_main_thread DESC, tid LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, pid);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(argv, len, "%s", text(s, 0));
	sqlite3_finalize(s);
}

int lt_thread_label(sqlite3 *db, int64_t pid, int64_t tid, char *name, size_t namelen, char *script,
		    size_t scriptlen)
{
	name[0] = '\0';
	process_script(db, pid, script, scriptlen);
	const char *sql = lt_table_has_column(db, "threads", "thread_name")
				  ? "SELECT is_main_thread, js_thread_id, COALESCE(thread_name, '') FROM threads"
				    " WHERE pid = ? AND tid = ?"
				  : "SELECT is_main_thread, js_thread_id, '' FROM threads WHERE pid = ? AND tid = ?";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, pid);
	sqlite3_bind_int64(s, 2, tid);
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (*text(s, 2))
			snprintf(name, namelen, "%s", text(s, 2));
		else if (sqlite3_column_int(s, 0))
			snprintf(name, namelen, "main");
		else
			snprintf(name, namelen, "worker %lld", (long long)sqlite3_column_int64(s, 1));
	}
	sqlite3_finalize(s);
	return 0;
}

/* Where a process exec'd a binary that is not traced (a native program):
 * a thread ended by the exec (threads.exec_path, end_reason 'exec') with no
 * JavaScript thread of the same pid starting after it.  Lineage rows of
 * kind 'exec' also record the exec that started node itself, so they do
 * not say the process left node. */
static void process_exec(sqlite3 *db, struct lt_process *p, int64_t t0)
{
	if (!lt_table_has_column(db, "threads", "exec_path"))
		return;
	sqlite3_stmt *s = NULL;
	static const char sql[] =
		"SELECT t.exec_path, t.end_ns FROM threads t WHERE t.pid = ?1 AND t.exec_path IS NOT NULL"
		" AND t.exec_path <> '' AND NOT EXISTS (SELECT 1 FROM threads n WHERE n.pid = ?1"
		"   AND n.start_ns > t.end_ns AND n.main_script IS NOT NULL)"
		" ORDER BY t.end_ns DESC LIMIT 1";
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, p->pid);
	if (sqlite3_step(s) == SQLITE_ROW && *text(s, 0)) {
		snprintf(p->exec_path, sizeof(p->exec_path), "%s", text(s, 0));
		double at_ms = (double)(sqlite3_column_int64(s, 1) - t0) / 1e6;
		if (at_ms >= p->start_ms && at_ms <= p->end_ms) {
			p->exec_after_ms = at_ms - p->start_ms;
			p->end_ms = at_ms; /* traced until the exec */
		} else {
			p->exec_after_ms = p->end_ms - p->start_ms;
		}
	}
	sqlite3_finalize(s);
}

int lt_processes_load(sqlite3 *db, struct lt_processes *out)
{
	memset(out, 0, sizeof(*out));
	static const char sql[] =
		"SELECT pid, max(ppid), min(start_ns), max(end_ns),"
		" (SELECT clean_exit FROM threads m WHERE m.pid = threads.pid"
		"   ORDER BY is_main_thread DESC, tid LIMIT 1),"
		" sum(is_main_thread = 1 OR js_thread_id > 0),"
		" (SELECT min(start_ns) FROM threads)"
		" FROM threads GROUP BY pid ORDER BY min(start_ns), pid";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	size_t cap = 0;
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (out->n == cap) {
			size_t c = cap ? cap * 2 : 8;
			struct lt_process *grown = realloc(out->items, c * sizeof(*grown));
			if (!grown) {
				rc = -ENOMEM;
				goto finalize;
			}
			out->items = grown;
			cap = c;
		}
		struct lt_process *p = &out->items[out->n++];
		memset(p, 0, sizeof(*p));
		int64_t t0 = sqlite3_column_int64(s, 6);
		p->pid = sqlite3_column_int64(s, 0);
		p->ppid = sqlite3_column_int64(s, 1);
		p->start_ms = (double)(sqlite3_column_int64(s, 2) - t0) / 1e6;
		p->end_ms = sqlite3_column_type(s, 3) == SQLITE_NULL
				    ? p->start_ms
				    : (double)(sqlite3_column_int64(s, 3) - t0) / 1e6;
		p->clean_exit = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 4);
		p->threads = sqlite3_column_int(s, 5);
		p->main_tid = lt_main_tid(db, p->pid);
		process_script(db, p->pid, p->script, sizeof(p->script));
		process_argv(db, p->pid, p->argv, sizeof(p->argv));
		process_exec(db, p, t0);
	}
	if (step != SQLITE_DONE)
		rc = -EIO;
finalize:
	sqlite3_finalize(s);
	if (rc != 0)
		lt_processes_free(out);
	return rc;
}

void lt_processes_free(struct lt_processes *p)
{
	free(p->items);
	memset(p, 0, sizeof(*p));
}
