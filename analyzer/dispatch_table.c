/*
 * dispatch_table.c — every dispatch read once into column arrays (see
 * dispatch_table.h).
 *
 * The arrays are sized once, before the scan, from an upper bound on the
 * row count that needs no scan: the rowid range, and no more rows than the
 * file has room for (a row takes far more than 8 bytes), so a hostile seq
 * range cannot make a large allocation for a small file.  Pages of an
 * array are touched only as rows are written.
 */
#include "dispatch_table.h"

#include "big_array.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The rows a dispatches table of this file can hold at most. */
static int row_bound(sqlite3 *db, size_t *bound)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db,
			       "SELECT (SELECT min(seq) FROM dispatches), (SELECT max(seq) FROM dispatches),"
			       " (SELECT page_count FROM pragma_page_count), (SELECT page_size FROM pragma_page_size)",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	int rc = -EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		rc = 0;
		*bound = 0;
		if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
			uint64_t lo = (uint64_t)sqlite3_column_int64(s, 0), hi = (uint64_t)sqlite3_column_int64(s, 1);
			uint64_t range = hi - lo + 1; /* wraps to a huge bound only when the file bound is smaller */
			uint64_t pages = (uint64_t)sqlite3_column_int64(s, 2), page = (uint64_t)sqlite3_column_int64(s, 3);
			uint64_t room = page && pages <= UINT64_MAX / page ? pages * page / 8 : UINT64_MAX;
			uint64_t b = range && range < room ? range : room;
			if (b > UINT32_MAX)
				rc = -ENOMEM;
			else
				*bound = (size_t)b + 1;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* An array of n elements for rows written in order (big_array.h). */
static void *column(size_t n, size_t size) { return lt_big_array(n, size); }

static int allocate(struct lt_dispatch_table *t, size_t cap)
{
	t->cap = cap;
	t->begin_ns = column(cap, sizeof(*t->begin_ns));
	t->end_ns = column(cap, sizeof(*t->end_ns));
	t->resource_id = column(cap, sizeof(*t->resource_id));
	t->promise_id = column(cap, sizeof(*t->promise_id));
	t->iteration = column(cap, sizeof(*t->iteration));
	t->depth = column(cap, sizeof(*t->depth));
	t->thread = column(cap, sizeof(*t->thread));
	t->queue = column(cap, sizeof(*t->queue));
	t->flags = column(cap, sizeof(*t->flags));
	if (!t->begin_ns || !t->end_ns || !t->resource_id || !t->promise_id || !t->iteration || !t->depth ||
	    !t->thread || !t->queue || !t->flags)
		return -ENOMEM;
	return 0;
}

/* Seqs stop being dense at row i: keep them from now on. */
static int keep_seqs(struct lt_dispatch_table *t, size_t i)
{
	t->seq = column(t->cap, sizeof(*t->seq));
	if (!t->seq)
		return -ENOMEM;
	for (size_t k = 0; k < i; k++)
		t->seq[k] = t->first_seq + (int64_t)k;
	return 0;
}

