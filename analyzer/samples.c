/*
 * samples.c — summarising the stacks sampled inside long dispatches.
 */
#include "samples.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "processes.h"
#include "store.h"

#define MAX_VOTES 32

struct vote {
	struct lt_user_frame frame;
	int64_t n;
};

struct ballot {
	struct vote v[MAX_VOTES];
	int n;
};

/* Count `weight` for a frame (same file, line and function); full ballots
 * drop newcomers, which only matters for wildly spread samples. */
static void cast(struct ballot *b, const struct lt_user_frame *f, int64_t weight)
{
	for (int i = 0; i < b->n; i++)
		if (b->v[i].frame.line == f->line && !strcmp(b->v[i].frame.file, f->file) &&
		    !strcmp(b->v[i].frame.function, f->function)) {
			b->v[i].n += weight;
			return;
		}
	if (b->n < MAX_VOTES) {
		b->v[b->n].frame = *f;
		b->v[b->n++].n = weight;
	}
}

/* The frame with the most votes (ties: the first cast), NULL when none left. */
static struct vote *winner(struct ballot *b)
{
	struct vote *best = NULL;
	for (int i = 0; i < b->n; i++)
		if (b->v[i].n > 0 && (!best || b->v[i].n > best->n))
			best = &b->v[i];
	return best;
}

static int is_module_loader(const char *file)
{
	return !strncmp(file, "node:internal/modules/", 22) || !strncmp(file, "internal/modules/", 17);
}

static const char *text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? (const char *)t : "";
}

static void set_frame(struct lt_user_frame *f, sqlite3_stmt *s)
{
	snprintf(f->function, sizeof(f->function), "%s", text(s, 1));
	snprintf(f->file, sizeof(f->file), "%s", text(s, 2));
	f->line = sqlite3_column_int64(s, 3);
	f->column = sqlite3_column_int64(s, 4);
}

/* The name a module being loaded goes by: its package, else its file. */
static void module_name(const char *file, char *out, size_t len)
{
	if (lt_library_package(file, out, len))
		return;
	snprintf(out, len, "%s", file);
}

/* Who called a user function: its caller's user frame, per callee. */
struct caller_vote {
	struct lt_user_frame callee; /* file and function only */
	struct lt_user_frame caller;
	int64_t n;
};

struct walk {
	struct ballot user, library, modules;
	struct caller_vote callers[MAX_VOTES];
	int n_callers;
	/* per user line (file, line): what it was calling (function = the
	 * callee's name), and samples where that line itself was running */
	struct ballot called, own;
};

static void called_name(const struct lt_user_frame *f, char *out, size_t len);
static void copy_cut(char *dst, size_t len, const char *src);

static void cast_caller(struct walk *w, const struct lt_user_frame *callee, const struct lt_user_frame *caller,
			int64_t n)
{
	for (int i = 0; i < w->n_callers; i++) {
		struct caller_vote *v = &w->callers[i];
		if (!strcmp(v->callee.file, callee->file) && !strcmp(v->callee.function, callee->function) &&
		    v->caller.line == caller->line && !strcmp(v->caller.file, caller->file)) {
			v->n += n;
			return;
		}
	}
	if (w->n_callers < MAX_VOTES) {
		struct caller_vote *v = &w->callers[w->n_callers++];
		memset(&v->callee, 0, sizeof(v->callee));
		snprintf(v->callee.file, sizeof(v->callee.file), "%s", callee->file);
		snprintf(v->callee.function, sizeof(v->callee.function), "%s", callee->function);
		v->caller = *caller;
		v->n = n;
	}
}

