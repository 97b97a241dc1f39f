/*
 * causality_items.c — the causality view's items in creation order
 * (causality_items.h).
 */
#include "causality_items.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One table's rows: the statement, its current row, and where the last
 * row yielded stood (for the order check). */
struct stream {
	sqlite3_stmt *s;
	int has_row;  /* s is on a row not yet yielded */
	int yielded;  /* s's current row was yielded: step before reading on */
	int64_t last_seq, last_id;
	int started;
};

/* A sorted array of ids, or of stack ids with their user frames. */
struct ids {
	int64_t *v;
	size_t n, cap;
};

struct lt_causality_items {
	sqlite3 *db;
	int sorted;
	struct stream promises, resources;
	struct ids frame_stacks;  /* stack ids with a user frame */
	char **frame_files;       /* beside frame_stacks */
	int64_t *frame_lines;
	struct ids unhandled;     /* promise ids */
	struct ids drained;       /* pids that ran beforeExit, loaded on first need */
	int drained_loaded;
};

static const char resources_sql[] =
	"SELECT id, type, trigger_id, COALESCE(callback, ''), site_stack_id, destroyed_ns IS NULL AND ref = 1, pid,"
	" created_seq FROM resources WHERE created_seq >= ?1 AND created_seq <= ?2";
static const char promises_sql[] =
	"SELECT id, state, parent_id, site_stack_id, created_seq FROM promises"
	" WHERE created_seq >= ?1 AND created_seq <= ?2";
static const char by_creation[] = " ORDER BY created_seq, id";

/* Handles a process keeps its loop alive with. */
static const char *const handle_types[] = {"TCPWRAP",     "TCPSERVERWRAP", "PIPEWRAP",   "PIPESERVERWRAP",
					   "UDPWRAP",     "PROCESSWRAP",   "FSEVENTWRAP", "STATWATCHER",
					   "SIGNALWRAP",  "WORKER",        NULL};

static int push(struct ids *a, int64_t v)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		int64_t *t = realloc(a->v, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		a->v = t;
		a->cap = cap;
	}
	a->v[a->n++] = v;
	return 0;
}

/* Index of v in the sorted array, or -1. */
static ptrdiff_t find(const struct ids *a, int64_t v)
{
	size_t lo = 0, hi = a->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->v[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->n && a->v[lo] == v ? (ptrdiff_t)lo : -1;
}

/* The first column of every row of sql (ordered by it) into a. */
static int load_ids(sqlite3 *db, const char *sql, struct ids *a)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	int step, rc = 0;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW)
		rc = push(a, sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	return rc != 0 ? rc : step == SQLITE_DONE ? 0 : -EIO;
}

static int load_frames(struct lt_causality_items *it)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(it->db, "SELECT stack_id, file, line FROM temp.user_frame ORDER BY stack_id", -1, &s,
			       NULL) != SQLITE_OK)
		return -EIO;
	int step, rc = 0;
	size_t cap = 0;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t stack = sqlite3_column_int64(s, 0);
		/* one frame per stack (its innermost user frame): keep the first */
		if (it->frame_stacks.n && it->frame_stacks.v[it->frame_stacks.n - 1] == stack)
			continue;
		if (it->frame_stacks.n == cap) {
			cap = cap ? 2 * cap : 64;
			char **f = realloc(it->frame_files, cap * sizeof(*f));
			if (f)
				it->frame_files = f;
			int64_t *l = realloc(it->frame_lines, cap * sizeof(*l));
			if (l)
				it->frame_lines = l;
			if (!f || !l) {
				rc = -ENOMEM;
				break;
			}
		}
		const char *file = (const char *)sqlite3_column_text(s, 1);
		char *copy = strdup(file ? file : "");
		if (!copy || (rc = push(&it->frame_stacks, stack)) != 0) {
			free(copy);
			rc = -ENOMEM;
			break;
		}
		it->frame_files[it->frame_stacks.n - 1] = copy;
		it->frame_lines[it->frame_stacks.n - 1] = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	return rc != 0 ? rc : step == SQLITE_DONE ? 0 : -EIO;
}

