/*
 * import_pool.h — the threadpool requests of libuv programs recorded by the
 * preload (LT_WORK records, probes/wire.h) summed up into the trace's meta
 * as attach sums up its own (recorder/attach_work.h): items by kind, queue
 * wait and run time percentiles (uv_queue_work, whose work callback the
 * preload wraps), and, for every item, the time from submission to its done
 * callback (fs, DNS and random work run inside libuv, unseen).
 *
 * Used by the importer alone (import.c).  Ownership: the sample arrays
 * belong to the struct and are freed by lt_pool_free.  Errors: lt_pool_add
 * returns 0 or -ENOMEM (the item is counted, its times are not kept).
 */
#ifndef LOOPTRACE_IMPORT_POOL_H
#define LOOPTRACE_IMPORT_POOL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define LT_POOL_MAX_SAMPLES (1u << 20) /* per series; later items are counted only */

/* One series of times, in ms. */
struct lt_pool_series {
	double *v;
	size_t n, cap;
};

struct lt_pool_summary {
	uint64_t items;
	uint64_t by_kind[5]; /* enum lt_pool_work */
	struct lt_pool_series wait, run, latency;
};

/* One LT_WORK record: its kind (aux) and words 3-5 (wait, run, latency ns,
 * LT_WORK_UNSEEN when not seen). */
int lt_pool_add(struct lt_pool_summary *p, unsigned kind, uint32_t wait_ns, uint32_t run_ns, uint32_t latency_ns);

/* "p50 A p99 B max C" (ms, 3 decimals) of a series, sorting it; "" when empty. */
void lt_pool_percentiles(struct lt_pool_series *s, char *out, size_t cap);

/* The meta keys (threadpool_items, threadpool_items_by_kind,
 * threadpool_queue_wait_ms, threadpool_run_ms, threadpool_done_ms,
 * threadpool_timed_items) when any item was seen.  0 or a SQLite error. */
int lt_pool_write_meta(struct lt_pool_summary *p, sqlite3 *db);

void lt_pool_free(struct lt_pool_summary *p);

#endif