/* Fold one sampled stack (seen `n` times) into the summary. */
static int fold_stack(sqlite3_stmt *frames, const struct lt_user_code *uc, int64_t stack_id, int64_t n,
		      struct lt_sample_summary *out, struct walk *w)
{
	sqlite3_bind_int64(frames, 1, stack_id);
	struct lt_user_frame innermost = {0}, outer_of_user = {0}, library = {0}, loaded = {0}, user = {0};
	int depth = 0, user_depth = -1, library_depth = -1, loader_depth = -1, any_file = 0, caller_depth = -1;
	int have_loaded = 0;
	int framework_between = 0; /* a library frame above the user function */
	int step;
	while ((step = sqlite3_step(frames)) == SQLITE_ROW) {
		const char *file = text(frames, 2);
		if (*file)
			any_file = 1;
		if (depth == 0)
			set_frame(&innermost, frames);
		int is_user = lt_is_user_file(uc, file);
		if (user_depth >= 0 && caller_depth < 0 && !is_user && *file && !lt_is_node_internal(file))
			framework_between = 1;
		if (user_depth < 0 && is_user) {
			user_depth = depth;
			set_frame(&user, frames);
			cast(&w->user, &user, n);
		} else if (user_depth >= 0 && caller_depth < 0 && is_user && !framework_between) {
			/* The user line that called it — directly, not through a
			 * framework that called it back (express's router calling a
			 * route handler that an earlier middleware's next() began). */
			caller_depth = depth;
			struct lt_user_frame caller;
			set_frame(&caller, frames);
			cast_caller(w, &user, &caller, n);
		}
		if (user_depth < 0) /* the frame the user code called, so far */
			set_frame(&outer_of_user, frames);
		if (library_depth < 0 && !lt_is_node_internal(file) && !lt_is_user_file(uc, file) &&
		    lt_library_package(file, NULL, 0)) {
			library_depth = depth;
			set_frame(&library, frames);
		}
		if (loader_depth < 0 && is_module_loader(file)) {
			loader_depth = depth;
		} else if (loader_depth < 0 && !have_loaded && *file && !lt_is_node_internal(file)) {
			set_frame(&loaded, frames); /* innermost code outside Node: what is loading */
			have_loaded = 1;
		}
		depth++;
	}
	sqlite3_reset(frames);
	if (step != SQLITE_DONE)
		return -EIO;
	out->samples += n;
	if (any_file)
		out->with_frames += n;
	if (user_depth >= 0) {
		out->user_samples += n;
		struct lt_user_frame at = {0};
		snprintf(at.file, sizeof(at.file), "%s", user.file);
		at.line = user.line;
		if (user_depth == 0) {
			out->user_innermost += n;
			cast(&w->own, &at, n);
		} else {
			called_name(&outer_of_user, at.function, sizeof(at.function));
			cast(&w->called, &at, n);
		}
	} else if (depth > 0) {
		struct lt_user_frame at = {0};
		called_name(&innermost, at.function, sizeof(at.function));
		cast(&w->called, &at, n); /* no user line: line 0, file "" */
	}
	if (library_depth >= 0)
		cast(&w->library, &library, n);
	/* Loading modules: Node's module loader runs inside the user's frame
	 * (a require() call) or with no user frame at all.  The main script's
	 * own code runs with the loader outside it, which does not count. */
	if (loader_depth >= 0 && (user_depth < 0 || loader_depth < user_depth)) {
		out->module_samples += n;
		if (have_loaded) {
			struct lt_user_frame m = {0};
			module_name(loaded.file, m.file, sizeof(m.file));
			cast(&w->modules, &m, n);
		}
	}
	return 0;
}

/* The samples of a trace: the agent's (table samples) and, in an attached
 * trace (meta capture = bpf), the stacks attach sampled in long callbacks
 * ("JS sample" resources, recorder/attach_events.h), which say where the
 * time went in the same way (their lines are the functions' first lines:
 * the perf map names functions, not lines).  Made once per connection; the
 * meta test has no column of resources, so SQLite checks it once before the
 * scan and skips the scan in a recorded trace. */
static int ensure_index(sqlite3 *db)
{
	return sqlite3_exec(db,
			    "CREATE TEMP TABLE IF NOT EXISTS sample_at AS"
			    " SELECT pid, tid, ts_ns, stack_id, busy_ns, on_cpu_ns, runq_ns FROM samples"
			    " WHERE stack_id IS NOT NULL"
			    " UNION ALL SELECT pid, tid, created_ns, stack_id, NULL, NULL, NULL FROM resources"
			    " WHERE EXISTS (SELECT 1 FROM meta WHERE key = 'capture' AND value = 'bpf')"
			    " AND type = 'JS sample' AND stack_id IS NOT NULL AND created_ns IS NOT NULL;"
			    "CREATE INDEX IF NOT EXISTS temp.sample_at_by_time ON sample_at(pid, tid, ts_ns);",
			    NULL, NULL, NULL) == SQLITE_OK
		       ? 0
		       : -EIO;
}

