/*
 * store_check.h — every value of a trace checked before anything reads it.
 *
 * A trace is untrusted input: it is attached to bug reports and copied from
 * servers, and any SQLite file with our application_id and user_version
 * opens.  lt_store_check verifies, once, in one pass per table, what the
 * readers (analyzer/, reports/) rely on, so none of them tests a column
 * for NULL or a range itself:
 *   - every table of the schema is a real table (not a view or virtual
 *     table) with every column the readers name, and the indexes the
 *     readers' queries need (without them a 1 MB trace makes them
 *     quadratic) exist on the right columns;
 *   - every column holds its type (INTEGER or TEXT), NULL only where the
 *     schema allows it (README, "The trace database");
 *   - times are in [0, LT_CHECK_MAX_NS] and each span ends after it begins;
 *     ids, pids, depths and delays are in range; queue and phase are names
 *     of analyzer/queue.h.
 * The first violation is reported as "TABLE row N: what" (N the rowid, or
 * the row's position for a table without rowid).
 *
 * Cost: one scan of every table (about 0.1 s per million dispatches; on a
 * 45M-event trace about 11 s of CPU, shared by the cores), once per trace:
 * lt_store_open skips it for a trace on the record of checked traces
 * (checked_traces.h).
 */
#ifndef LOOPTRACE_STORE_CHECK_H
#define LOOPTRACE_STORE_CHECK_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Times in a trace are CLOCK_MONOTONIC ns: 2^62 ns is 146 years, and any
 * difference or sum of two of them fits an int64_t. */
#define LT_CHECK_MAX_NS (INT64_C(1) << 62)
/* Nested dispatches each hold JavaScript frames: V8's stack ends far sooner. */
#define LT_CHECK_MAX_DEPTH 100000

/* The revision of the rules below: bump it when lt_store_check tests
 * anything new, so that traces recorded as checked by an older looptrace
 * (checked_traces.h) are checked again. */
#define LT_CHECK_RULES_REVISION 1

/* SQLite settings for a trace from anywhere (no functions, virtual tables,
 * triggers or views run from its schema; corrupt pages caught early).
 * Returns 0 or -EIO. */
int lt_store_harden(sqlite3 *db);

/* Settings of a connection that only reads a finished trace: the shared
 * lock is kept from the first read until the connection closes.  Returns
 * 0 or -EIO. */
int lt_store_read_settings(sqlite3 *db);

/* Check every value.  Returns 0, or -EINVAL with "TABLE row N: problem" (no newline) in err;
 * -EIO when the trace could not be read (SQLite's message in err).
 * `again` (may be NULL) names the same file for the check's threads to
 * open read-only (a /proc/self/fd path the caller holds open): big tables
 * are then checked in parts, one thread per core (at most 4), and the
 * problem reported is still the first one in table and row order.  With
 * NULL, or one core, db is scanned alone. */
int lt_store_check(sqlite3 *db, const char *again, char *err, size_t errlen);

/* ---- The same rules for a writer that vouches for its rows ----
 * The importer tests every value it writes into a table against that
 * table's rules as it writes it (recorder/import_vouch.h); a trace whose
 * writer saw no value break them is recorded as checked at once
 * (checked_traces.h), after lt_store_check_except has scanned the tables
 * it did not vouch for.  The rules are these declarations, so the two
 * sides cannot drift apart. */

/* One column's rule; NULL when the table or column is unknown.  Static:
 * never freed. */
struct lt_check_column;
const struct lt_check_column *lt_check_column_find(const char *table, const char *column);
/* The name of column i of table (its order in the check, which is the
 * schema's), NULL past the last. */
const char *lt_check_column_name(const char *table, int i);

/* A value as the importer's cells hold it: n is LT_CHECK_NULL, LT_CHECK_INTEGER
 * (the value v) or, >= 0, a text of n bytes. */
#define LT_CHECK_NULL (-1)
#define LT_CHECK_INTEGER (-2)
/* 1 when column c may hold the value, else 0. */
int lt_check_value(const struct lt_check_column *c, int n, int64_t v);
/* Column c's rule as plain limits, for a writer's inner loop: a text, or
 * an integer in [min, max]; NULL allowed when nullable. */
struct lt_check_limits {
	int text, nullable;
	int64_t min, max;
};
void lt_check_column_limits(const struct lt_check_column *c, struct lt_check_limits *out);

/* Rule i (from 0) about whole rows of table: either the integer column
 * `then` is not less than `first` when both are set, or the text column
 * `column` is one of `names` (NULL-terminated).  1 when rule i exists. */
struct lt_check_row_rule {
	const char *first, *then;
	const char *column;
	const char *const *names;
};
int lt_check_row_rule(const char *table, int i, struct lt_check_row_rule *out);
/* 1 when the text s of n bytes is one of names (every byte compared). */
int lt_check_name(const char *const *names, const char *s, int n);

/* lt_store_check of the tables not named in `vouched` (NULL-terminated),
 * one scan each on db.  Returns as lt_store_check. */
int lt_store_check_except(sqlite3 *db, const char *const *vouched, char *err, size_t errlen);

#endif
