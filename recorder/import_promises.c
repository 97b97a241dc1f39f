/*
 * import_promises.c — promises and rejections of a stream.
 */
#include "import_promises.h"

#include <stdlib.h>
#include <string.h>

#include "import_dispatch.h"
#include "import_strings_stacks.h"

int lt_promises_init(struct lt_stream *s)
{
	s->n_prom = s->max_prom + 1;
	s->prom = calloc(s->n_prom, sizeof(*s->prom));
	return s->prom ? 0 : -1;
}

void lt_promises_free(struct lt_stream *s)
{
	free(s->prom);
	free(s->rejections);
	s->prom = NULL;
	s->rejections = NULL;
}

static void write_promise(struct lt_importer *im, struct lt_stream *s, uint32_t id, uint64_t settled_ns)
{
	struct lt_promise_info *p = &s->prom[id];
	sqlite3_stmt *st = im->db.st[ST_PROMISE];
	sqlite3_bind_int64(st, 1, (int64_t)(s->promise_base + id));
	sqlite3_bind_int(st, 2, s->pid);
	sqlite3_bind_int(st, 3, s->tid);
	lt_import_bind_opt(st, 4, p->parent != 0, (int64_t)(s->promise_base + p->parent));
	sqlite3_bind_int64(st, 5, (int64_t)p->created_ns);
	lt_import_bind_opt(st, 6, p->created_seq != NO_SEQ, p->created_seq);
	lt_import_bind_opt(st, 7, settled_ns != 0, (int64_t)settled_ns);
	lt_import_bind_opt(st, 8, settled_ns != 0 && p->settled_seq != NO_SEQ, p->settled_seq);
	sqlite3_bind_text(st, 9, settled_ns ? "settled" : "pending", -1, SQLITE_STATIC);
	lt_import_bind_opt(st, 10, p->stack != 0, p->stack);
	lt_import_bind_opt(st, 11, p->site != 0, p->site);
	lt_import_db_run(&im->db, ST_PROMISE);
	p->inserted = 1;
	im->stats->promises++;
}

void lt_on_p_init(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = r[1];
	if (id == 0 || id >= s->n_prom)
		return;
	struct lt_promise_info *p = &s->prom[id];
	p->parent = r[2] < s->n_prom ? r[2] : 0;
	p->created_ns = ts;
	p->created_seq = lt_current_seq(s);
	p->stack = lt_record_aux(r[0]) & 1 ? (uint32_t)lt_stack_of(s, r[4]) : 0;
	/* Promise stacks are sampled: an unsampled promise is placed where its
	 * parent was. */
	p->site = lt_reaches_user_code(im, p->stack) ? p->stack : p->parent ? s->prom[p->parent].site : 0;
}

void lt_on_p_settle(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	if (r[1] && r[1] < s->n_prom && !s->prom[r[1]].inserted) {
		s->prom[r[1]].settled_seq = lt_current_seq(s);
		write_promise(im, s, r[1], ts);
	}
}

void lt_on_p_before(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = r[1] < s->n_prom ? r[1] : 0;
	uint32_t trigger = NO_SEQ;
	if (id) {
		const struct lt_promise_info *p = &s->prom[id];
		trigger = p->created_seq;
		if (p->parent && s->prom[p->parent].settled_seq > trigger)
			trigger = s->prom[p->parent].settled_seq;
	}
	static const char type[] = "PROMISE";
	lt_open_dispatch(im, s, D_PROMISE, id, LT_QUEUE_MICROTASK, type, sizeof(type) - 1, trigger, ts);
}

void lt_on_p_after(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	lt_close_dispatch(im, s, D_PROMISE, r[1] < s->n_prom ? r[1] : 0, ts);
}

void lt_on_reject(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	static const char *const kinds[] = {"unhandled", "handled-late", "uncaught-exception"};
	unsigned kind = lt_record_aux(r[0]);
	uint32_t pid = r[1] < s->n_prom ? r[1] : 0;
	struct lt_text reason = lt_string_of(s, r[2]);
	uint64_t stack = lt_stack_of(s, r[3]);
	sqlite3_stmt *st = im->db.st[ST_REJECTION];
	sqlite3_bind_int(st, 1, s->pid);
	sqlite3_bind_int(st, 2, s->tid);
	sqlite3_bind_text(st, 3, kind < 3 ? kinds[kind] : "unknown", -1, SQLITE_STATIC);
	lt_import_bind_opt(st, 4, pid != 0, (int64_t)(s->promise_base + pid));
	if (lt_record_aux(r[0]) == LT_REJECT_HANDLED_LATE)
		sqlite3_bind_null(st, 5);
	else
		sqlite3_bind_text(st, 5, reason.s, (int)reason.n, SQLITE_STATIC);
	lt_import_bind_opt(st, 6, stack != 0, (int64_t)stack);
	sqlite3_bind_int64(st, 7, (int64_t)ts);
	uint32_t seq = lt_current_seq(s);
	lt_import_bind_opt(st, 8, seq != NO_SEQ, seq);
	lt_import_db_run(&im->db, ST_REJECTION);
	uint32_t ordinal = r[6];
	if (ordinal && ordinal < 1u << 20) {
		if (ordinal >= s->n_rejections) {
			uint32_t n = ordinal * 2;
			int64_t *grown = realloc(s->rejections, n * sizeof(*grown));
			if (!grown) {
				im->db.failed = 1;
				return;
			}
			memset(grown + s->n_rejections, 0, (n - s->n_rejections) * sizeof(*grown));
			s->rejections = grown;
			s->n_rejections = n;
		}
		s->rejections[ordinal] = sqlite3_last_insert_rowid(im->db.db);
	}
	if (pid && kind == LT_REJECT_UNHANDLED) {
		if (!s->prom[pid].inserted)
			write_promise(im, s, pid, ts);
		st = im->db.st[ST_PROMISE_REJECTED];
		sqlite3_bind_int64(st, 1, (int64_t)(s->promise_base + pid));
		lt_import_db_run(&im->db, ST_PROMISE_REJECTED);
	}
}

void lt_on_reject_detail(struct lt_importer *im, struct lt_stream *s, const uint32_t *r)
{
	uint32_t ordinal = r[1];
	if (ordinal >= s->n_rejections || !s->rejections[ordinal])
		return;
	struct lt_text text = lt_string_of(s, r[2]);
	sqlite3_stmt *st = im->db.st[ST_REJECTION_DETAIL];
	sqlite3_bind_text(st, 1, text.s, (int)text.n, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->rejections[ordinal]);
	lt_import_db_run(&im->db, ST_REJECTION_DETAIL);
}

void lt_promises_finish(struct lt_importer *im, struct lt_stream *s)
{
	for (uint32_t id = 1; id < s->n_prom; id++)
		if (s->prom[id].created_ns && !s->prom[id].inserted)
			write_promise(im, s, id, 0);
}
