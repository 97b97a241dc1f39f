/*
 * store.h — the trace database: schema, creation, validated opening.
 *
 * A trace is one SQLite file, identified by PRAGMA application_id
 * (LT_STORE_APP_ID) and versioned by PRAGMA user_version (LT_STORE_VERSION).
 * The schema is documented in README.md ("The trace database"); change both
 * together and bump LT_STORE_VERSION.
 *
 * Ownership: every function that yields a sqlite3 handle hands it to the
 * caller, who closes it with sqlite3_close.
 */
#ifndef LOOPTRACE_STORE_H
#define LOOPTRACE_STORE_H

#include <sqlite3.h>
#include <stddef.h>

#define LT_STORE_APP_ID 0x4c545243 /* "LTRC" */
#define LT_STORE_VERSION 4

/* Create a new trace at `path` (which must not exist) with the schema and
 * bulk-load settings.  Returns 0 or -errno; on error *db is NULL. */
int lt_store_create(const char *path, sqlite3 **db);

/* After an import: build the indexes readers rely on.  Returns 0 or -EIO. */
int lt_store_finish(sqlite3 *db);

/* Open an existing trace read-only, checking that it is a complete SQLite
 * database of ours at a version we read, with the schema we create, and
 * every value (lt_store_check) unless these very bytes are on the record
 * of checked traces (checked_traces.h); a check that passes puts them
 * there.  On failure returns -errno and writes a one-line reason (no
 * trailing newline) into err. */
int lt_store_open(const char *path, sqlite3 **db, char *err, size_t errlen);

/* The same for a trace this process has just written itself (the import's
 * summary): everything but lt_store_check's scan of every value (about
 * 0.7 us of CPU per row), which guards readers against traces from
 * elsewhere. */
int lt_store_open_written(const char *path, sqlite3 **db, char *err, size_t errlen);

/* End a scan: finalize statement s, whose last sqlite3_step() returned
 * step.  Returns 0 when the scan ran to its end (SQLITE_DONE), -EIO when
 * it stopped on an error. */
int lt_store_scan_done(sqlite3_stmt *s, int step);

/* Set meta(key) = value. Returns 0 or -EIO. */
int lt_store_set_meta(sqlite3 *db, const char *key, const char *value);

/* The value of meta(key) copied into buf, or "" if absent. */
void lt_store_get_meta(sqlite3 *db, const char *key, char *buf, size_t n);

#endif
