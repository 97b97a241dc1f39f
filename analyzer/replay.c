/*
 * replay.c — dispatches in order, joined with output and locations.
 */
#include "replay.h"

#include "locations.h"
#include "processes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* %s: whether a user-code frame was sampled while it ran (0 when the trace
 * has no samples). */
static const char dispatch_sql[] =
	"SELECT d.seq, d.pid, d.tid, d.depth, d.iteration, d.parent_seq, d.trigger_seq,"
	" d.queue, d.type, d.phase, r.callback, d.begin_ns, d.end_ns,"
	" u.function, u.file, u.line, u.column, t.argv,"
	" COALESCE(r.stack_id, p.stack_id) IS NOT COALESCE(r.site_stack_id, p.site_stack_id),"
	" EXISTS (SELECT 1 FROM temp.created_stack c JOIN temp.user_frame cu ON cu.stack_id = c.stack_id"
	"   WHERE c.seq = d.seq) OR %s"
	" FROM dispatches d"
	" LEFT JOIN resources r ON r.id = d.resource_id"
	" LEFT JOIN promises p ON p.id = d.promise_id"
	" LEFT JOIN temp.user_frame u ON u.stack_id = COALESCE(r.site_stack_id, p.site_stack_id)"
	" LEFT JOIN threads t ON t.pid = d.pid AND t.tid = t.pid"
	" ORDER BY d.seq";

static const char output_sql[] =
	"SELECT dispatch_seq, fd, text FROM output WHERE dispatch_seq IS NOT NULL"
	" ORDER BY dispatch_seq, id";

static const char *text_or(sqlite3_stmt *s, int col, const char *fallback)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? (const char *)t : fallback;
}

struct out_buf {
	struct lt_output *items;
	char **copies;
	size_t n, cap;
};

static int out_push(struct out_buf *b, sqlite3_stmt *s)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct lt_output *items = realloc(b->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		b->items = items;
		char **copies = realloc(b->copies, cap * sizeof(*copies));
		if (!copies)
			return -ENOMEM;
		b->copies = copies;
		b->cap = cap;
	}
	size_t len = (size_t)sqlite3_column_bytes(s, 2);
	const void *text = sqlite3_column_blob(s, 2);
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	b->copies[b->n] = copy;
	b->items[b->n].text = copy;
	b->items[b->n].len = len;
	b->items[b->n].fd = sqlite3_column_int(s, 1);
	b->n++;
	return 0;
}

static void out_clear(struct out_buf *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->copies[i]);
	b->n = 0;
}

int lt_replay_each(sqlite3 *db, lt_replay_fn fn, void *ctx, char *err, size_t errlen)
{
	return lt_replay_each_with(db, NULL, fn, ctx, err, errlen);
}

static const char sampled_user_sql[] =
	"EXISTS (SELECT 1 FROM samples s JOIN temp.user_frame su ON su.stack_id = s.stack_id"
	" WHERE s.dispatch_seq = d.seq)";

int lt_replay_each_with(sqlite3 *db, const struct lt_replay_opts *opts, lt_replay_fn fn, void *ctx, char *err,
			size_t errlen)
{
	sqlite3_stmt *ds = NULL, *os = NULL;
	struct out_buf out = {0};
	struct lt_sample_summary sampled;
	int rc = -EIO;
	double slow_ms = opts && opts->slow_ms > 0 ? opts->slow_ms : LT_REPLAY_SLOW_MS;
	const struct lt_user_code *uc = opts ? opts->user_code : NULL;
	int has_samples = lt_table_exists(db, "samples");
	char sql[sizeof(dispatch_sql) + sizeof(sampled_user_sql)];
	snprintf(sql, sizeof(sql), dispatch_sql, has_samples ? sampled_user_sql : "0");
	if (lt_locations_prepare_for(db, uc) != 0 || sqlite3_prepare_v2(db, sql, -1, &ds, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, output_sql, -1, &os, NULL) != SQLITE_OK)
		goto report;
	int orc = sqlite3_step(os);
	int drc;
	while ((drc = sqlite3_step(ds)) == SQLITE_ROW) {
		struct lt_dispatch d = {0};
		d.seq = sqlite3_column_int64(ds, 0);
		d.pid = sqlite3_column_int64(ds, 1);
		d.tid = sqlite3_column_int64(ds, 2);
		d.depth = sqlite3_column_int64(ds, 3);
		d.iteration = sqlite3_column_int64(ds, 4);
		d.parent_seq = sqlite3_column_int64(ds, 5);
		d.trigger_seq = sqlite3_column_int64(ds, 6);
		d.queue = text_or(ds, 7, "");
		d.type = text_or(ds, 8, "");
		d.phase = text_or(ds, 9, "");
		d.callback = text_or(ds, 10, "");
		d.begin_ns = sqlite3_column_int64(ds, 11);
		d.end_ns = sqlite3_column_int64(ds, 12);
		d.loc.function = text_or(ds, 13, "");
		d.loc.file = text_or(ds, 14, NULL);
		d.loc.line = sqlite3_column_int64(ds, 15);
		d.loc.column = sqlite3_column_int64(ds, 16);
		d.argv = text_or(ds, 17, "");
		d.loc.inherited = sqlite3_column_int(ds, 18);
		d.ran_user_code = sqlite3_column_int(ds, 19);
		d.slow = (double)(d.end_ns - d.begin_ns) >= slow_ms * 1e6;
		if (d.slow && has_samples) {
			if (lt_samples_summarize(db, uc, d.pid, d.tid, d.begin_ns, d.end_ns, &sampled) != 0)
				goto report;
			if (sampled.user_samples)
				d.sampled = &sampled;
		}

		out_clear(&out);
		/* Output of dispatches before this one (none, normally) is skipped. */
		while (orc == SQLITE_ROW && sqlite3_column_int64(os, 0) < d.seq)
			orc = sqlite3_step(os);
		while (orc == SQLITE_ROW && sqlite3_column_int64(os, 0) == d.seq) {
			if (out_push(&out, os) != 0) {
				snprintf(err, errlen, "out of memory");
				rc = -ENOMEM;
				goto cleanup;
			}
			orc = sqlite3_step(os);
		}
		if (fn(ctx, &d, out.items, out.n)) {
			rc = 0;
			goto cleanup;
		}
	}
	if (drc != SQLITE_DONE || (orc != SQLITE_ROW && orc != SQLITE_DONE))
		goto report;
	rc = 0;
	goto cleanup;
report:
	snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
cleanup:
	out_clear(&out);
	free(out.items);
	free(out.copies);
	sqlite3_finalize(ds);
	sqlite3_finalize(os);
	return rc;
}

int64_t lt_replay_origin_ns(sqlite3 *db)
{
	sqlite3_stmt *s;
	int64_t origin = 0;
	if (sqlite3_prepare_v2(db, "SELECT MIN(start_ns) FROM threads", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			origin = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	return origin;
}

int lt_replay_is_housekeeping(const struct lt_dispatch *d, size_t n_out)
{
	return n_out == 0 && (!d->loc.file || d->loc.inherited) && !d->ran_user_code && !d->slow &&
	       strcmp(d->queue, "main") != 0 && strcmp(d->queue, "exit") != 0;
}
