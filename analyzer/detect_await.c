/*
 * detect_await.c — sequential-await: an async function invocation whose
 * awaits ran one after another on independent asynchronous work.
 *
 * What the trace shows (V8 promise hooks): `await X` creates a throwaway
 * promise T whose parent is X, and the function resumes in T's reaction
 * dispatch R.  Within one invocation the next await's T' is the last awaited
 * promise created during R, which links the awaits into chains.  An await
 * really waited when R ran in a later loop iteration than T was created (the
 * loop went round: I/O, a timer); the next operation was serial when its X'
 * was created only after R resumed (in R or later).  A run of such serial
 * waits is a finding when overlapping them would save time and the same
 * await site was not already running concurrently in other invocations (a
 * worker pool).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "big_array.h"
#include "detectors.h"
#include "idle_time.h"
#include "locations.h"
#include "lookup.h"

#define MIN_WAITS 3
#define SUGGESTED_CONCURRENCY 4
#define LOCATE_AWAITS 64
/* Of the chain's span that overlapping must save for a warning.  Planted
 * serial awaits save 40-160% of their chain (the defect corpus and the apps);
 * prettier's serial reads of small page-cached files 3-6%, up to the old 5%
 * bar on a loaded machine; overlapping those saves nothing measurable. */
#define MIN_SPAN_SHARE 0.15

/* One per await, 7M of them in a 45M-event trace: what linking needs
 * (32 B).  The resumption is its row in the analysis's dispatch table (its
 * seq, start and thread are read there); the rest is a detail, kept for the
 * awaits that waited and read again for the few others a run needs. */
struct await {
	int64_t t; /* the throwaway promise T */
	int64_t croot; /* the outermost dispatch around T's creation (while loading: R's iteration) */
	uint32_t row; /* the resumption R's row in the dispatch table */
	int32_t next; /* index of the invocation's next await, -1 */
	uint32_t detail; /* 1 + its index in struct awaits' details, 0 while it has none */
	unsigned char waited; /* resumed in a later loop iteration than T was made */
	unsigned char has_prev;
	unsigned char nested; /* croot is not T's creating dispatch itself */
	unsigned char dropped; /* while loading: its T or T's creator is missing */
};

_Static_assert(sizeof(struct await) == 32, "an await record is 32 bytes");

struct detail {
	int64_t cseq, cns, tstack; /* T's creation (dispatch, time) and stack */
	int64_t x; /* the awaited promise, 0 when none */
	int64_t xseq, xsite; /* its creation and site: read for the awaits that need them */
	double wait_ms; /* the awaited operation's own wait (awaits that waited) */
	int x_read;
};

/* The awaits and their details.  Details move when the array grows: code
 * holds indexes, not pointers, across a call that can add one. */
struct awaits {
	struct await *v;
	size_t n;
	struct detail *d;
	size_t nd, capd;
	const struct lt_dispatch_table *t;
	sqlite3_stmt *promise; /* T by id, for details read again */
};

static struct detail *detail_of(const struct awaits *aw, size_t i) { return &aw->d[aw->v[i].detail - 1]; }

static int add_detail(struct awaits *aw, size_t i, int64_t cseq, int64_t cns, int64_t x, int64_t tstack)
{
	if (aw->nd == aw->capd) {
		size_t cap = aw->capd ? aw->capd * 2 : 4096;
		struct detail *grown = cap <= UINT32_MAX ? realloc(aw->d, cap * sizeof(*grown)) : NULL;
		if (!grown)
			return -ENOMEM;
		aw->d = grown;
		aw->capd = cap;
	}
	aw->d[aw->nd] = (struct detail){.cseq = cseq, .cns = cns, .x = x, .tstack = tstack, .xseq = -1};
	aw->v[i].detail = (uint32_t)++aw->nd;
	return 0;
}

static const char promise_sql[] = "SELECT created_seq, created_ns, parent_id, stack_id FROM promises WHERE id = ?";

