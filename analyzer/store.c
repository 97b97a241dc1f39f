/*
 * store.c — the trace database schema and its validated opening.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Keep in sync with README.md, "The trace database". */
static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	"CREATE TABLE threads(pid INTEGER, tid INTEGER, ppid INTEGER, parent_tid INTEGER,"
	" is_main_thread INTEGER, js_thread_id INTEGER, argv TEXT, main_script TEXT,"
	" start_ns INTEGER, end_ns INTEGER, clean_exit INTEGER, events INTEGER,"
	" raw_bytes INTEGER, thread_name TEXT, exec_path TEXT, end_reason TEXT,"
	" PRIMARY KEY(pid, tid)) WITHOUT ROWID;"
	"CREATE TABLE stacks(stack_id INTEGER, depth INTEGER, function TEXT, file TEXT,"
	" line INTEGER, column INTEGER, PRIMARY KEY(stack_id, depth)) WITHOUT ROWID;"
	"CREATE TABLE resources(id INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER,"
	" async_id INTEGER, type TEXT, trigger_id INTEGER, created_ns INTEGER,"
	" created_seq INTEGER, stack_id INTEGER, site_stack_id INTEGER, callback TEXT,"
	" timer_delay_ms INTEGER, timer_repeat INTEGER, ref INTEGER, destroyed_ns INTEGER,"
	" cleared_ns INTEGER);"
	"CREATE TABLE promises(id INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER,"
	" parent_id INTEGER, created_ns INTEGER, created_seq INTEGER, settled_ns INTEGER,"
	" settled_seq INTEGER, state TEXT, stack_id INTEGER, site_stack_id INTEGER);"
	"CREATE TABLE dispatches(seq INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER,"
	" queue TEXT, type TEXT, resource_id INTEGER, promise_id INTEGER,"
	" parent_seq INTEGER, depth INTEGER, trigger_seq INTEGER, iteration INTEGER,"
	" phase TEXT, begin_ns INTEGER, end_ns INTEGER);"
	"CREATE TABLE output(id INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER,"
	" dispatch_seq INTEGER, fd INTEGER, ts_ns INTEGER, text TEXT);"
	"CREATE TABLE iterations(pid INTEGER, tid INTEGER, n INTEGER, begin_ns INTEGER,"
	" poll_begin_ns INTEGER, poll_end_ns INTEGER, end_ns INTEGER, timeout_ms INTEGER,"
	" events INTEGER, PRIMARY KEY(pid, tid, n)) WITHOUT ROWID;"
	"CREATE TABLE rejections(id INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER,"
	" kind TEXT, promise_id INTEGER, reason TEXT, stack_id INTEGER, ts_ns INTEGER,"
	" dispatch_seq INTEGER);"
	"CREATE TABLE blocking_calls(id INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER,"
	" dispatch_seq INTEGER, call TEXT, begin_ns INTEGER, end_ns INTEGER);"
	"CREATE TABLE lineage(pid INTEGER, tid INTEGER, kind TEXT, ts_ns INTEGER,"
	" child_pid INTEGER, detail TEXT);"
	"CREATE TABLE samples(id INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER, ts_ns INTEGER,"
	" dispatch_seq INTEGER, stack_id INTEGER);";

/* Only what replay needs: an index costs import time on every trace, and
 * readers that want more can build it (an analysis can add a TEMP one). */
static const char index_sql[] =
	"CREATE INDEX output_by_dispatch ON output(dispatch_seq);"
	"CREATE INDEX resources_by_async ON resources(pid, tid, async_id);"
	"CREATE INDEX blocking_by_dispatch ON blocking_calls(dispatch_seq);"
	"CREATE INDEX samples_by_dispatch ON samples(dispatch_seq);";

static int exec_sql(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int lt_store_create(const char *path, sqlite3 **db)
{
	*db = NULL;
	struct stat st;
	if (stat(path, &st) == 0)
		return -EEXIST;
	sqlite3 *h;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return -EIO;
	}
	char pragmas[256];
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA application_id=%d; PRAGMA user_version=%d; PRAGMA page_size=65536;"
		 "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;"
		 "PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=MEMORY;",
		 LT_STORE_APP_ID, LT_STORE_VERSION);
	if (exec_sql(h, pragmas) != 0 || exec_sql(h, schema_sql) != 0) {
		sqlite3_close(h);
		unlink(path);
		return -EIO;
	}
	*db = h;
	return 0;
}

int lt_store_finish(sqlite3 *db) { return exec_sql(db, index_sql); }

static int fail(char *err, size_t n, int code, const char *path, const char *why)
{
	snprintf(err, n, "%s: %s", path, why);
	return code;
}

static int read_pragma(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int lt_store_open(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	*db = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, path, strerror(errno));
	char magic[16] = {0};
	ssize_t got = read(fd, magic, sizeof(magic));
	struct stat st;
	int stat_ok = fstat(fd, &st) == 0;
	close(fd);
	if (stat_ok && S_ISDIR(st.st_mode))
		return fail(err, errlen, -EISDIR, path, "is a directory, not a trace");
	if (got != (ssize_t)sizeof(magic) || memcmp(magic, "SQLite format 3", 16) != 0)
		return fail(err, errlen, -EINVAL, path, "not a looptrace trace (not an SQLite database)");

	sqlite3 *h;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return fail(err, errlen, -EIO, path, "cannot open the database");
	}
	int app = 0, version = 0;
	if (read_pragma(h, "PRAGMA application_id", &app) != 0 ||
	    read_pragma(h, "PRAGMA user_version", &version) != 0) {
		sqlite3_close(h);
		return fail(err, errlen, -EINVAL, path, "corrupt or truncated trace");
	}
	if (app != LT_STORE_APP_ID) {
		sqlite3_close(h);
		return fail(err, errlen, -EINVAL, path, "not a looptrace trace (foreign SQLite database)");
	}
	if (version != LT_STORE_VERSION) {
		sqlite3_close(h);
		snprintf(err, errlen, "%s: trace schema version %d, this looptrace reads version %d",
			 path, version, LT_STORE_VERSION);
		return -EPROTONOSUPPORT;
	}
	/* A truncated file still opens; its header says how long it should be. */
	int pages = 0, page_size = 0;
	if (read_pragma(h, "PRAGMA page_count", &pages) != 0 ||
	    read_pragma(h, "PRAGMA page_size", &page_size) != 0 || !stat_ok ||
	    (long long)pages * page_size > (long long)st.st_size) {
		sqlite3_close(h);
		return fail(err, errlen, -EINVAL, path, "corrupt or truncated trace");
	}
	*db = h;
	return 0;
}

int lt_store_set_meta(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

void lt_store_get_meta(sqlite3 *db, const char *key, char *buf, size_t n)
{
	buf[0] = '\0';
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}
