/*
 * replay.c — dispatches in order, joined with output and locations, and
 * the filters people narrow a long trace with: a window of dispatch
 * numbers and processes (in SQL), a shortest duration and a pattern (here,
 * with the context that makes a kept dispatch readable).
 */
#include "replay.h"

#include "filter.h"
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
	"   WHERE c.seq = d.seq) OR %s,"
	" COALESCE(w.js_thread_id, -1)"
	" FROM dispatches d"
	" LEFT JOIN resources r ON r.id = d.resource_id"
	" LEFT JOIN promises p ON p.id = d.promise_id"
	" LEFT JOIN temp.user_frame u ON u.stack_id = COALESCE(r.site_stack_id, p.site_stack_id)"
	" LEFT JOIN threads t ON t.pid = d.pid AND t.tid = t.pid"
	" LEFT JOIN threads w ON w.pid = d.pid AND w.tid = d.tid"
	" WHERE d.seq BETWEEN :from AND :to"
	"  AND (:pids IS NULL OR d.pid IN (SELECT value FROM json_each(:pids)))"
	" ORDER BY d.seq";

static const char output_sql[] =
	"SELECT dispatch_seq, fd, text FROM output WHERE dispatch_seq BETWEEN :from AND :to"
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

/* --- filters -------------------------------------------------------------- */

/* A dispatch kept for later, with its strings copied: the task that began
 * a tick, printed before a dispatch of that tick that --min-ms keeps. */
struct held {
	struct lt_dispatch d;
	char *strs[8];
	int valid, shown;
};

#define HELD_THREADS 16

struct filter {
	const struct lt_replay_opts *o;
	struct held held[HELD_THREADS]; /* one per thread, the oldest replaced */
	size_t next_held;
	/* the kept dispatch whose nested dispatches are its context */
	int64_t ctx_pid, ctx_tid, ctx_depth, ctx_end;
	int has_ctx;
};

static char *dup_or_null(const char *s, char **slot)
{
	free(*slot);
	*slot = s ? strdup(s) : NULL;
	return *slot;
}

static void held_free(struct held *h)
{
	for (size_t i = 0; i < sizeof(h->strs) / sizeof(h->strs[0]); i++) {
		free(h->strs[i]);
		h->strs[i] = NULL;
	}
	h->valid = 0;
}

/* Copy d into h; returns 0 or -ENOMEM. */
static int held_set(struct held *h, const struct lt_dispatch *d)
{
	h->d = *d;
	h->d.sampled = NULL;
	const char *src[] = {d->queue, d->type, d->phase, d->callback, d->loc.function, d->loc.file, d->argv};
	const char **dst[] = {&h->d.queue, &h->d.type, &h->d.phase, &h->d.callback, &h->d.loc.function,
			      &h->d.loc.file, &h->d.argv};
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		*dst[i] = dup_or_null(src[i], &h->strs[i]);
		if (src[i] && !*dst[i]) {
			held_free(h);
			return -ENOMEM;
		}
	}
	h->valid = 1;
	h->shown = 0;
	return 0;
}

static struct held *held_of(struct filter *f, int64_t pid, int64_t tid)
{
	for (size_t i = 0; i < HELD_THREADS; i++)
		if (f->held[i].valid && f->held[i].d.pid == pid && f->held[i].d.tid == tid)
			return &f->held[i];
	return NULL;
}

static int is_task(const struct lt_dispatch *d)
{
	return strcmp(d->queue, "nextTick") != 0 && strcmp(d->queue, "microtask") != 0;
}

static int matches(const regex_t *re, const char *s)
{
	return s && s[0] && regexec(re, s, 0, NULL, 0) == 0;
}

/* Whether the pattern finds anything a reader sees of d. */
static int grep_hits(const regex_t *re, const struct lt_dispatch *d, const struct lt_output *out, size_t n_out)
{
	if (matches(re, d->callback) || matches(re, d->type) || matches(re, d->loc.function) ||
	    matches(re, d->loc.file))
		return 1;
	if (d->loc.file) {
		char at[4200];
		snprintf(at, sizeof(at), "%s:%lld:%lld", d->loc.file, (long long)d->loc.line,
			 (long long)d->loc.column);
		if (matches(re, at))
			return 1;
	}
	if (d->sampled && (matches(re, d->sampled->user.function) || matches(re, d->sampled->user.file) ||
			   matches(re, d->sampled->called)))
		return 1;
	for (size_t k = 0; k < n_out; k++)
		if (matches(re, out[k].text)) /* a copy, NUL-terminated */
			return 1;
	return 0;
}