/* Await i's detail, read again from T's row when it has none yet. */
static int need_detail(sqlite3 *db, struct awaits *aw, size_t i)
{
	if (aw->v[i].detail)
		return 0;
	if (!aw->promise && sqlite3_prepare_v2(db, promise_sql, -1, &aw->promise, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_reset(aw->promise);
	sqlite3_bind_int64(aw->promise, 1, aw->v[i].t);
	int step = sqlite3_step(aw->promise);
	if (step != SQLITE_ROW)
		return -EIO; /* it was there while loading */
	return add_detail(aw, i, sqlite3_column_int64(aw->promise, 0), sqlite3_column_int64(aw->promise, 1),
			  sqlite3_column_int64(aw->promise, 2), sqlite3_column_int64(aw->promise, 3));
}

static int64_t rseq_of(const struct lt_dispatch_table *t, const struct await *a)
{
	return lt_dispatch_seq(t, a->row);
}

static int64_t rns_of(const struct lt_dispatch_table *t, const struct await *a) { return t->begin_ns[a->row]; }

static const struct lt_dispatch_thread *thread_of(const struct lt_dispatch_table *t, const struct await *a)
{
	return &t->threads[t->thread[a->row]];
}

struct run {
	char key[4400];
	char file[4096], function[256];
	struct lt_user_frame library;
	int has_library;
	int library_run; /* no user function ran in its continuations */
	int64_t line, column, pid, tid, origin;
	int64_t origin_await; /* the invocation's first await: origin is its T's creating dispatch */
	int64_t first, waits; /* first await index, number of serial waits */
	double serial_ms, overlapped_ms, begin_ms, end_ms;
	int dropped;
	int repeated; /* one await site, or one operation site, seen more than once */
};

struct runs {
	struct run *v;
	size_t n, cap;
};

/* The awaits are read in three ordered passes instead of one query that
 * joined every resumption to its promise T and T's creating dispatch: the
 * join's two b-tree descents per await (7M of them on a big trace, each a
 * page read) were most of the detector's time.  Rows kept are the join's:
 * a resumption whose T, or T's creating dispatch, is missing is dropped.
 * The resumptions (top-level dispatches with a promise) and the creating
 * dispatches come from the analysis's dispatch table. */
static const char awaited_sql[] =
	"SELECT id, created_seq, created_ns, parent_id, stack_id FROM promises WHERE id >= ?1 ORDER BY id";
/* Awaits looked up per pass: bounds the lookup's key arrays. */
#define LOOKUP_CHUNK (1u << 20)

/* The awaited operation X of an await (its promise, T's parent) is looked
 * up only for the awaits that need it (those that waited, and those of the
 * runs found): a third join over every await was a third of the load on a
 * big trace. */
static const char operation_sql[] = "SELECT created_seq, COALESCE(site_stack_id, 0) FROM promises WHERE id = ?";

static int read_operation(sqlite3_stmt *s, struct detail *a)
{
	if (a->x_read)
		return 0;
	a->x_read = 1;
	a->xseq = -1;
	a->xsite = 0;
	if (!a->x)
		return 0;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, a->x);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		a->xseq = sqlite3_column_type(s, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 0);
		a->xsite = sqlite3_column_int64(s, 1);
	}
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -EIO;
}

/* An await made in a nested dispatch (a microtask run inside another
 * callback's scope, as node:test and AsyncResource users do) belongs to the
 * outermost dispatch around it: that is the resumption that made it.  Rows
 * give the direct parent; deeper nesting is walked up here. */
static void resolve_roots(const struct lt_dispatch_table *t, struct await *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!v[i].nested)
			continue;
		for (int hops = 0; hops < 64; hops++) {
			int64_t row = lt_dispatch_index(t, v[i].croot);
			if (row < 0 || t->depth[row] <= 1)
				break;
			int64_t parent = lt_dispatch_parent(t, (size_t)row);
			if (parent >= v[i].croot)
				break;
			v[i].croot = parent;
		}
	}
}

/* A chunk of awaits being completed: v + base is item 0. */
struct pass {
	struct awaits *aw;
	size_t base;
};

/* The dispatch that created T (seq cseq): whether the loop went round
 * before the resumption (its iteration, held in croot until now), and the
 * outermost dispatch around it as far as the row tells. */
