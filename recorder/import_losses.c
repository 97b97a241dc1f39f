/*
 * import_losses.c — per-thread loss accounting into stream_losses,
 * stream_gaps and meta.
 */
#include "import_losses.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../analyzer/store.h"
#include "drain.h"
#include "import_state.h"

static const char loss_sql[] =
	"INSERT INTO stream_losses(pid, tid, dropped_events, dropped_bytes, gaps, first_gap_ns, last_gap_ns,"
	" reasons, promise_events, resource_events, output_events, other_events)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
	" ON CONFLICT(pid, tid) DO UPDATE SET dropped_events = dropped_events + excluded.dropped_events,"
	" dropped_bytes = dropped_bytes + excluded.dropped_bytes, gaps = gaps + excluded.gaps,"
	" first_gap_ns = min(first_gap_ns, excluded.first_gap_ns),"
	" last_gap_ns = max(last_gap_ns, excluded.last_gap_ns),"
	" promise_events = promise_events + excluded.promise_events,"
	" resource_events = resource_events + excluded.resource_events,"
	" output_events = output_events + excluded.output_events,"
	" other_events = other_events + excluded.other_events";
static const char gap_sql[] =
	"INSERT INTO stream_gaps(pid, tid, begin_ns, end_ns, dropped_events) VALUES(?1, ?2, ?3, ?4, ?5)";

/* Times are stored in [0, 2^62]; a writer's garbage must not fail the import. */
static int64_t ns(uint64_t v) { return v > (UINT64_C(1) << 62) ? 0 : (int64_t)v; }

static void reasons_text(uint32_t r, char *buf, size_t n)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{LT_LOSS_BEHIND, "behind"},
		{LT_LOSS_NO_RING, "no-ring"},
		{LT_LOSS_RECORDER, "recorder-gone"},
		{LT_DRAIN_LOSS_WRITE, "write-failed"},
	};
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((r & names[i].bit) && used < n)
			used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? "," : "", names[i].name);
}

static int64_t sum_kinds(const struct lt_loss *L, unsigned from, unsigned to)
{
	uint64_t s = 0;
	for (unsigned k = from; k <= to && k < 32; k++)
		s += L->by_kind[k];
	return s > INT64_MAX ? INT64_MAX : (int64_t)s;
}

static int one_stream(sqlite3_stmt *loss, sqlite3_stmt *gap, const struct lt_file_header *h)
{
	const struct lt_loss *L = &h->loss;
	if (!L->events && !L->gaps && !(h->flags & LT_FILE_LOST))
		return 0;
	if (h->pid < 0 || h->tid < 0)
		return 0; /* not a thread the trace can name (a damaged or hostile header) */
	char reasons[96];
	reasons_text(L->reasons, reasons, sizeof(reasons));
	int64_t promise = sum_kinds(L, LT_P_INIT, LT_P_AFTER);
	int64_t resource = sum_kinds(L, LT_R_INIT, LT_R_REF);
	int64_t output = sum_kinds(L, LT_OUTPUT, LT_OUTPUT);
	int64_t all = L->events > INT64_MAX ? INT64_MAX : (int64_t)L->events;
	/* saturating: the counts come from the capture (untrusted) */
	int64_t other = all;
	other = promise >= other ? 0 : other - promise;
	other = resource >= other ? 0 : other - resource;
	other = output >= other ? 0 : other - output;
	sqlite3_bind_int64(loss, 1, h->pid);
	sqlite3_bind_int64(loss, 2, h->tid);
	sqlite3_bind_int64(loss, 3, all);
	sqlite3_bind_int64(loss, 4, L->words > INT64_MAX / 4 ? INT64_MAX : (int64_t)L->words * 4);
	sqlite3_bind_int64(loss, 5, L->gaps);
	sqlite3_bind_int64(loss, 6, ns(L->first_ns));
	sqlite3_bind_int64(loss, 7, ns(L->last_ns));
	sqlite3_bind_text(loss, 8, reasons, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(loss, 9, promise);
	sqlite3_bind_int64(loss, 10, resource);
	sqlite3_bind_int64(loss, 11, output);
	sqlite3_bind_int64(loss, 12, other);
	int rc = sqlite3_step(loss) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_reset(loss);
	uint32_t n = L->gaps < LT_LOSS_GAPS ? L->gaps : LT_LOSS_GAPS;
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		int64_t b = ns(L->gap[i].begin_ns), e = ns(L->gap[i].end_ns);
		sqlite3_bind_int64(gap, 1, h->pid);
		sqlite3_bind_int64(gap, 2, h->tid);
		sqlite3_bind_int64(gap, 3, b);
		sqlite3_bind_int64(gap, 4, e < b ? b : e);
		sqlite3_bind_int64(gap, 5, L->gap[i].events > INT64_MAX ? INT64_MAX : (int64_t)L->gap[i].events);
		rc = sqlite3_step(gap) == SQLITE_DONE ? 0 : -EIO;
		sqlite3_reset(gap);
	}
	return rc;
}

int lt_import_losses(sqlite3 *db, const struct lt_stream *streams, size_t n)
{
	sqlite3_stmt *loss = NULL, *gap = NULL;
	int rc = -EIO;
	if (sqlite3_prepare_v2(db, loss_sql, -1, &loss, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, gap_sql, -1, &gap, NULL) != SQLITE_OK)
		goto finalize;
	uint64_t dropped = 0;
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct lt_file_header *h = streams[i].raw.hdr;
		if (!h)
			continue;
		rc = one_stream(loss, gap, h);
		dropped += h->loss.events;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)dropped);
	sqlite3_stmt *any = NULL;
	int incomplete = 0;
	if (rc == 0 && sqlite3_prepare_v2(db, "SELECT EXISTS (SELECT 1 FROM stream_losses)", -1, &any, NULL) ==
			       SQLITE_OK &&
	    sqlite3_step(any) == SQLITE_ROW)
		incomplete = sqlite3_column_int(any, 0);
	sqlite3_finalize(any);
	if (rc == 0)
		rc = lt_store_set_meta(db, "dropped_events", buf);
	if (rc == 0)
		rc = lt_store_set_meta(db, "incomplete", incomplete ? "yes" : "no");
finalize:
	sqlite3_finalize(loss);
	sqlite3_finalize(gap);
	return rc;
}
