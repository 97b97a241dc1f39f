/*
 * locations.c — innermost user-code and library frames of recorded stacks,
 * and the function running in a dispatch.
 */
#include "locations.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char prepare_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS user_frame AS"
	" SELECT s.stack_id, s.function, s.file, s.line, s.column FROM stacks s"
	" JOIN (SELECT stack_id, MIN(depth) AS depth FROM stacks"
	"       WHERE lt_user_file(file) GROUP BY stack_id) f"
	" ON s.stack_id = f.stack_id AND s.depth = f.depth;"
	"CREATE INDEX IF NOT EXISTS temp.user_frame_by_stack ON user_frame(stack_id);"
	"CREATE TEMP TABLE IF NOT EXISTS library_frame AS"
	" SELECT s.stack_id, s.function, s.file, s.line, s.column FROM stacks s"
	" JOIN (SELECT stack_id, MIN(depth) AS depth FROM stacks"
	"       WHERE lt_library_file(file) GROUP BY stack_id) f"
	" ON s.stack_id = f.stack_id AND s.depth = f.depth;"
	"CREATE INDEX IF NOT EXISTS temp.library_frame_by_stack ON library_frame(stack_id);"
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
	" WHERE c.seq = ? AND lt_user_file(s.file)"
	" ORDER BY c.stack_id, s.depth DESC LIMIT 1";

static const char user_frame_sql[] =
	"SELECT function, file, line, column FROM temp.user_frame WHERE stack_id = ?";
static const char library_frame_sql[] =
	"SELECT function, file, line, column FROM temp.library_frame WHERE stack_id = ?";

static void user_file_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const struct lt_user_code *uc = sqlite3_user_data(ctx);
	const char *file = (const char *)sqlite3_value_text(argv[0]);
	sqlite3_result_int(ctx, lt_is_user_file(uc, file));
}

static void library_file_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const struct lt_user_code *uc = sqlite3_user_data(ctx);
	const char *file = (const char *)sqlite3_value_text(argv[0]);
	sqlite3_result_int(ctx, !lt_is_node_internal(file) && !lt_is_user_file(uc, file) &&
					lt_library_package(file, NULL, 0));
}

/* Register both functions with their own copy of the rule (freed by SQLite). */
static int register_functions(sqlite3 *db, const struct lt_user_code *uc)
{
	const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	struct lt_user_code *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	if (uc) {
		*a = *uc;
		*b = *uc;
	}
	/* On failure SQLite calls the destructor itself. */
	if (sqlite3_create_function_v2(db, "lt_user_file", 1, flags, a, user_file_fn, NULL, NULL, free) !=
	    SQLITE_OK) {
		free(b);
		return -EIO;
	}
	if (sqlite3_create_function_v2(db, "lt_library_file", 1, flags, b, library_file_fn, NULL, NULL,
				       free) != SQLITE_OK)
		return -EIO;
	return 0;
}

/* 1 when user_frame already exists on this connection. */
static int already_prepared(sqlite3 *db)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM temp.sqlite_master WHERE name = 'user_frame'", -1, &s,
			       NULL) != SQLITE_OK)
		return 0;
	int found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

int lt_locations_prepare_for(sqlite3 *db, const struct lt_user_code *uc)
{
	if (already_prepared(db))
		return 0;
	int rc = register_functions(db, uc);
	if (rc != 0)
		return rc;
	return sqlite3_exec(db, prepare_sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int lt_locations_prepare(sqlite3 *db) { return lt_locations_prepare_for(db, NULL); }

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

int lt_place_of_stack(sqlite3 *db, int64_t stack_id, struct lt_place *out)
{
	memset(out, 0, sizeof(*out));
	int rc = fetch_frame(db, user_frame_sql, stack_id, &out->user);
	if (rc == -EIO)
		return rc;
	out->has_user = rc == 0;
	rc = fetch_frame(db, library_frame_sql, stack_id, &out->library);
	if (rc == -EIO)
		return rc;
	out->has_library = rc == 0;
	return out->has_user || out->has_library ? 0 : -ENOENT;
}

/* Run the one-row query sql with ?1 = pid: its integer into *v (left as
 * it was when there is no row).  0, or -EIO when it cannot be asked. */
static int pid_query(sqlite3 *db, const char *sql, int64_t pid, int *v)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, pid);
	if (sqlite3_step(s) == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

int lt_pid_ran_user_code(sqlite3 *db, int64_t pid)
{
	static const char sql[] =
		"SELECT EXISTS (SELECT 1 FROM resources r JOIN temp.user_frame u ON u.stack_id = r.site_stack_id"
		"   WHERE r.pid = ?1)"
		" OR EXISTS (SELECT 1 FROM resources r JOIN temp.user_frame u ON u.stack_id = r.stack_id"
		"   WHERE r.pid = ?1)"
		" OR EXISTS (SELECT 1 FROM promises p JOIN temp.user_frame u ON u.stack_id = p.site_stack_id"
		"   WHERE p.pid = ?1)"
		" OR EXISTS (SELECT 1 FROM promises p JOIN temp.user_frame u ON u.stack_id = p.stack_id"
		"   WHERE p.pid = ?1)";
	static const char samples_sql[] =
		"SELECT EXISTS (SELECT 1 FROM samples s JOIN temp.user_frame u ON u.stack_id = s.stack_id"
		"   WHERE s.pid = ?1)";
	static const char any_stack_sql[] =
		"SELECT EXISTS (SELECT 1 FROM resources WHERE pid = ?1 AND site_stack_id IS NOT NULL)"
		" OR EXISTS (SELECT 1 FROM promises WHERE pid = ?1 AND site_stack_id IS NOT NULL)"
		" OR EXISTS (SELECT 1 FROM samples WHERE pid = ?1)";
	int found = 1; /* when unsure, assume it did */
	if (pid_query(db, sql, pid, &found) != 0 || found)
		return found;
	if (pid_query(db, samples_sql, pid, &found) != 0)
		return 1; /* a trace without samples: unsure */
	if (found)
		return found;
	/* No stack at all (an attached trace, nothing sampled): no evidence. */
	int any = 1;
	if (pid_query(db, any_stack_sql, pid, &any) != 0)
		return 1;
	return !any;
}

int lt_running_frame_of(sqlite3 *db, int64_t seq, struct lt_user_frame *out)
{
	return fetch_frame(db, running_frame_sql, seq, out);
}