static void find_creator(const struct lt_dispatch_table *t, struct await *a, int64_t cseq)
{
	int64_t row = lt_dispatch_index(t, cseq);
	if (row < 0) {
		a->dropped = 1;
		return;
	}
	a->waited = a->croot > t->iteration[row];
	a->croot = t->depth[row] > 1 ? lt_dispatch_parent(t, (size_t)row) : cseq;
	a->nested = a->croot != cseq;
}

/* T's row: its creation, its parent X and its stack; then T's creating
 * dispatch.  The detail is kept for an await that waited. */
static int awaited_found(void *ctx, uint32_t item, sqlite3_stmt *row)
{
	struct pass *p = ctx;
	size_t i = p->base + item;
	struct await *a = &p->aw->v[i];
	if (!row || sqlite3_column_type(row, 1) == SQLITE_NULL) {
		a->dropped = 1;
		return 0;
	}
	int64_t cseq = sqlite3_column_int64(row, 1);
	find_creator(p->aw->t, a, cseq);
	if (a->dropped || !a->waited)
		return 0;
	return add_detail(p->aw, i, cseq, sqlite3_column_int64(row, 2), sqlite3_column_int64(row, 3),
			  sqlite3_column_int64(row, 4));
}

static int read_resumptions(struct awaits *aw)
{
	const struct lt_dispatch_table *t = aw->t;
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		n += t->promise_id[i] >= 0 && t->depth[i] == 1;
	if (n > INT32_MAX || t->n > UINT32_MAX)
		return -ENOMEM; /* next and row are 32-bit */
	struct await *v = lt_big_array(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->promise_id[i] < 0 || t->depth[i] != 1)
			continue;
		/* every field, without zeroing the array first */
		v[n++] = (struct await){.row = (uint32_t)i, .t = t->promise_id[i],
					/* the resumption's iteration, for find_creator */
					.croot = t->iteration[i], .next = -1};
	}
	aw->v = v;
	aw->n = n;
	return 0;
}

/* Each await's T and T's creating dispatch, a chunk at a time. */
static int complete(sqlite3 *db, struct awaits *aw)
{
	struct lt_lookup l = {0};
	sqlite3_stmt *awaited = NULL;
	size_t n = aw->n;
	int rc = lt_lookup_reserve(&l, n < LOOKUP_CHUNK ? n : LOOKUP_CHUNK);
	if (rc == 0 && sqlite3_prepare_v2(db, awaited_sql, -1, &awaited, NULL) != SQLITE_OK)
		rc = -EIO;
	for (size_t base = 0; base < n && rc == 0; base += LOOKUP_CHUNK) {
		size_t end = n - base < LOOKUP_CHUNK ? n : base + LOOKUP_CHUNK;
		struct pass p = {.aw = aw, .base = base};
		l.n = 0;
		for (size_t i = base; i < end; i++) {
			l.key[l.n] = aw->v[i].t;
			l.item[l.n++] = (uint32_t)(i - base);
		}
		rc = lt_lookup_run(&l, awaited, awaited_found, &p);
	}
	sqlite3_finalize(awaited);
	lt_lookup_free(&l);
	return rc;
}

static void free_awaits(struct awaits *aw)
{
	free(aw->v);
	free(aw->d);
	sqlite3_finalize(aw->promise);
	memset(aw, 0, sizeof(*aw));
}

static int load(sqlite3 *db, struct awaits *aw)
{
	int rc = read_resumptions(aw);
	if (rc != 0)
		return rc;
	rc = complete(db, aw);
	size_t kept = 0;
	for (size_t i = 0; i < aw->n && rc == 0; i++)
		if (!aw->v[i].dropped)
			aw->v[kept++] = aw->v[i];
	aw->n = kept;
	if (rc == 0)
		resolve_roots(aw->t, aw->v, aw->n);
	sqlite3_stmt *s;
	if (rc == 0 && sqlite3_prepare_v2(db, operation_sql, -1, &s, NULL) != SQLITE_OK)
		rc = -EIO;
	if (rc == 0) {
		for (size_t i = 0; i < aw->nd && rc == 0; i++)
			rc = read_operation(s, &aw->d[i]); /* the awaits that waited */
		sqlite3_finalize(s);
	}
	return rc;
}

