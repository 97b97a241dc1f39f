/*
 * html_steps.c — the step-through's data, streamed from replay.h.
 */
#include "html_steps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/locations.h"
#include "../analyzer/queue.h"
#include "../analyzer/replay.h"
#include "../analyzer/store.h"
#include "json.h"


static const char stack_sql[] =
	"SELECT COALESCE(r.stack_id, p.stack_id), COALESCE(r.created_ns, p.created_ns) FROM dispatches d"
	" LEFT JOIN resources r ON r.id = d.resource_id"
	" LEFT JOIN promises p ON p.id = d.promise_id WHERE d.seq = ?";

static const char frames_sql[] =
	"SELECT function, file, line, column FROM stacks WHERE stack_id = ? ORDER BY depth LIMIT 12";

struct steps {
	struct lt_json j;
	sqlite3 *db;
	sqlite3_stmt *stack_of, *frames;
	int64_t *stacks; /* the stack ids steps refer to, sorted */
	size_t n_stacks, cap_stacks;
	int64_t origin_ns;
	size_t max, shown, hidden;
	int truncated, failed;
	int show_all; /* an attached (eBPF) trace: no creation sites tell Node's
	                 housekeeping from the program's callbacks */
};

static void frame_object(struct lt_json *j, const char *function, const char *file, int64_t line, int64_t column)
{
	lt_json_begin_object(j);
	lt_json_key_cstring(j, "function", function ? function : "");
	lt_json_key_cstring(j, "file", file);
	lt_json_key_int(j, "line", line);
	lt_json_key_int(j, "column", column);
	lt_json_end_object(j);
}