static int prepare(struct lt_causality_items *it, struct stream *st, const char *sql, int64_t lo, int64_t hi)
{
	char text[512];
	snprintf(text, sizeof(text), "%s%s", sql, it->sorted ? by_creation : "");
	if (sqlite3_prepare_v2(it->db, text, -1, &st->s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st->s, 1, lo);
	sqlite3_bind_int64(st->s, 2, hi);
	st->yielded = 1; /* step before the first read */
	return 0;
}

int lt_causality_items_open(sqlite3 *db, int64_t from_seq, int64_t to_seq, int sorted,
			    struct lt_causality_items **out)
{
	*out = NULL;
	struct lt_causality_items *it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->db = db;
	it->sorted = sorted;
	int rc = load_frames(it);
	if (rc == 0)
		rc = load_ids(db,
			      "SELECT DISTINCT promise_id FROM rejections WHERE kind = 'unhandled'"
			      " AND promise_id IS NOT NULL ORDER BY 1",
			      &it->unhandled);
	if (rc == 0)
		rc = prepare(it, &it->promises, promises_sql, from_seq, to_seq);
	if (rc == 0)
		rc = prepare(it, &it->resources, resources_sql, from_seq, to_seq);
	if (rc != 0) {
		lt_causality_items_close(it);
		return rc;
	}
	*out = it;
	return 0;
}

/* Step a stream whose row was used; check it stays in order.  0, -EAGAIN,
 * -EIO. */
static int advance(struct stream *st, int seq_column)
{
	if (!st->yielded)
		return 0;
	st->yielded = 0;
	int step = sqlite3_step(st->s);
	st->has_row = step == SQLITE_ROW;
	if (step != SQLITE_ROW)
		return step == SQLITE_DONE ? 0 : -EIO;
	int64_t seq = sqlite3_column_int64(st->s, seq_column), id = sqlite3_column_int64(st->s, 0);
	if (st->started && (seq < st->last_seq || (seq == st->last_seq && id <= st->last_id)))
		return -EAGAIN;
	st->started = 1;
	st->last_seq = seq;
	st->last_id = id;
	return 0;
}

static void place(const struct lt_causality_items *it, sqlite3_stmt *s, int column, struct lt_causality_item *item)
{
	item->file = NULL;
	item->line = 0;
	if (sqlite3_column_type(s, column) == SQLITE_NULL)
		return;
	ptrdiff_t k = find(&it->frame_stacks, sqlite3_column_int64(s, column));
	if (k >= 0) {
		item->file = it->frame_files[k];
		item->line = it->frame_lines[k];
	}
}

static int is_handle(const char *type)
{
	for (const char *const *t = handle_types; *t; t++)
		if (!strcmp(type, *t))
			return 1;
	return 0;
}

static int left_open(struct lt_causality_items *it, sqlite3_stmt *s, const char *type, int *out)
{
	*out = 0;
	if (!sqlite3_column_int(s, 5) || !is_handle(type))
		return 0;
	if (!it->drained_loaded) {
		int rc = load_ids(it->db,
				  "SELECT DISTINCT pid FROM dispatches WHERE queue = 'exit' AND type = 'beforeExit'"
				  " ORDER BY 1",
				  &it->drained);
		if (rc != 0)
			return rc;
		it->drained_loaded = 1;
	}
	*out = find(&it->drained, sqlite3_column_int64(s, 6)) < 0;
	return 0;
}

int lt_causality_items_next(struct lt_causality_items *it, struct lt_causality_item *item)
{
	int rc = advance(&it->promises, 4);
	if (rc == 0)
		rc = advance(&it->resources, 7);
	if (rc != 0)
		return rc;
	struct stream *p = &it->promises, *r = &it->resources;
	if (!p->has_row && !r->has_row)
		return 0;
	/* promises first on the same dispatch ('p' < 'r') */
	int take_promise = p->has_row && (!r->has_row || p->last_seq <= r->last_seq);
	memset(item, 0, sizeof(*item));
	if (take_promise) {
		sqlite3_stmt *s = p->s;
		p->yielded = 1;
		item->is_promise = 1;
		item->id = sqlite3_column_int64(s, 0);
		item->what = (const char *)sqlite3_column_text(s, 1);
		item->has_from = sqlite3_column_type(s, 2) != SQLITE_NULL;
		item->from = sqlite3_column_int64(s, 2);
		item->callback = "";
		place(it, s, 3, item);
		item->unhandled = find(&it->unhandled, item->id) >= 0;
	} else {
		sqlite3_stmt *s = r->s;
		r->yielded = 1;
		item->id = sqlite3_column_int64(s, 0);
		item->what = (const char *)sqlite3_column_text(s, 1);
		item->has_from = sqlite3_column_type(s, 2) != SQLITE_NULL;
		item->from = sqlite3_column_int64(s, 2);
		item->callback = (const char *)sqlite3_column_text(s, 3);
		place(it, s, 4, item);
		if ((rc = left_open(it, s, item->what ? item->what : "", &item->open_at_end)) != 0)
			return rc;
	}
	if (!item->what)
		item->what = "";
	if (!item->callback)
		item->callback = "";
	return 1;
}

void lt_causality_items_close(struct lt_causality_items *it)
{
	if (!it)
		return;
	sqlite3_finalize(it->promises.s);
	sqlite3_finalize(it->resources.s);
	for (size_t i = 0; i < it->frame_stacks.n; i++)
		free(it->frame_files[i]);
	free(it->frame_files);
	free(it->frame_lines);
	free(it->frame_stacks.v);
	free(it->unhandled.v);
	free(it->drained.v);
	free(it);
}