/* Index of the await whose resumption is dispatch `seq` (awaits are in
 * row order), or -1.  It is searched for from await `near` outwards (the
 * resumption that made an await is usually a few awaits before it), then
 * by halves. */
static int64_t resumed_in(const struct lt_dispatch_table *t, const struct await *v, size_t n, int64_t seq,
			  size_t near)
{
	int64_t row = lt_dispatch_index(t, seq);
	if (row < 0)
		return -1;
	size_t lo = 0, hi = n;
	if (v[near].row >= (uint32_t)row) {
		hi = near + 1;
		for (size_t step = 1; step <= near; step *= 2) {
			if (v[near - step].row < (uint32_t)row) {
				lo = near - step;
				break;
			}
			hi = near - step + 1;
		}
	} else {
		lo = near;
		for (size_t step = 1; near + step < n; step *= 2) {
			if (v[near + step].row >= (uint32_t)row) {
				hi = near + step + 1;
				break;
			}
			lo = near + step;
		}
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].row < (uint32_t)row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].row == (uint32_t)row ? (int64_t)lo : -1;
}

static void link_chains(const struct lt_dispatch_table *t, struct await *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t j = resumed_in(t, v, n, v[i].croot, i);
		if (j < 0 || (size_t)j == i)
			continue;
		/* The resumed function's own next await is the last one it made. */
		if (v[j].next < 0 || v[v[j].next].t < v[i].t)
			v[j].next = (int32_t)i;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].next >= 0)
			v[v[i].next].has_prev = 1;
}

static double wait_ms(const struct awaits *aw, size_t i) { return detail_of(aw, i)->wait_ms; }

/* Each await's wait: the poll time its pending span covered.  Only the
 * awaits that waited are counted (wait_ms reads no other). */
static void measure_waits(struct awaits *aw, const struct lt_polls *p)
{
	for (size_t i = 0; i < aw->n; i++) {
		if (!aw->v[i].waited)
			continue;
		struct detail *d = detail_of(aw, i);
		const struct lt_dispatch_thread *th = thread_of(aw->t, &aw->v[i]);
		int64_t rns = rns_of(aw->t, &aw->v[i]);
		double span = (double)(rns - d->cns) / 1e6;
		double idle = lt_idle_between(p, th->pid, th->tid, d->cns, rns);
		d->wait_ms = idle >= 0 ? idle : span > 0 ? span : 0;
	}
}

/* Makespan of the waits on k workers, longest first. */
static double overlapped_ms(const struct awaits *aw, int64_t first, int64_t waits, int k)
{
	const struct await *v = aw->v;
	double *w = malloc((size_t)waits * sizeof(*w));
	double load[SUGGESTED_CONCURRENCY] = {0};
	if (!w)
		return 0;
	int64_t m = 0;
	for (int64_t i = first; i >= 0 && m < waits; i = v[i].next)
		if (v[i].waited)
			w[m++] = wait_ms(aw, (size_t)i);
	for (int64_t a = 0; a < m; a++) /* selection sort is fine: runs are short */
		for (int64_t b = a + 1; b < m; b++)
			if (w[b] > w[a]) {
				double t = w[a];
				w[a] = w[b];
				w[b] = t;
			}
	for (int64_t a = 0; a < m; a++) {
		int best = 0;
		for (int j = 1; j < k; j++)
			if (load[j] < load[best])
				best = j;
		load[best] += w[a];
	}
	double makespan = 0;
	for (int j = 0; j < k; j++)
		if (load[j] > makespan)
			makespan = load[j];
	free(w);
	return makespan;
}

/* Innermost frame of function `fn` in file `file` among the stacks dispatch
 * `seq` created, or in stack `stack` when seq is 0. */
