/*
 * trace_sources.c — the program's source files, stored in its trace.
 */
#include "trace_sources.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/source.h"

static const char files_sql[] =
	"SELECT DISTINCT file FROM stacks WHERE file IS NOT NULL AND file NOT LIKE 'node:%'"
	" AND file NOT LIKE '%/node_modules/%' LIMIT 64";

struct text {
	char *buf;
	size_t len;
	int failed;
};

static int take_line(void *ctx, int64_t no, const char *line, size_t len)
{
	(void)no;
	struct text *t = ctx;
	if (t->len + len + 1 > LT_TRACE_SOURCE_BYTES)
		return 1;
	char *grown = realloc(t->buf, t->len + len + 2);
	if (!grown) {
		t->failed = -ENOMEM;
		return 1;
	}
	memcpy(grown + t->len, line, len);
	t->len += len;
	grown[t->len++] = '\n';
	grown[t->len] = '\0';
	t->buf = grown;
	return 0;
}

/* Store one file (when readable); 1 when stored, 0 when not, -errno. */
static int store_file(sqlite3_stmt *insert, const char *file)
{
	struct text t = {0};
	if (lt_source_lines(file, 1, INT64_MAX / 2, take_line, &t) < 0 || t.failed) {
		free(t.buf);
		return t.failed;
	}
	sqlite3_reset(insert);
	sqlite3_bind_text(insert, 1, file, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(insert, 2, t.buf, (int)t.len, free);
	return sqlite3_step(insert) == SQLITE_DONE ? 1 : -EIO;
}

int lt_trace_add_sources(const char *path, const char *main_file, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *files = NULL, *insert = NULL;
	int rc = -EIO, stored = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK)
		goto report;
	if (sqlite3_exec(db, "BEGIN; CREATE TABLE IF NOT EXISTS sources(file TEXT PRIMARY KEY, text TEXT)", NULL,
			 NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO sources(file, text) VALUES (?, ?)", -1, &insert, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(db, files_sql, -1, &files, NULL) != SQLITE_OK)
		goto report;
	if (main_file && (rc = store_file(insert, main_file)) < 0)
		goto fail;
	stored = rc > 0;
	int step;
	while (stored < LT_TRACE_SOURCES_MAX && (step = sqlite3_step(files)) == SQLITE_ROW) {
		char file[4096]; /* an ES module's file:// URL as its path */
		if (lt_source_path((const char *)sqlite3_column_text(files, 0), file, sizeof(file)) != 0 ||
		    (main_file && !strcmp(file, main_file)))
			continue;
		if ((rc = store_file(insert, file)) < 0)
			goto fail;
		stored += rc;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto report;
	rc = 0;
	goto finalize;
report:
	rc = -EIO;
fail:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	else
		snprintf(err, errlen, "cannot store the sources in %s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
finalize:
	sqlite3_finalize(files);
	sqlite3_finalize(insert);
	sqlite3_close(db);
	return rc;
}
