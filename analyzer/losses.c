/*
 * losses.c — the trace's incomplete stretches, from stream_losses and
 * stream_gaps.
 */
#include "losses.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int lt_losses_load(sqlite3 *db, struct lt_losses *out)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = NULL;
	int rc = -EIO;
	if (sqlite3_prepare_v2(db,
			       "SELECT COALESCE(sum(dropped_events), 0), count(*), group_concat(reasons, ','),"
			       " (SELECT min(start_ns) FROM threads) FROM stream_losses",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto done;
	out->dropped_events = sqlite3_column_int64(st, 0);
	out->threads = sqlite3_column_int(st, 1);
	out->origin_ns = sqlite3_column_int64(st, 3);
	/* the distinct reasons, in the order met */
	const unsigned char *all = sqlite3_column_text(st, 2);
	if (all) {
		char copy[512];
		snprintf(copy, sizeof(copy), "%s", (const char *)all);
		size_t used = 0;
		for (char *save = NULL, *r = strtok_r(copy, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
			char key[48];
			snprintf(key, sizeof(key), ",%s,", r);
			char have[sizeof(out->reasons) + 2];
			snprintf(have, sizeof(have), ",%s,", out->reasons);
			if (!strstr(have, key) && used + strlen(r) + 2 < sizeof(out->reasons))
				used += (size_t)snprintf(out->reasons + used, sizeof(out->reasons) - used, "%s%s",
							 used ? "," : "", r);
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT pid, tid, begin_ns, end_ns, dropped_events, count(*) OVER () FROM"
			       " (SELECT * FROM stream_gaps ORDER BY end_ns - begin_ns DESC, begin_ns LIMIT ?1)"
			       " ORDER BY begin_ns, pid, tid",
			       -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_int(st, 1, LT_LOSSES_GAPS);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW && out->n_gaps < LT_LOSSES_GAPS) {
		struct lt_loss_gap *g = &out->gaps[out->n_gaps++];
		g->pid = sqlite3_column_int64(st, 0);
		g->tid = sqlite3_column_int64(st, 1);
		g->begin_ns = sqlite3_column_int64(st, 2);
		g->end_ns = sqlite3_column_int64(st, 3);
		g->events = sqlite3_column_int64(st, 4);
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		goto done;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM stream_gaps", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto done;
	int64_t total = sqlite3_column_int64(st, 0);
	out->more_gaps = total > (int64_t)out->n_gaps ? (size_t)(total - (int64_t)out->n_gaps) : 0;
	rc = 0;
done:
	sqlite3_finalize(st);
	return rc;
}

void lt_losses_describe(const struct lt_losses *l, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
#define PUT(...)                                                                         \
	do {                                                                             \
		if (used < n) {                                                          \
			int w = snprintf(buf + used, n - used, __VA_ARGS__);             \
			used = w < 0 ? n : used + (size_t)w;                             \
		}                                                                        \
	} while (0)
	PUT("%lld events dropped in %d thread%s (%s)", (long long)l->dropped_events, l->threads,
	    l->threads == 1 ? "" : "s", l->reasons[0] ? l->reasons : "unknown");
	for (size_t i = 0; i < l->n_gaps; i++)
		PUT("%s%lld/%lld %.3f-%.3f s", i ? ", " : "; missing between: ", (long long)l->gaps[i].pid,
		    (long long)l->gaps[i].tid, (double)(l->gaps[i].begin_ns - l->origin_ns) / 1e9,
		    (double)(l->gaps[i].end_ns - l->origin_ns) / 1e9);
	if (l->more_gaps)
		PUT(" and %zu shorter gap%s", l->more_gaps, l->more_gaps == 1 ? "" : "s");
#undef PUT
	if (used >= n && n > 4)
		memcpy(buf + n - 4, "...", 4);
}