static int frame_in(sqlite3 *db, int64_t seq, int64_t stack, const char *fn, const char *file,
		    struct lt_user_frame *out)
{
	static const char by_seq[] =
		"SELECT s.line, s.column FROM created_stack c JOIN stacks s ON s.stack_id = c.stack_id"
		" WHERE c.seq = ? AND s.function = ? AND s.file = ? ORDER BY c.stack_id DESC, s.depth LIMIT 1";
	static const char by_stack[] =
		"SELECT line, column FROM stacks WHERE stack_id = ? AND function = ? AND file = ?"
		" ORDER BY depth LIMIT 1";
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, seq ? by_seq : by_stack, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, seq ? seq : stack);
	sqlite3_bind_text(s, 2, fn, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, file, -1, SQLITE_STATIC);
	int rc = -ENOENT;
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(out->function, sizeof(out->function), "%s", fn);
		snprintf(out->file, sizeof(out->file), "%s", file);
		out->line = sqlite3_column_int64(s, 0);
		out->column = sqlite3_column_int64(s, 1);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

struct vote {
	struct lt_user_frame f;
	int votes;
};

static void cast(struct vote *c, int *nc, const struct lt_user_frame *f)
{
	int k = 0;
	while (k < *nc && !(c[k].f.line == f->line && !strcmp(c[k].f.file, f->file)))
		k++;
	if (k == *nc) {
		if (*nc == LOCATE_AWAITS)
			return;
		c[(*nc)++].f = *f;
	}
	c[k].votes++;
}

/* Most votes; on a tie the earliest line (the first await in the code). */
static int winner(const struct vote *c, int nc)
{
	int best = -1;
	for (int k = 0; k < nc; k++)
		if (best < 0 || c[k].votes > c[best].votes ||
		    (c[k].votes == c[best].votes && c[k].f.line < c[best].f.line))
			best = k;
	return best;
}

/* The await's place in the code.  The async function is the one running in
 * the continuations (the outermost user frame of what they created); each
 * await is then placed at that function's innermost frame in the stacks
 * taken around it (what was created where it was, its own sampled stack,
 * its operation's).  Also notes whether the run repeats an await site (or,
 * unplaced, an operation site) — a loop, or one helper in a loop — which is
 * what independent work looks like, as opposed to a sequence of distinct
 * steps that may each need the one before. */
static void locate(sqlite3 *db, const struct awaits *aw, struct run *r)
{
	const struct await *v = aw->v;
	struct vote *fns = calloc(LOCATE_AWAITS, sizeof(*fns)), *lines = calloc(LOCATE_AWAITS, sizeof(*lines));
	int nf = 0, nl = 0;
	if (!fns || !lines)
		goto out;
	int64_t seen = 0;
	for (int64_t i = v[r->first].next; i >= 0 && seen < LOCATE_AWAITS; i = v[i].next, seen++) {
		struct lt_user_frame f;
		if (lt_running_frame_of(db, detail_of(aw, (size_t)i)->cseq, &f) == 0) {
			f.line = 0; /* vote on the function */
			cast(fns, &nf, &f);
		}
	}
	int fn = winner(fns, nf);
	r->library_run = fn < 0; /* refined below: only with a library frame seen */
	seen = 0;
	for (int64_t i = r->first; i >= 0 && seen < LOCATE_AWAITS; i = v[i].next, seen++) {
		struct lt_user_frame f;
		int found = -1;
		if (fn >= 0) {
			const char *name = fns[fn].f.function, *file = fns[fn].f.file;
			if (detail_of(aw, (size_t)i)->tstack)
				found = frame_in(db, 0, detail_of(aw, (size_t)i)->tstack, name, file, &f);
			if (found != 0 && detail_of(aw, (size_t)i)->xsite)
				found = frame_in(db, 0, detail_of(aw, (size_t)i)->xsite, name, file, &f);
			if (found != 0)
				found = frame_in(db, detail_of(aw, (size_t)i)->cseq, 0, name, file, &f);
		} else if (detail_of(aw, (size_t)i)->xsite) {
			/* A library's own awaits: placed at the user call that started them. */
			found = lt_user_frame_of(db, detail_of(aw, (size_t)i)->xsite, &f);
		}
		if (found == 0)
			cast(lines, &nl, &f);
	}
	int best = winner(lines, nl);
	if (best >= 0) {
		snprintf(r->file, sizeof(r->file), "%s", lines[best].f.file);
		snprintf(r->function, sizeof(r->function), "%s", lines[best].f.function);
		r->line = lines[best].f.line;
		r->column = lines[best].f.column;
		r->repeated = lines[best].votes > 1;
	}
	/* One helper making every operation (the operations' sites repeat)
	 * says "a loop" only when the awaits themselves could not be placed:
	 * awaits placed at distinct lines are distinct steps, and a step may
	 * need the one before (`const s = await hash(); await verify(s)`). */
	int64_t same = 0;
	struct lt_user_frame first_op;
	seen = 0;
	for (int64_t i = r->first; i >= 0 && seen < LOCATE_AWAITS && !r->repeated && best < 0;
	     i = v[i].next, seen++) {
		struct lt_user_frame f;
		if (!detail_of(aw, (size_t)i)->xsite || lt_user_frame_of(db, detail_of(aw, (size_t)i)->xsite, &f) != 0)
			continue;
		if (same++ == 0)
			first_op = f;
		else if (f.line != first_op.line || strcmp(f.file, first_op.file) != 0)
			same = -1000000;
	}
	if (same > 1)
		r->repeated = 1;
	/* the library that made the operations: secondary context */
	seen = 0;
	for (int64_t i = r->first; i >= 0 && seen < LOCATE_AWAITS && !r->has_library; i = v[i].next, seen++) {
		struct lt_place p;
		int64_t stacks[2] = {detail_of(aw, (size_t)i)->xsite, detail_of(aw, (size_t)i)->tstack};
		for (int k = 0; k < 2 && !r->has_library; k++)
			if (stacks[k] && lt_place_of_stack(db, stacks[k], &p) == 0 && p.has_library) {
				r->library = p.library;
				r->has_library = 1;
			}
	}
	r->library_run = r->library_run && r->has_library;
out:
	snprintf(r->key, sizeof(r->key), "%lld|%d|%s|%lld", (long long)r->pid, r->library_run, r->file,
		 (long long)r->line);
	free(fns);
	free(lines);
}

