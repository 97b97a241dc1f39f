/*
 * lesson_data.c — a trace's steps and sources, read for a lesson page.
 */
#include "lesson_data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/processes.h"
#include "../analyzer/queue.h"
#include "../analyzer/replay.h"
#include "../analyzer/source.h"

/* A timer's delay and the dispatch its resource or promise was made in. */
static const char facts_sql[] =
	"SELECT r.timer_delay_ms, COALESCE(r.created_seq, p.created_seq) FROM dispatches d"
	" LEFT JOIN resources r ON r.id = d.resource_id LEFT JOIN promises p ON p.id = d.promise_id"
	" WHERE d.seq = ?";

struct loader {
	struct lt_lesson *l;
	sqlite3_stmt *facts;
	size_t max;
	int64_t origin_ns;
	int failed;
};

static char *copy(const char *s)
{
	return strdup(s ? s : "");
}

/* Append len bytes of text to *buf (NUL-terminated); 0 or -ENOMEM. */
static int append(char **buf, size_t *used, const char *text, size_t len)
{
	char *grown = realloc(*buf, *used + len + 1);
	if (!grown)
		return -ENOMEM;
	memcpy(grown + *used, text, len);
	*used += len;
	grown[*used] = '\0';
	*buf = grown;
	return 0;
}

static void read_facts(struct loader *ld, struct lt_why_step *w)
{
	w->timer_delay_ms = -1;
	sqlite3_reset(ld->facts);
	sqlite3_bind_int64(ld->facts, 1, w->seq);
	if (sqlite3_step(ld->facts) != SQLITE_ROW)
		return;
	if (sqlite3_column_type(ld->facts, 0) != SQLITE_NULL && !strcmp(w->queue, "timer"))
		w->timer_delay_ms = sqlite3_column_int64(ld->facts, 0);
	w->created = sqlite3_column_int64(ld->facts, 1);
}

/* A promise job of Node's own queued by one of the program's promise jobs
 * (adopting a promise returned from an async function or a then callback):
 * it stays, as the order depends on it.  Module loading's own jobs go. */
static int continues_program_job(const struct lt_lesson *l, const struct lt_dispatch *d)
{
	if (strcmp(lt_queue_canonical(d->queue), "microtask") != 0 || d->trigger_seq <= 0)
		return 0;
	for (size_t k = l->n, looked = 0; k-- > 0 && looked < 64; looked++) {
		const struct lt_lesson_step *s = &l->steps[k];
		if (s->why.seq == d->trigger_seq)
			return !strcmp(s->queue, "microtask");
		if (s->why.seq < d->trigger_seq)
			break;
	}
	return 0;
}

static int take_step(void *ctx, const struct lt_dispatch *d, const struct lt_output *out, size_t n_out)
{
	struct loader *ld = ctx;
	struct lt_lesson *l = ld->l;
	if (lt_replay_is_housekeeping(d, n_out) && !continues_program_job(l, d)) {
		l->hidden++;
		return 0;
	}
	if (l->n == ld->max) {
		l->truncated = 1;
		return 1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct lt_lesson_step *grown = realloc(l->steps, cap * sizeof(*grown));
		if (!grown)
			goto oom;
		l->steps = grown;
		l->cap = cap;
	}
	struct lt_lesson_step *s = &l->steps[l->n];
	memset(s, 0, sizeof(*s));
	l->n++;
	s->queue = copy(lt_queue_canonical(d->queue));
	s->type = copy(d->type);
	s->callback = copy(d->callback);
	s->phase = copy(d->phase);
	s->function = copy(d->loc.function);
	char path[4096]; /* an ES module's file:// URL as the path it names */
	const char *file = d->loc.file && lt_source_path(d->loc.file, path, sizeof(path)) == 0 ? path : d->loc.file;
	s->file = file ? strdup(file) : NULL;
	if (!s->queue || !s->type || !s->callback || !s->phase || !s->function || (d->loc.file && !s->file))
		goto oom;
	s->line = d->loc.file ? d->loc.line : 0;
	s->column = d->loc.file ? d->loc.column : 0;
	s->depth = d->depth;
	s->t_ms = (double)(d->begin_ns - ld->origin_ns) / 1e6;
	for (size_t i = 0; i < n_out; i++) {
		int is_err = out[i].fd == 2;
		if (append(is_err ? &s->err : &s->out, is_err ? &s->err_len : &s->out_len, out[i].text, out[i].len))
			goto oom;
	}
	s->why = (struct lt_why_step){.seq = d->seq, .enqueued = d->trigger_seq, .parent = d->parent_seq,
				      .iteration = d->iteration, .queue = s->queue, .type = s->type,
				      .site_line = s->line, .site_column = s->column};
	/* A place inherited from the promise's parent says nothing of where this
	 * job was scheduled: two jobs sharing it are not an adoption's pair. */
	if (d->loc.inherited)
		s->why.site_line = s->why.site_column = 0;
	read_facts(ld, &s->why);
	return 0;
oom:
	ld->failed = -ENOMEM;
	return 1;
}

struct line_sink {
	struct lt_lesson_source *src;
	int failed;
};

