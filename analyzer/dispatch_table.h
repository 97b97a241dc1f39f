/*
 * dispatch_table.h — every row of `dispatches`, read once into compact
 * column arrays that the detectors and the metrics scan instead of running
 * their own SQL over the table.
 *
 * On a big trace (7M dispatches) each SQL scan of `dispatches` cost 1.5-2.5
 * CPU s of row decoding, and report made about ten of them; one scan into
 * these arrays (~50 bytes a row) and loops over them replace all.
 *
 * Rows are in seq order.  Values read as the SQL readers read them: a NULL
 * iteration or depth is 0 (sqlite3_column_int64), a NULL resource or
 * promise id is -1 (ids are >= 0), a NULL parent_seq is the row's own seq
 * (COALESCE(parent_seq, seq)); the parent is kept only for nested rows
 * (depth > 1), the only ones whose parent a reader asks for.  A queue name
 * queue.h does not know is LT_DISPATCH_QUEUE_OTHER, a NULL queue
 * LT_DISPATCH_QUEUE_NULL.
 *
 * Ownership: lt_dispatch_table_load fills a caller's struct and owns every
 * array in it until lt_dispatch_table_free; nothing points into the
 * database.  lt_analyze loads one per analysis, before the first detector,
 * and frees it after its last reader (the metrics run first, so the
 * resource ids and flags go after the leaks detector, before
 * sequential-await needs its memory).
 */
#ifndef LOOPTRACE_DISPATCH_TABLE_H
#define LOOPTRACE_DISPATCH_TABLE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "queue.h"

#define LT_DISPATCH_QUEUE_OTHER ((uint8_t)LT_QUEUE_COUNT)       /* a name queue.h does not have */
#define LT_DISPATCH_QUEUE_NULL ((uint8_t)(LT_QUEUE_COUNT + 1)) /* queue IS NULL */

/* flags[] bits: the `type` of an exit-queue dispatch (only those are read). */
#define LT_DISPATCH_BEFORE_EXIT 1u /* type = 'beforeExit' */
#define LT_DISPATCH_EXIT 2u        /* type = 'exit' */

struct lt_dispatch_thread {
	int64_t pid, tid;
};

struct lt_dispatch_table {
	size_t n;
	int64_t first_seq;
	int64_t *seq; /* ascending; NULL while seqs are dense (seq = first_seq + index) */
	int64_t *begin_ns, *end_ns;
	int64_t *resource_id, *promise_id; /* -1 when NULL */
	int64_t *iteration;                /* 0 when NULL */
	int32_t *depth;     /* clamped to int32 (the check allows <= 100000) */
	uint32_t *thread;   /* index into threads[] */
	uint8_t *queue;     /* enum lt_queue, or LT_DISPATCH_QUEUE_OTHER / _NULL */
	uint8_t *flags;     /* LT_DISPATCH_BEFORE_EXIT, LT_DISPATCH_EXIT */
	struct lt_dispatch_thread *threads; /* distinct (pid, tid), in order of first dispatch */
	size_t n_threads;
	/* Nested rows (depth > 1): their index and COALESCE(parent_seq, seq). */
	uint32_t *nested_row;
	int64_t *nested_parent;
	size_t n_nested, nested_cap;
	size_t cap;
};

/* Seq of row i. */
static inline int64_t lt_dispatch_seq(const struct lt_dispatch_table *t, size_t i)
{
	return t->seq ? t->seq[i] : (int64_t)((uint64_t)t->first_seq + i);
}

/* Reads every dispatch of db.  Returns 0, -ENOMEM or -EIO (the table is
 * then empty and needs no free). */
int lt_dispatch_table_load(sqlite3 *db, struct lt_dispatch_table *t);
void lt_dispatch_table_free(struct lt_dispatch_table *t);

/* Columns a caller can give back early (lt_dispatch_table_forget): the
 * array becomes NULL, and reading it after that is a bug. */
#define LT_DISPATCH_RESOURCE_IDS 1u
#define LT_DISPATCH_FLAGS 2u
void lt_dispatch_table_forget(struct lt_dispatch_table *t, unsigned columns);

/* The row index of dispatch `seq`, or -1 when there is none. */
int64_t lt_dispatch_index(const struct lt_dispatch_table *t, int64_t seq);

/* COALESCE(parent_seq, seq) of row i when it is nested (depth > 1), else
 * its own seq. */
int64_t lt_dispatch_parent(const struct lt_dispatch_table *t, size_t i);

/* The thread index of (pid, tid), or -1 when no dispatch ran on it. */
int64_t lt_dispatch_thread_index(const struct lt_dispatch_table *t, int64_t pid, int64_t tid);

#endif