static int add_run(const struct awaits *aw, struct runs *rs, int64_t first, int64_t waits, double serial,
		   int64_t last, int64_t origin_await)
{
	if (waits < MIN_WAITS)
		return 0;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct run *grown = realloc(rs->v, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		rs->v = grown;
		rs->cap = cap;
	}
	struct run *r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->first = first;
	r->waits = waits;
	r->serial_ms = serial;
	r->pid = thread_of(aw->t, &aw->v[first])->pid;
	r->tid = thread_of(aw->t, &aw->v[first])->tid;
	r->origin_await = origin_await; /* origin: read with the run's operations */
	r->begin_ms = (double)detail_of(aw, (size_t)first)->cns / 1e6;
	r->end_ms = (double)rns_of(aw->t, &aw->v[last]) / 1e6;
	int k = waits < SUGGESTED_CONCURRENCY ? (int)waits : SUGGESTED_CONCURRENCY;
	r->overlapped_ms = overlapped_ms(aw, first, waits, k);
	return 0;
}

/* Split each chain into runs of serial real waits. */
static int find_runs(const struct awaits *aw, struct runs *rs)
{
	const struct await *v = aw->v;
	size_t n = aw->n;
	for (size_t s = 0; s < n; s++) {
		if (v[s].has_prev)
			continue;
		int64_t first = -1, waits = 0, prev_real = -1, last = -1;
		double serial = 0;
		for (int64_t i = (int64_t)s; i >= 0; i = v[i].next) {
			if (!v[i].waited)
				continue; /* resolved without the loop going round: no wait */
			int serial_start = prev_real < 0 || detail_of(aw, (size_t)i)->xseq >= rseq_of(aw->t, &v[prev_real]);
			if (!serial_start) {
				/* Its operation began before the previous await resumed:
				 * the work overlapped. */
				int rc = add_run(aw, rs, first, waits, serial, last, (int64_t)s);
				if (rc)
					return rc;
				first = -1;
				waits = 0;
				serial = 0;
			}
			if (first < 0)
				first = i;
			waits++;
			serial += wait_ms(aw, (size_t)i);
			prev_real = i;
			last = i;
		}
		int rc = add_run(aw, rs, first, waits, serial, last, (int64_t)s);
		if (rc)
			return rc;
	}
	return 0;
}

