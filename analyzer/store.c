/*
 * store.c — the trace database schema and its validated opening.
 */
#include "store.h"

#include "checked_traces.h"
#include "store_check.h"

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
	" dispatch_seq INTEGER, stack_id INTEGER, busy_ns INTEGER, on_cpu_ns INTEGER, runq_ns INTEGER);"
	"CREATE TABLE stream_losses(pid INTEGER, tid INTEGER, dropped_events INTEGER,"
	" dropped_bytes INTEGER, gaps INTEGER, first_gap_ns INTEGER, last_gap_ns INTEGER,"
	" reasons TEXT, promise_events INTEGER, resource_events INTEGER, output_events INTEGER,"
	" other_events INTEGER, PRIMARY KEY(pid, tid)) WITHOUT ROWID;"
	"CREATE TABLE stream_gaps(pid INTEGER, tid INTEGER, begin_ns INTEGER, end_ns INTEGER,"
	" dropped_events INTEGER);";

/* Only what replay needs: an index costs import time on every trace, and
 * readers that want more can build it (an analysis can add a TEMP one). */
static const char index_sql[] =
	"CREATE INDEX output_by_dispatch ON output(dispatch_seq);"
	"CREATE INDEX resources_by_async ON resources(pid, tid, async_id);"
	"CREATE INDEX blocking_by_dispatch ON blocking_calls(dispatch_seq);"
	"CREATE INDEX samples_by_dispatch ON samples(dispatch_seq);";

/* 64 KiB pages: a big trace's tables are read in whole scans, one read
 * per page. */
#define LT_STORE_PAGE_SIZE 65536

static int exec_sql(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int lt_store_create(const char *path, sqlite3 **db)
{
	*db = NULL;
	/* Created here, 0600 (it holds the program's output), never through a
	 * link: SQLite then opens the file that exists. */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	/* One thread writes through the connection: no SQLite mutex (taking
	 * it around every bind and step was 5% of an import). */
	sqlite3 *h;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		unlink(path);
		return -EIO;
	}
	/* The page size first: it is fixed by the first write to the file
	 * (application_id writes the header), and it was: every trace had
	 * SQLite's default 4 KiB pages, and a scan of a big trace's dispatches
	 * was 120k reads. */
	/* A 16 MiB page cache: the importer appends (nearly) in rowid order, so
	 * it needs the b-trees' interior pages and right edges only; 256 MiB
	 * cost a writing thread ~1 CPU s of fresh-heap page faults on a big
	 * import, and 250 MiB of RSS, for nothing. */
	char pragmas[256];
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA page_size=%d; PRAGMA application_id=%d; PRAGMA user_version=%d;"
		 "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16384;"
		 "PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=MEMORY;",
		 LT_STORE_PAGE_SIZE, LT_STORE_APP_ID, LT_STORE_VERSION);
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

/* Whether SQLite failed because another connection holds the file. */
static int is_locked(sqlite3 *db)
{
	int code = sqlite3_extended_errcode(db) & 0xff;
	return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

/* Close h after a failed read and say why: locked by another process
 * (-EBUSY), damaged (rc -EIO: -EINVAL, "corrupt or truncated trace", with
 * detail when there is one), or refused for `why` (any other rc: -EINVAL). */
static int refuse_open(sqlite3 *h, int rc, const char *path, const char *detail, const char *why,
		       char *err, size_t errlen)
{
	int locked = rc == -EIO && is_locked(h);
	sqlite3_close(h);
	if (locked)
		return fail(err, errlen, -EBUSY, path,
			    "the trace is locked by another process (a recording still writing it?)");
	if (rc == -EIO && detail)
		snprintf(err, errlen, "%s: corrupt or truncated trace (%s)", path, detail);
	else
		snprintf(err, errlen, "%s: %s", path, rc == -EIO ? "corrupt or truncated trace" : why);
	return -EINVAL;
}

/* Every table and index of schema_sql and index_sql exists exactly as
 * they create it: a view or a table declared differently (no primary key,
 * other columns) would make readers slow or wrong.  Returns 0, -EIO when
 * the schema could not be read, or -EINVAL with what is wrong in *what. */
static int check_schema(sqlite3 *db, const char **what)
{
	static char name[128];
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE name = ?1 AND type IN ('table', 'index')",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int rc = 0;
	for (const char *sqls[] = {schema_sql, index_sql}, **part = sqls; rc == 0 && part < sqls + 2; part++) {
		for (const char *p = *part; rc == 0 && *p;) {
			const char *end = strchr(p, ';');
			size_t len = (size_t)(end - p);
			/* "CREATE TABLE name(" or "CREATE INDEX name ON" */
			const char *n = p + strlen("CREATE TABLE ");
			size_t nl = strcspn(n, "( ");
			snprintf(name, sizeof(name), "%.*s is missing or not as looptrace creates it", (int)nl, n);
			*what = name;
			char object[64];
			snprintf(object, sizeof(object), "%.*s", (int)nl, n);
			sqlite3_bind_text(st, 1, object, -1, SQLITE_TRANSIENT);
			int step = sqlite3_step(st);
			if (step == SQLITE_ROW) {
				const char *sql = (const char *)sqlite3_column_text(st, 0);
				if (!sql || strlen(sql) != len || memcmp(sql, p, len) != 0)
					rc = -EINVAL;
			} else {
				rc = step == SQLITE_DONE ? -EINVAL : -EIO;
			}
			sqlite3_reset(st);
			p = end + 1;
		}
	}
	sqlite3_finalize(st);
	/* Planner statistics (ANALYZE, which looptrace never runs) could steer
	 * the readers' queries away from their indexes. */
	if (rc == 0 && sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'", -1,
					  &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(name, sizeof(name), "%s", "it holds planner statistics (ANALYZE), which looptrace never writes");
			*what = name;
			rc = -EINVAL;
		}
		sqlite3_finalize(st);
	}
	return rc;
}