static int take_line(void *ctx, int64_t no, const char *text, size_t len)
{
	struct line_sink *sink = ctx;
	struct lt_lesson_source *src = sink->src;
	/* lines the reader skipped (none but overlong ones) stay empty */
	while ((int64_t)src->n < no) {
		char **grown = realloc(src->lines, (src->n + 1) * sizeof(*grown));
		if (!grown) {
			sink->failed = -ENOMEM;
			return 1;
		}
		src->lines = grown;
		int is_this = (int64_t)src->n + 1 == no;
		src->lines[src->n] = is_this ? strndup(text, len) : strdup("");
		if (!src->lines[src->n]) {
			sink->failed = -ENOMEM;
			return 1;
		}
		src->n++;
	}
	return 0;
}

int lt_lesson_source_index(const struct lt_lesson *l, const char *file)
{
	for (size_t i = 0; file && i < l->n_sources; i++)
		if (!strcmp(l->sources[i].file, file))
			return (int)i;
	return -1;
}

/* The text of file as stored in the trace (table sources, written by
 * `lesson`), or NULL (sqlite3_free it). */
static char *stored_source(sqlite3 *db, const char *file)
{
	sqlite3_stmt *s;
	char *text = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT text FROM sources WHERE file = ? AND typeof(text) = 'text'"
			       " AND length(CAST(text AS BLOB)) <= 16777216",
			       -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(s, 1, file, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		text = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return text;
}

/* Split stored text into lines, as lt_source_lines would give them. */
static int split_stored(const char *text, struct line_sink *sink)
{
	int64_t no = 1;
	for (const char *p = text; *p && no <= LT_LESSON_MAX_LINES; no++) {
		size_t len = strcspn(p, "\n");
		if (take_line(sink, no, p, len > LT_SOURCE_LINE_MAX ? LT_SOURCE_LINE_MAX : len))
			break;
		p += len + (p[len] == '\n');
	}
	return no > 1 ? 0 : -ENOENT;
}

/* Read file into the next source slot (when it is stored in the trace or
 * a readable program file, not read yet, and a slot is free); 0 or -ENOMEM. */
static int read_source(struct lt_lesson *l, sqlite3 *db, int has_stored, const char *file)
{
	if (!file || lt_lesson_source_index(l, file) >= 0 || l->n_sources == LT_LESSON_MAX_SOURCES ||
	    !strncmp(file, "node:", 5))
		return 0;
	struct lt_lesson_source *src = &l->sources[l->n_sources];
	memset(src, 0, sizeof(*src));
	struct line_sink sink = {.src = src};
	char *stored = has_stored ? stored_source(db, file) : NULL;
	int n = stored ? split_stored(stored, &sink) : lt_source_lines(file, 1, LT_LESSON_MAX_LINES, take_line, &sink);
	sqlite3_free(stored);
	if (sink.failed || n < 0) {
		for (size_t i = 0; i < src->n; i++)
			free(src->lines[i]);
		free(src->lines);
		memset(src, 0, sizeof(*src));
		return sink.failed;
	}
	if (!(src->file = strdup(file)))
		return -ENOMEM;
	l->n_sources++;
	return 0;
}

/* The "why now" of every step, once all are known. */
static int explain_all(struct lt_lesson *l)
{
	struct lt_why_step *why = calloc(l->n ? l->n : 1, sizeof(*why));
	if (!why)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		struct lt_lesson_step *s = &l->steps[i];
		int k = lt_lesson_source_index(l, s->file);
		if (k >= 0 && s->line >= 1 && (size_t)s->line <= l->sources[k].n)
			s->why.site = l->sources[k].lines[s->line - 1];
		why[i] = s->why;
	}
	int rc = 0;
	char sentence[1024];
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		l->steps[i].concept = lt_why_explain(why, l->n, i, sentence, sizeof(sentence));
		if (!(l->steps[i].because = strdup(sentence)))
			rc = -ENOMEM;
	}
	free(why);
	return rc;
}

int lt_lesson_load(sqlite3 *db, const char *main_file, size_t max_steps, struct lt_lesson *l, char *err,
		   size_t errlen)
{
	memset(l, 0, sizeof(*l));
	struct loader ld = {.l = l, .max = max_steps, .origin_ns = lt_replay_origin_ns(db)};
	if (sqlite3_prepare_v2(db, facts_sql, -1, &ld.facts, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	int rc = lt_replay_each(db, take_step, &ld, err, errlen);
	sqlite3_finalize(ld.facts);
	if (rc == 0)
		rc = ld.failed;
	int has_stored = lt_table_exists(db, "sources");
	if (rc == 0)
		rc = read_source(l, db, has_stored, main_file);
	for (size_t i = 0; i < l->n && rc == 0; i++)
		rc = read_source(l, db, has_stored, l->steps[i].file);
	if (rc == 0)
		rc = explain_all(l);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return rc;
}

void lt_lesson_free(struct lt_lesson *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct lt_lesson_step *s = &l->steps[i];
		char *strs[] = {s->queue, s->type, s->callback, s->phase, s->file, s->function, s->out, s->err, s->because};
		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			free(strs[k]);
	}
	free(l->steps);
	for (size_t i = 0; i < l->n_sources; i++) {
		for (size_t k = 0; k < l->sources[i].n; k++)
			free(l->sources[i].lines[k]);
		free(l->sources[i].lines);
		free(l->sources[i].file);
	}
	memset(l, 0, sizeof(*l));
}