/* Copy src into dst[len], cut short when longer. */
static void copy_cut(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void called_name(const struct lt_user_frame *f, char *out, size_t len)
{
	if (f->function[0])
		snprintf(out, len, "%s", f->function);
	else if (f->file[0])
		copy_cut(out, len, f->file);
	else
		snprintf(out, len, "(native code)");
}

static int same_function(const struct lt_user_frame *a, const struct lt_user_frame *b)
{
	return !strcmp(a->file, b->file) && !strcmp(a->function, b->function);
}

/* The user function sampled most, then its line sampled most. */
static void choose_user_line(const struct walk *w, struct lt_sample_summary *out)
{
	const struct ballot *b = &w->user;
	int best = -1;
	int64_t best_n = 0;
	for (int i = 0; i < b->n; i++) {
		int64_t n = 0;
		for (int k = 0; k < b->n; k++)
			if (same_function(&b->v[i].frame, &b->v[k].frame))
				n += b->v[k].n;
		if (n > best_n) {
			best_n = n;
			best = i;
		}
	}
	if (best < 0)
		return;
	int line = best;
	for (int k = 0; k < b->n; k++)
		if (same_function(&b->v[best].frame, &b->v[k].frame) && b->v[k].n > b->v[line].n)
			line = k;
	out->user = b->v[line].frame;
	out->user_votes = b->v[line].n;
	out->function_votes = best_n;
}

/* The line that called the chosen user function most often. */
static void choose_caller(const struct walk *w, struct lt_sample_summary *out)
{
	const struct caller_vote *best = NULL;
	for (int i = 0; i < w->n_callers; i++) {
		const struct caller_vote *v = &w->callers[i];
		if (!strcmp(v->callee.file, out->user.file) && !strcmp(v->callee.function, out->user.function) &&
		    (!best || v->n > best->n))
			best = v;
	}
	if (best) {
		out->caller = best->caller;
		out->caller_votes = best->n;
	}
}

/* What the chosen user line was calling, when it was inside a call more
 * often than running its own code; with no user line, the innermost
 * function sampled most. */
static void choose_called(struct walk *w, struct lt_sample_summary *out)
{
	const char *file = out->user_votes ? out->user.file : "";
	int64_t line = out->user_votes ? out->user.line : 0, own = 0;
	for (int k = 0; k < w->own.n; k++)
		if (w->own.v[k].frame.line == line && !strcmp(w->own.v[k].frame.file, file))
			own = w->own.v[k].n;
	const struct vote *best = NULL;
	for (int k = 0; k < w->called.n; k++) {
		const struct vote *v = &w->called.v[k];
		if (v->frame.line == line && !strcmp(v->frame.file, file) && (!best || v->n > best->n))
			best = v;
	}
	if (best && best->n > own)
		copy_cut(out->called, sizeof(out->called), best->frame.function);
}

int lt_samples_summarize(sqlite3 *db, const struct lt_user_code *uc, int64_t pid, int64_t tid,
			 int64_t begin_ns, int64_t end_ns, struct lt_sample_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (!lt_table_exists(db, "samples"))
		return 0;
	out->available = 1;
	if (ensure_index(db) != 0)
		return -EIO;
	sqlite3_stmt *range = NULL, *frames = NULL;
	struct walk *w = calloc(1, sizeof(*w)); /* too large for the stack */
	if (!w)
		return -ENOMEM;
	int rc = -EIO;
	if (sqlite3_prepare_v2(db,
			       "SELECT stack_id, count(*) FROM temp.sample_at WHERE pid = ? AND tid = ?"
			       " AND ts_ns >= ? AND ts_ns <= ? GROUP BY stack_id",
			       -1, &range, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT depth, function, file, line, column FROM stacks WHERE stack_id = ?"
			       " ORDER BY depth",
			       -1, &frames, NULL) != SQLITE_OK)
		goto finalize;
	sqlite3_bind_int64(range, 1, pid);
	sqlite3_bind_int64(range, 2, tid);
	sqlite3_bind_int64(range, 3, begin_ns);
	sqlite3_bind_int64(range, 4, end_ns);
	int step;
	while ((step = sqlite3_step(range)) == SQLITE_ROW)
		if (fold_stack(frames, uc, sqlite3_column_int64(range, 0), sqlite3_column_int64(range, 1), out,
			       w) != 0)
			goto finalize;
	if (step != SQLITE_DONE)
		goto finalize;
	struct vote *v;
	choose_user_line(w, out);
	if ((v = winner(&w->library))) {
		out->library = v->frame;
		out->has_library = 1;
	}
	choose_called(w, out);
	if (out->function_votes)
		choose_caller(w, out);
	while (out->n_modules < LT_TOP_MODULES && (v = winner(&w->modules))) {
		copy_cut(out->modules[out->n_modules++], sizeof(out->modules[0]), v->frame.file);
		v->n = 0;
	}
	rc = 0;
finalize:
	sqlite3_finalize(range);
	sqlite3_finalize(frames);
	free(w);
	return rc;
}

int lt_samples_cpu(sqlite3 *db, int64_t pid, int64_t tid, int64_t begin_ns, int64_t end_ns,
		   double *on_cpu_ms, double *runq_ms, double *busy_ms)
{
	/* The latest sample in the range, less the latest one of the same busy
	 * period taken before it began: the window closest to the range. */
	static const char sql[] =
		"SELECT a.on_cpu_ns - COALESCE(b.on_cpu_ns, 0), a.runq_ns - COALESCE(b.runq_ns, 0),"
		" a.busy_ns - COALESCE(b.busy_ns, 0)"
		" FROM (SELECT ts_ns, on_cpu_ns, runq_ns, busy_ns FROM temp.sample_at"
		"       WHERE pid = ?1 AND tid = ?2 AND ts_ns >= ?3 AND ts_ns <= ?4 AND on_cpu_ns IS NOT NULL"
		"       ORDER BY busy_ns DESC LIMIT 1) a"
		" LEFT JOIN (SELECT ts_ns, on_cpu_ns, runq_ns, busy_ns FROM temp.sample_at"
		"       WHERE pid = ?1 AND tid = ?2 AND ts_ns < ?3 AND ts_ns >= ?3 - 60000000000"
		"       AND on_cpu_ns IS NOT NULL ORDER BY ts_ns DESC LIMIT 1) b"
		"   ON abs((a.ts_ns - a.busy_ns) - (b.ts_ns - b.busy_ns)) < 2000000"
		"   AND b.on_cpu_ns <= a.on_cpu_ns AND b.runq_ns <= a.runq_ns AND b.busy_ns < a.busy_ns";
	sqlite3_stmt *s;
	if (ensure_index(db) != 0 || sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, pid);
	sqlite3_bind_int64(s, 2, tid);
	sqlite3_bind_int64(s, 3, begin_ns);
	sqlite3_bind_int64(s, 4, end_ns);
	int step = sqlite3_step(s), rc = -ENOENT;
	if (step == SQLITE_ROW && sqlite3_column_int64(s, 2) <= 0)
		step = SQLITE_DONE;
	if (step == SQLITE_DONE) {
		/* No sample in the range (the watchdog spaces them out in a long
		 * busy period): the latest one of the second before it tells how
		 * busy the machine was then. */
		sqlite3_finalize(s);
		static const char before_sql[] =
			"SELECT on_cpu_ns, runq_ns, busy_ns FROM temp.sample_at WHERE pid = ?1 AND tid = ?2"
			" AND ts_ns < ?3 AND ts_ns >= ?3 - 1000000000 AND on_cpu_ns IS NOT NULL AND busy_ns > 0"
			" ORDER BY ts_ns DESC LIMIT 1";
		if (sqlite3_prepare_v2(db, before_sql, -1, &s, NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_int64(s, 1, pid);
		sqlite3_bind_int64(s, 2, tid);
		sqlite3_bind_int64(s, 3, begin_ns);
		step = sqlite3_step(s);
	}
	if (step == SQLITE_ROW) {
		*on_cpu_ms = (double)sqlite3_column_int64(s, 0) / 1e6;
		*runq_ms = (double)sqlite3_column_int64(s, 1) / 1e6;
		*busy_ms = (double)sqlite3_column_int64(s, 2) / 1e6;
		rc = 0;
	} else if (step != SQLITE_DONE) {
		rc = -EIO;
	}
	sqlite3_finalize(s);
	return rc;
}

void lt_samples_state(sqlite3 *db, char *buf, size_t len)
{
	lt_store_get_meta(db, "in_dispatch_samples", buf, len);
	if (!buf[0])
		snprintf(buf, len, "absent");
}