static int open_trace(const char *path, sqlite3 **db, int check_values, char *err, size_t errlen);
static int open_fd(const char *path, int fd, const struct stat *st, sqlite3 **db, int check_values, char *err,
		   size_t errlen);

int lt_store_open(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	return open_trace(path, db, 1, err, errlen);
}

int lt_store_open_written(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	return open_trace(path, db, 0, err, errlen);
}

static int open_trace(const char *path, sqlite3 **db, int check_values, char *err, size_t errlen)
{
	*db = NULL;
	/* Non-blocking: a FIFO planted in place of a trace must not hang the
	 * open, and only a regular file is read. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return fail(err, errlen, -e, path, strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -EISDIR, path, "is a directory, not a trace");
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -EINVAL, path, "not a regular file");
	}
	char magic[16] = {0};
	ssize_t got = read(fd, magic, sizeof(magic));
	if (got != (ssize_t)sizeof(magic) || memcmp(magic, "SQLite format 3", 16) != 0) {
		close(fd);
		return fail(err, errlen, -EINVAL, path, "not a looptrace trace (not an SQLite database)");
	}
	int rc = open_fd(path, fd, &st, db, check_values, err, errlen);
	close(fd);
	return rc;
}

/* The rest of open_trace, on the checked descriptor fd (which the caller
 * closes). */
static int open_fd(const char *path, int fd, const struct stat *st_, sqlite3 **db, int check_values, char *err,
		   size_t errlen)
{
	const struct stat st = *st_;
	/* What identifies these bytes, taken before SQLite reads any of them:
	 * a trace recorded as checked with this key skips the value check. */
	struct lt_trace_key key;
	int keyed = lt_trace_key_read(fd, &key) == 0;
	/* SQLite opens the file just checked (through /proc, so that it cannot
	 * be swapped for a FIFO in between); it holds its own descriptor once
	 * sqlite3_open_v2 returns, before taking any lock.  Ours stays open
	 * until the values are checked: the check's threads open the same file
	 * through it.  One thread uses the connection: no SQLite mutex. */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	int proc = access(self, F_OK) == 0;
	const char *name = proc ? self : path;
	sqlite3 *h;
	int orc = sqlite3_open_v2(name, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (orc != SQLITE_OK) {
		sqlite3_close(h);
		return fail(err, errlen, -EIO, path, "cannot open the database");
	}
	if (lt_store_harden(h) != 0 || lt_store_read_settings(h) != 0) {
		sqlite3_close(h);
		return fail(err, errlen, -EIO, path, "cannot open the database");
	}
	int app = 0, version = 0;
	if (read_pragma(h, "PRAGMA application_id", &app) != 0 ||
	    read_pragma(h, "PRAGMA user_version", &version) != 0)
		return refuse_open(h, -EIO, path, NULL, NULL, err, errlen);
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
	    read_pragma(h, "PRAGMA page_size", &page_size) != 0 ||
	    (long long)pages * page_size > (long long)st.st_size) {
		sqlite3_close(h);
		return fail(err, errlen, -EINVAL, path, "corrupt or truncated trace");
	}
	const char *what = "";
	int rc = check_schema(h, &what);
	if (rc != 0)
		return refuse_open(h, rc, path, NULL, what, err, errlen);
	char why[512];
	if (check_values && !(keyed && lt_checked_traces_find(&key))) {
		rc = lt_store_check(h, proc ? self : NULL, why, sizeof(why));
		if (rc != 0)
			return refuse_open(h, rc, path, why, why, err, errlen);
		/* Checked: the next open of these bytes need not scan them. */
		if (keyed)
			lt_checked_traces_add(fd, &key);
	}
	*db = h;
	return 0;
}

int lt_store_scan_done(sqlite3_stmt *s, int step)
{
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : -EIO;
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