static int add_nested(struct lt_dispatch_table *t, size_t i, int64_t parent)
{
	if (t->n_nested == t->nested_cap) {
		size_t cap = t->nested_cap ? t->nested_cap * 2 : 256;
		uint32_t *rows = realloc(t->nested_row, cap * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		t->nested_row = rows;
		int64_t *parents = realloc(t->nested_parent, cap * sizeof(*parents));
		if (!parents)
			return -ENOMEM;
		t->nested_parent = parents;
		t->nested_cap = cap;
	}
	t->nested_row[t->n_nested] = (uint32_t)i;
	t->nested_parent[t->n_nested++] = parent;
	return 0;
}

/* Threads: a small open-addressing map (pid, tid) -> index. */
struct thread_map {
	uint32_t *slot; /* index + 1, 0 when empty */
	size_t mask;
};

static size_t thread_hash(int64_t pid, int64_t tid)
{
	uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15u ^ (uint64_t)tid * 0xC2B2AE3D27D4EB4Fu;
	return (size_t)(h ^ (h >> 29));
}

static int thread_map_grow(struct thread_map *m, const struct lt_dispatch_table *t)
{
	size_t size = m->slot ? (m->mask + 1) * 2 : 64;
	uint32_t *slot = calloc(size, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (size_t k = 0; k < t->n_threads; k++) {
		size_t h = thread_hash(t->threads[k].pid, t->threads[k].tid) & (size - 1);
		while (slot[h])
			h = (h + 1) & (size - 1);
		slot[h] = (uint32_t)k + 1;
	}
	free(m->slot);
	m->slot = slot;
	m->mask = size - 1;
	return 0;
}

static int64_t thread_find(const struct thread_map *m, const struct lt_dispatch_table *t, int64_t pid, int64_t tid,
			   size_t *at)
{
	size_t h = thread_hash(pid, tid) & m->mask;
	while (m->slot[h]) {
		const struct lt_dispatch_thread *x = &t->threads[m->slot[h] - 1];
		if (x->pid == pid && x->tid == tid)
			return (int64_t)m->slot[h] - 1;
		h = (h + 1) & m->mask;
	}
	*at = h;
	return -1;
}

static int64_t thread_of(struct thread_map *m, struct lt_dispatch_table *t, int64_t pid, int64_t tid)
{
	size_t at;
	int64_t k = thread_find(m, t, pid, tid, &at);
	if (k >= 0)
		return k;
	if (2 * (t->n_threads + 1) > m->mask + 1) {
		if (thread_map_grow(m, t) != 0)
			return -1;
		thread_find(m, t, pid, tid, &at);
	}
	if (t->n_threads % 64 == 0) {
		struct lt_dispatch_thread *grown = realloc(t->threads, (t->n_threads + 64) * sizeof(*grown));
		if (!grown)
			return -1;
		t->threads = grown;
	}
	t->threads[t->n_threads] = (struct lt_dispatch_thread){pid, tid};
	m->slot[at] = (uint32_t)t->n_threads + 1;
	return (int64_t)t->n_threads++;
}

/* The queue names with their lengths, looked up once per load. */
struct queue_names {
	const char *name[LT_QUEUE_COUNT];
	size_t len[LT_QUEUE_COUNT];
};

static void queue_names_init(struct queue_names *q)
{
	for (int k = 0; k < LT_QUEUE_COUNT; k++) {
		q->name[k] = lt_queue_name((enum lt_queue)k);
		q->len[k] = strlen(q->name[k]);
	}
}

static uint8_t queue_code(const struct queue_names *names, sqlite3_value *v)
{
	const unsigned char *q = sqlite3_value_text(v);
	if (!q)
		return LT_DISPATCH_QUEUE_NULL;
	size_t len = (size_t)sqlite3_value_bytes(v);
	for (int k = 0; k < LT_QUEUE_COUNT; k++)
		if (names->len[k] == len && !memcmp(names->name[k], q, len))
			return (uint8_t)k;
	return LT_DISPATCH_QUEUE_OTHER;
}

static uint8_t exit_flags(sqlite3_value *v)
{
	const char *type = (const char *)sqlite3_value_text(v);
	if (!type)
		return 0;
	if (!strcmp(type, "beforeExit"))
		return LT_DISPATCH_BEFORE_EXIT;
	if (!strcmp(type, "exit"))
		return LT_DISPATCH_EXIT;
	return 0;
}

/* One sqlite3_column_value per column and the value's own accessors: each
 * sqlite3_column_* call repeats the API's bookkeeping. */
static int64_t id_or_none(sqlite3_value *v) { return sqlite3_value_type(v) == SQLITE_NULL ? -1 : sqlite3_value_int64(v); }

static int32_t clamp32(int64_t v) { return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v; }

static const char scan_sql[] = "SELECT seq, pid, tid, queue, resource_id, promise_id, depth, parent_seq, iteration,"
			       " begin_ns, end_ns, type FROM dispatches";

static int scan(sqlite3 *db, struct lt_dispatch_table *t)
{
	sqlite3_stmt *s;
	struct thread_map map = {0};
	struct queue_names names;
	queue_names_init(&names);
	if (sqlite3_prepare_v2(db, scan_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	int rc = thread_map_grow(&map, t), step;
	int64_t last_pid = 0, last_tid = 0, last_thread = -1;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		size_t i = t->n;
		if (i == t->cap) {
			rc = -EIO; /* more rows than the file can hold: it changed under us */
			break;
		}
		int64_t seq = sqlite3_value_int64(sqlite3_column_value(s, 0));
		if (i == 0)
			t->first_seq = seq;
		if (!t->seq && (uint64_t)seq != (uint64_t)t->first_seq + i && (rc = keep_seqs(t, i)) != 0)
			break;
		if (t->seq)
			t->seq[i] = seq;
		int64_t pid = sqlite3_value_int64(sqlite3_column_value(s, 1));
		int64_t tid = sqlite3_value_int64(sqlite3_column_value(s, 2));
		if (last_thread < 0 || pid != last_pid || tid != last_tid) {
			last_thread = thread_of(&map, t, pid, tid);
			if (last_thread < 0) {
				rc = -ENOMEM;
				break;
			}
			last_pid = pid;
			last_tid = tid;
		}
		t->thread[i] = (uint32_t)last_thread;
		t->queue[i] = queue_code(&names, sqlite3_column_value(s, 3));
		t->resource_id[i] = id_or_none(sqlite3_column_value(s, 4));
		t->promise_id[i] = id_or_none(sqlite3_column_value(s, 5));
		t->depth[i] = clamp32(sqlite3_value_int64(sqlite3_column_value(s, 6)));
		if (t->depth[i] > 1) {
			sqlite3_value *parent = sqlite3_column_value(s, 7); /* COALESCE(parent_seq, seq) */
			rc = add_nested(t, i, sqlite3_value_type(parent) == SQLITE_NULL ? seq : sqlite3_value_int64(parent));
			if (rc != 0)
				break;
		}
		t->iteration[i] = sqlite3_value_int64(sqlite3_column_value(s, 8));
		t->begin_ns[i] = sqlite3_value_int64(sqlite3_column_value(s, 9));
		t->end_ns[i] = sqlite3_value_int64(sqlite3_column_value(s, 10));
		t->flags[i] = t->queue[i] == LT_QUEUE_EXIT ? exit_flags(sqlite3_column_value(s, 11)) : 0;
		t->n++;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	free(map.slot);
	return rc;
}

int lt_dispatch_table_load(sqlite3 *db, struct lt_dispatch_table *t)
{
	memset(t, 0, sizeof(*t));
	size_t cap;
	int rc = row_bound(db, &cap);
	if (rc == 0)
		rc = allocate(t, cap);
	if (rc == 0)
		rc = scan(db, t);
	if (rc != 0)
		lt_dispatch_table_free(t);
	return rc;
}

void lt_dispatch_table_free(struct lt_dispatch_table *t)
{
	free(t->seq);
	free(t->begin_ns);
	free(t->end_ns);
	free(t->resource_id);
	free(t->promise_id);
	free(t->iteration);
	free(t->depth);
	free(t->thread);
	free(t->queue);
	free(t->flags);
	free(t->threads);
	free(t->nested_row);
	free(t->nested_parent);
	memset(t, 0, sizeof(*t));
}

void lt_dispatch_table_forget(struct lt_dispatch_table *t, unsigned columns)
{
	if (columns & LT_DISPATCH_RESOURCE_IDS) {
		free(t->resource_id);
		t->resource_id = NULL;
	}
	if (columns & LT_DISPATCH_FLAGS) {
		free(t->flags);
		t->flags = NULL;
	}
}

int64_t lt_dispatch_index(const struct lt_dispatch_table *t, int64_t seq)
{
	if (!t->seq) {
		uint64_t i = (uint64_t)seq - (uint64_t)t->first_seq;
		return seq >= t->first_seq && i < t->n ? (int64_t)i : -1;
	}
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->seq[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n && t->seq[lo] == seq ? (int64_t)lo : -1;
}

int64_t lt_dispatch_parent(const struct lt_dispatch_table *t, size_t i)
{
	if (t->depth[i] <= 1)
		return lt_dispatch_seq(t, i);
	size_t lo = 0, hi = t->n_nested;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->nested_row[mid] < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n_nested && t->nested_row[lo] == i ? t->nested_parent[lo] : lt_dispatch_seq(t, i);
}

int64_t lt_dispatch_thread_index(const struct lt_dispatch_table *t, int64_t pid, int64_t tid)
{
	for (size_t k = 0; k < t->n_threads; k++)
		if (t->threads[k].pid == pid && t->threads[k].tid == tid)
			return (int64_t)k;
	return -1;
}
