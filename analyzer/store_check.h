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

#endif