/* 1 to show d; *with_held is set to the tick's task to show before it. */
static int keep(struct filter *f, const struct lt_dispatch *d, const struct lt_output *out, size_t n_out,
		struct held **with_held)
{
	const struct lt_replay_opts *o = f->o;
	*with_held = NULL;
	if (o->min_ms > 0) {
		/* nested in the kept dispatch: its context */
		if (f->has_ctx && d->pid == f->ctx_pid && d->tid == f->ctx_tid) {
			if (d->depth > f->ctx_depth && d->begin_ns <= f->ctx_end)
				return 1;
			f->has_ctx = 0;
		}
		if ((double)(d->end_ns - d->begin_ns) < o->min_ms * 1e6)
			return 0;
	}
	if (o->grep && !grep_hits(o->grep, d, out, n_out))
		return 0;
	if (o->min_ms > 0) {
		f->has_ctx = 1;
		f->ctx_pid = d->pid;
		f->ctx_tid = d->tid;
		f->ctx_depth = d->depth;
		f->ctx_end = d->end_ns;
		struct held *h = held_of(f, d->pid, d->tid);
		if (h && !h->shown && h->d.seq != d->seq && h->d.end_ns <= d->begin_ns)
			*with_held = h;
	}
	return 1;
}

/* Remember d when it begins a tick (min_ms only). */
static int remember(struct filter *f, const struct lt_dispatch *d, int shown)
{
	if (!(f->o->min_ms > 0) || d->depth > 1 || !is_task(d))
		return 0;
	struct held *h = held_of(f, d->pid, d->tid);
	if (!h) {
		h = &f->held[f->next_held];
		f->next_held = (f->next_held + 1) % HELD_THREADS;
	}
	held_free(h);
	if (held_set(h, d) != 0)
		return -ENOMEM;
	h->shown = shown;
	return 0;
}

static void filter_free(struct filter *f)
{
	for (size_t i = 0; i < HELD_THREADS; i++)
		held_free(&f->held[i]);
}


static void bind_window(sqlite3_stmt *s, const struct lt_replay_opts *o, const char *pids)
{
	int k;
	int64_t from = o && o->from_seq > 0 ? o->from_seq : 0;
	int64_t to = o && o->to_seq > 0 ? o->to_seq : INT64_MAX;
	if ((k = sqlite3_bind_parameter_index(s, ":from")) > 0)
		sqlite3_bind_int64(s, k, from);
	if ((k = sqlite3_bind_parameter_index(s, ":to")) > 0)
		sqlite3_bind_int64(s, k, to);
	if (pids && (k = sqlite3_bind_parameter_index(s, ":pids")) > 0)
		sqlite3_bind_text(s, k, pids, -1, SQLITE_STATIC);
}

int lt_replay_each_with(sqlite3 *db, const struct lt_replay_opts *opts, lt_replay_fn fn, void *ctx, char *err,
			size_t errlen)
{
	static const struct lt_replay_opts none = {0};
	const struct lt_replay_opts *o = opts ? opts : &none;
	sqlite3_stmt *ds = NULL, *os = NULL;
	struct out_buf out = {0};
	struct lt_sample_summary sampled;
	struct filter f = {.o = o};
	int rc = -EIO;
	int filtering = o->min_ms > 0 || o->grep;
	uint64_t left_out = 0;
	double slow_ms = o->slow_ms > 0 ? o->slow_ms : LT_REPLAY_SLOW_MS;
	const struct lt_user_code *uc = o->user_code;
	int has_samples = lt_table_exists(db, "samples");
	char sql[sizeof(dispatch_sql) + sizeof(sampled_user_sql)];
	snprintf(sql, sizeof(sql), dispatch_sql, has_samples ? sampled_user_sql : "0");
	char *pids = lt_filter_id_list(o->pids, o->n_pids);
	if (o->n_pids && !pids) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (lt_locations_prepare_for(db, uc) != 0 || sqlite3_prepare_v2(db, sql, -1, &ds, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, output_sql, -1, &os, NULL) != SQLITE_OK)
		goto report;
	bind_window(ds, o, pids);
	bind_window(os, o, pids);
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
		d.js_thread = sqlite3_column_int64(ds, 20);
		d.slow = (double)(d.end_ns - d.begin_ns) >= slow_ms * 1e6;
		if (d.slow && has_samples) {
			if (lt_samples_summarize(db, uc, d.pid, d.tid, d.begin_ns, d.end_ns, &sampled) != 0)
				goto report;
			if (sampled.samples)
				d.sampled = &sampled;
		}

		out_clear(&out);
		/* Output of dispatches before this one (none, normally) is skipped. */
		while (orc == SQLITE_ROW && sqlite3_column_int64(os, 0) < d.seq)
			orc = sqlite3_step(os);
		while (orc == SQLITE_ROW && sqlite3_column_int64(os, 0) == d.seq) {
			if (out_push(&out, os) != 0)
				goto oom;
			orc = sqlite3_step(os);
		}
		if (filtering) {
			struct held *h;
			int shown = keep(&f, &d, out.items, out.n, &h);
			if (h) {
				h->shown = 1;
				left_out--; /* counted when it went by */
				if (fn(ctx, &h->d, NULL, 0)) {
					rc = 0;
					goto cleanup;
				}
			}
			if (remember(&f, &d, shown) != 0)
				goto oom;
			if (!shown) {
				left_out++;
				continue;
			}
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
oom:
	snprintf(err, errlen, "out of memory");
	rc = -ENOMEM;
	goto cleanup;
report:
	snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
cleanup:
	if (o->left_out)
		*o->left_out = left_out;
	filter_free(&f);
	free(pids);
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