/* The operations of the awaits locate() looks at in each run. */
/* The details and operations of each run's awaits (as far as locate
 * walks: its first LOCATE_AWAITS, and the one after for the function vote)
 * and of its invocation's first await, the run's origin. */
static int read_run_operations(sqlite3 *db, struct awaits *aw, struct runs *rs)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, operation_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	int rc = 0;
	for (size_t r = 0; r < rs->n && rc == 0; r++) {
		int64_t seen = 0;
		for (int64_t i = rs->v[r].first; i >= 0 && seen <= LOCATE_AWAITS && rc == 0; i = aw->v[i].next, seen++) {
			rc = need_detail(db, aw, (size_t)i);
			if (rc == 0 && seen < LOCATE_AWAITS)
				rc = read_operation(s, detail_of(aw, (size_t)i));
		}
		if (rc == 0)
			rc = need_detail(db, aw, (size_t)rs->v[r].origin_await);
		if (rc == 0)
			rs->v[r].origin = detail_of(aw, (size_t)rs->v[r].origin_await)->cseq;
	}
	sqlite3_finalize(s);
	return rc;
}

static void report(struct lt_analysis *a, struct runs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct run *r = &rs->v[i];
		if (r->dropped)
			continue;
		/* Aggregate the invocations of the same await site. */
		int64_t invocations = 1, total_waits = r->waits;
		double total_serial = r->serial_ms, total_savings = r->serial_ms - r->overlapped_ms;
		struct run *largest = r;
		for (size_t j = i + 1; j < rs->n; j++) {
			struct run *o = &rs->v[j];
			if (o->dropped || strcmp(o->key, r->key) != 0)
				continue;
			o->dropped = 1;
			invocations++;
			total_waits += o->waits;
			total_serial += o->serial_ms;
			total_savings += o->serial_ms - o->overlapped_ms;
			if (o->serial_ms > largest->serial_ms)
				largest = o;
		}
		double savings = largest->serial_ms - largest->overlapped_ms;
		if (total_savings < a->opts.min_savings_ms || savings < 0.2 * largest->serial_ms)
			continue;
		int k = largest->waits < SUGGESTED_CONCURRENCY ? (int)largest->waits : SUGGESTED_CONCURRENCY;
		/* Worth a warning when it repeats, saves a noticeable share of the
		 * waiting, and shortens the chain itself noticeably: a batch loop
		 * that computes between short reads (a formatter reading its
		 * files) would gain a few percent, which is not worth the change. */
		double span_ms = largest->end_ms - largest->begin_ms;
		int worth = !largest->library_run && largest->repeated && total_savings >= 20 &&
			    total_savings >= 0.25 * total_serial && savings >= MIN_SPAN_SHARE * span_ms;
		struct lt_finding *f = lt_findings_add(&a->findings, "sequential-await",
						       worth ? LT_SEV_WARNING : LT_SEV_INFO);
		if (!f)
			return;
		char fn[300];
		if (largest->library_run)
			snprintf(fn, sizeof(fn), "%s%s", largest->has_library ? largest->library.function : "",
				 largest->has_library && largest->library.function[0] ? " (library code)"
										      : "library code");
		else
			snprintf(fn, sizeof(fn), "%s", largest->function[0] ? largest->function : "an async function");
		if (invocations > 1)
			lt_finding_message(f, "%s awaited %lld independent operations one after another "
					      "(%lld invocations, %lld waits): they waited %.0f ms in turn in the largest; "
					      "%d at a time would wait about %.0f ms, saving about %.0f ms in all",
					   fn, (long long)largest->waits, (long long)invocations,
					   (long long)total_waits, largest->serial_ms, k, largest->overlapped_ms,
					   total_savings);
		else
			lt_finding_message(f, "%s awaited %lld independent operations one after another: "
					      "they waited %.0f ms in turn; %d at a time would wait about %.0f ms "
					      "(saves about %.0f ms)",
					   fn, (long long)largest->waits, largest->serial_ms, k,
					   largest->overlapped_ms, savings);
		lt_finding_fix(f, "if the operations do not depend on each other, start them together with bounded "
				  "concurrency (e.g. %d at a time through a small pool or p-limit) instead of awaiting "
				  "each in turn; an unbounded Promise.all over a large list floods the target",
			       k);
		lt_finding_location(f, largest->file[0] ? largest->file : NULL, largest->line,
				    largest->column, largest->function[0] ? largest->function : NULL);
		if (largest->has_library)
			lt_finding_library_location(f, largest->library.file, largest->library.line,
						    largest->library.column,
						    largest->library.function[0] ? largest->library.function : NULL);
		if (!largest->file[0])
			lt_finding_location_note(f, "%s", largest->library_run
				? "the awaits are a library's own and no sampled stack reached the program's code that called it"
				: "no sampled stack of these awaits reached the program's own code");
		else if (largest->library_run)
			lt_finding_location_note(f, "the serial awaits are inside the library, called from this line");
		lt_finding_thread(f, largest->pid, largest->tid);
		f->impact_ms = total_savings;
		lt_finding_int(f, "count", largest->waits);
		lt_finding_number(f, "serial_ms", largest->serial_ms);
		lt_finding_number(f, "estimated_overlapped_ms", largest->overlapped_ms);
		lt_finding_number(f, "estimated_savings_ms", total_savings);
		lt_finding_int(f, "concurrency", k);
		lt_finding_int(f, "invocations", invocations);
		lt_finding_number(f, "chain_ms", largest->end_ms - largest->begin_ms);
	}
}

