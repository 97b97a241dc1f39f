/*
 * locations.c — innermost user-code frames of recorded stacks, and the
 * function running in a dispatch.
 */
#include "locations.h"

#include <errno.h>
#include <stdio.h>

static const char prepare_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS user_frame AS"
	" SELECT s.stack_id, s.function, s.file, s.line, s.column FROM stacks s"
	" JOIN (SELECT stack_id, MIN(depth) AS depth FROM stacks"
	"       WHERE file <> '' AND file NOT LIKE 'node:%' GROUP BY stack_id) f"
	" ON s.stack_id = f.stack_id AND s.depth = f.depth;"
	"CREATE INDEX IF NOT EXISTS temp.user_frame_by_stack ON user_frame(stack_id);"
	/* Stacks of what each dispatch created while it ran (sampled). */
	"CREATE TEMP TABLE IF NOT EXISTS created_stack AS"
	" SELECT created_seq AS seq, stack_id FROM resources WHERE stack_id IS NOT NULL"
	" UNION ALL SELECT created_seq, stack_id FROM promises WHERE stack_id IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS temp.created_stack_by_seq ON created_stack(seq);";

/* The outermost user frame among the stacks a dispatch created: the function
 * Node (or the microtask queue) called to run it. */
static const char running_frame_sql[] =
	"SELECT s.function, s.file, s.line, s.column FROM created_stack c"
	" JOIN stacks s ON s.stack_id = c.stack_id"
	" WHERE c.seq = ? AND s.file <> '' AND s.file NOT LIKE 'node:%'"
	" ORDER BY c.stack_id, s.depth DESC LIMIT 1";

static const char user_frame_sql[] =
	"SELECT function, file, line, column FROM temp.user_frame WHERE stack_id = ?";

int lt_locations_prepare(sqlite3 *db)
{
	return sqlite3_exec(db, prepare_sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* Run a one-row query of (function, file, line, column) bound to `key`. */
static int fetch_frame(sqlite3 *db, const char *sql, int64_t key, struct lt_user_frame *out)
{
	sqlite3_stmt *s;
	int rc = -ENOENT;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, key);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *fn = sqlite3_column_text(s, 0), *file = sqlite3_column_text(s, 1);
		snprintf(out->function, sizeof(out->function), "%s", fn ? (const char *)fn : "");
		snprintf(out->file, sizeof(out->file), "%s", file ? (const char *)file : "");
		out->line = sqlite3_column_int64(s, 2);
		out->column = sqlite3_column_int64(s, 3);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

int lt_user_frame_of(sqlite3 *db, int64_t stack_id, struct lt_user_frame *out)
{
	return fetch_frame(db, user_frame_sql, stack_id, out);
}

int lt_running_frame_of(sqlite3 *db, int64_t seq, struct lt_user_frame *out)
{
	return fetch_frame(db, running_frame_sql, seq, out);
}