/* Remember a stack id (sorted set); 0 or -ENOMEM. */
static int remember_stack(struct steps *st, int64_t id)
{
	size_t lo = 0, hi = st->n_stacks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->stacks[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < st->n_stacks && st->stacks[lo] == id)
		return 0;
	if (st->n_stacks == st->cap_stacks) {
		size_t cap = st->cap_stacks ? 2 * st->cap_stacks : 256;
		int64_t *v = realloc(st->stacks, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		st->stacks = v;
		st->cap_stacks = cap;
	}
	memmove(st->stacks + lo + 1, st->stacks + lo, (st->n_stacks - lo) * sizeof(*st->stacks));
	st->stacks[lo] = id;
	st->n_stacks++;
	return 0;
}

/* "stack": the id of the stack where the dispatch was scheduled, or null;
 * the frames go once per stack into "stacks" (steps share them). */
static void stack_ref(struct steps *st, int64_t seq)
{
	struct lt_json *j = &st->j;
	lt_json_key(j, "stack");
	sqlite3_reset(st->stack_of);
	sqlite3_bind_int64(st->stack_of, 1, seq);
	int rc = sqlite3_step(st->stack_of);
	/* an attached trace's resources are made up by `attach`: their creation
	 * time says nothing about when a callback was queued */
	int known = !st->show_all && rc == SQLITE_ROW && sqlite3_column_type(st->stack_of, 1) != SQLITE_NULL;
	int64_t created = known ? sqlite3_column_int64(st->stack_of, 1) : 0;
	if (rc == SQLITE_ROW && sqlite3_column_type(st->stack_of, 0) != SQLITE_NULL) {
		int64_t id = sqlite3_column_int64(st->stack_of, 0);
		lt_json_int(j, id);
		if (remember_stack(st, id) != 0)
			st->failed = -ENOMEM;
	} else {
		lt_json_null(j);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			st->failed = -EIO;
	}
	lt_json_key(j, "created_ms");
	if (known)
		lt_json_double(j, (double)(created - st->origin_ns) / 1e6);
	else
		lt_json_null(j);
}

static int write_stacks(struct steps *st)
{
	struct lt_json *j = &st->j;
	lt_json_key(j, "stacks");
	lt_json_begin_object(j);
	int rc = 0;
	for (size_t i = 0; i < st->n_stacks && rc == 0; i++) {
		char key[32];
		snprintf(key, sizeof(key), "%lld", (long long)st->stacks[i]);
		lt_json_key(j, key);
		lt_json_begin_array(j);
		sqlite3_reset(st->frames);
		sqlite3_bind_int64(st->frames, 1, st->stacks[i]);
		int step;
		while ((step = sqlite3_step(st->frames)) == SQLITE_ROW)
			frame_object(j, (const char *)sqlite3_column_text(st->frames, 0),
				     (const char *)sqlite3_column_text(st->frames, 1), sqlite3_column_int64(st->frames, 2),
				     sqlite3_column_int64(st->frames, 3));
		if (step != SQLITE_DONE)
			rc = -EIO;
		lt_json_end_array(j);
	}
	lt_json_end_object(j);
	return rc;
}

static int one_step(void *ctx, const struct lt_dispatch *d, const struct lt_output *out, size_t n_out)
{
	struct steps *st = ctx;
	if (st->shown + st->hidden >= LT_HTML_MAX_SCANNED) {
		st->truncated = 1;
		return 1;
	}
	if (!st->show_all && lt_replay_is_housekeeping(d, n_out)) {
		st->hidden++;
		return 0;
	}
	if (st->shown == st->max) {
		st->truncated = 1;
		return 1;
	}
	st->shown++;
	struct lt_json *j = &st->j;
	lt_json_begin_object(j);
	lt_json_key_int(j, "seq", d->seq);
	lt_json_key_int(j, "pid", d->pid);
	lt_json_key_int(j, "tid", d->tid);
	lt_json_key_cstring(j, "queue", lt_queue_canonical(d->queue));
	lt_json_key_cstring(j, "type", d->type);
	lt_json_key_cstring(j, "callback", d->callback);
	lt_json_key_cstring(j, "phase", d->phase);
	lt_json_key_int(j, "iteration", d->iteration);
	lt_json_key_int(j, "depth", d->depth);
	lt_json_key_int(j, "parent", d->parent_seq);
	lt_json_key_int(j, "enqueued", d->trigger_seq);
	lt_json_key_double(j, "t_ms", (double)(d->begin_ns - st->origin_ns) / 1e6);
	lt_json_key_double(j, "ms", (double)(d->end_ns - d->begin_ns) / 1e6);
	lt_json_key(j, "location");
	if (d->loc.file)
		frame_object(j, d->loc.function, d->loc.file, d->loc.line, d->loc.column);
	else
		lt_json_null(j);
	lt_json_key(j, "output");
	lt_json_begin_array(j);
	for (size_t i = 0; i < n_out; i++) {
		lt_json_begin_object(j);
		lt_json_key_int(j, "fd", out[i].fd);
		lt_json_key(j, "text");
		lt_json_string(j, out[i].text, out[i].len);
		lt_json_end_object(j);
	}
	lt_json_end_array(j);
	stack_ref(st, d->seq);
	lt_json_end_object(j);
	return st->failed;
}

static int64_t count_dispatches(sqlite3 *db)
{
	sqlite3_stmt *s;
	int64_t n = 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM dispatches", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	return n;
}

int lt_html_steps_json(FILE *out, sqlite3 *db, size_t max_steps, char *err, size_t errlen)
{
	struct steps st = {.db = db, .max = max_steps, .origin_ns = lt_replay_origin_ns(db)};
	char capture[16];
	lt_store_get_meta(db, "capture", capture, sizeof(capture));
	st.show_all = !strcmp(capture, "bpf");
	int rc = -EIO;
	if (sqlite3_prepare_v2(db, stack_sql, -1, &st.stack_of, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, frames_sql, -1, &st.frames, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
		goto finalize;
	}
	lt_json_init(&st.j, out);
	st.j.html_safe = 1;
	lt_json_begin_object(&st.j);
	lt_json_key(&st.j, "attached");
	lt_json_bool(&st.j, st.show_all);
	lt_json_key(&st.j, "dispatches");
	lt_json_int(&st.j, count_dispatches(db));
	lt_json_key(&st.j, "steps");
	lt_json_begin_array(&st.j);
	rc = lt_replay_each(db, one_step, &st, err, errlen);
	lt_json_end_array(&st.j);
	/* lt_replay_each explains its own failures; these are ours */
	if (rc == 0 && (rc = st.failed ? st.failed : write_stacks(&st)) != 0) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		else
			snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
	}
	lt_json_key(&st.j, "shown");
	lt_json_int(&st.j, (int64_t)st.shown);
	lt_json_key(&st.j, "hidden");
	lt_json_int(&st.j, (int64_t)st.hidden);
	lt_json_key(&st.j, "truncated");
	lt_json_bool(&st.j, st.truncated);
	lt_json_end_object(&st.j);
finalize:
	sqlite3_finalize(st.stack_of);
	sqlite3_finalize(st.frames);
	free(st.stacks);
	return rc;
}