/* Part of `r`'s span that `o` overlaps, in ms. */
static double overlap_ms(const struct run *r, const struct run *o)
{
	double lo = fmax(r->begin_ms, o->begin_ms), hi = fmin(r->end_ms, o->end_ms);
	return hi > lo ? hi - lo : 0;
}

/* A library's own serial awaits that ran while a user run was waiting are
 * that user run's operations seen from inside the library: they fold into
 * it (one finding per user site, savings not counted twice). */
static void fold_library_runs(struct runs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct run *r = &rs->v[i];
		if (!r->library_run)
			continue;
		double span = r->end_ms - r->begin_ms;
		for (size_t j = 0; j < rs->n && !r->dropped; j++) {
			const struct run *o = &rs->v[j];
			if (o->library_run || o->pid != r->pid || o->tid != r->tid)
				continue;
			if (span <= 0 || overlap_ms(r, o) >= 0.5 * span)
				r->dropped = 1;
		}
	}
}

/* A run whose await site was waiting in another invocation started in the
 * same dispatch (workers started together: a pool) for most of its span is
 * one worker of a pool: the work already overlaps.  Invocations started by
 * separate events (one per request) are each their own serial chain. */
static void drop_concurrent(struct runs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct run *r = &rs->v[i];
		double span = r->end_ms - r->begin_ms, covered = 0;
		for (size_t j = 0; j < rs->n && span > 0; j++) {
			const struct run *o = &rs->v[j];
			if (j == i || o->origin != r->origin || strcmp(o->key, r->key) != 0)
				continue;
			double lo = fmax(r->begin_ms, o->begin_ms), hi = fmin(r->end_ms, o->end_ms);
			if (hi > lo)
				covered = fmax(covered, hi - lo);
		}
		if (span > 0 && covered >= 0.5 * span)
			r->dropped = 1;
	}
}

int lt_detect_sequential_await(struct lt_analysis *a)
{
	struct awaits aw = {.t = &a->dispatches};
	int rc = load(a->db, &aw);
	if (rc != 0) {
		free_awaits(&aw);
		return rc;
	}
	link_chains(aw.t, aw.v, aw.n);
	struct lt_polls polls;
	rc = lt_polls_load(a->db, &polls);
	if (rc != 0) {
		free_awaits(&aw);
		return rc;
	}
	measure_waits(&aw, &polls);
	lt_polls_free(&polls);
	struct runs rs = {0};
	rc = find_runs(&aw, &rs);
	if (rc == 0)
		rc = read_run_operations(a->db, &aw, &rs);
	if (rc == 0) {
		for (size_t i = 0; i < rs.n; i++)
			locate(a->db, &aw, &rs.v[i]);
		drop_concurrent(&rs);
		fold_library_runs(&rs);
		report(a, &rs);
	}
	free(rs.v);
	free_awaits(&aw);
	return rc;
}
