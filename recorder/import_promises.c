/*
 * import_promises.c — promises and rejections of a stream.
 */
#include "import_promises.h"

#include <string.h>

#include "import_dispatch.h"
#include "import_strings_stacks.h"

static void write_promise(struct lt_importer *im, struct lt_stream *s, uint32_t id,
			  struct lt_promise_info *p, uint64_t settled_ns)
{
	struct lt_import_cell *c = lt_import_row(&im->db, BATCH_PROMISE, (int64_t)(s->promise_base + id));
	lt_cell_int(&c[0], (int64_t)(s->promise_base + id));
	lt_cell_int(&c[1], s->pid);
	lt_cell_int(&c[2], s->tid);
	lt_cell_opt(&c[3], p->parent != 0, (int64_t)(s->promise_base + p->parent));
	lt_cell_int(&c[4], (int64_t)p->created_ns);
	lt_cell_opt(&c[5], p->created_seq != NO_SEQ, p->created_seq);
	lt_cell_opt(&c[6], settled_ns != 0, (int64_t)settled_ns);
	lt_cell_opt(&c[7], settled_ns != 0 && p->settled_seq != NO_SEQ, p->settled_seq);
	lt_cell_text(&c[8], settled_ns ? "settled" : "pending", -1);
	lt_cell_opt(&c[9], p->stack != 0, p->stack);
	lt_cell_opt(&c[10], p->site != 0, p->site);
	p->inserted = 1;
	im->stats->promises++;
}

/* A promise forgotten by the bounded table (LT_IMPORT_GENERATION newer
 * ones went by without it being used): its row is written now, pending if
 * it had not settled (a later settle updates it). */
static void forget_promise(void *ctx, uint64_t id, void *value)
{
	struct lt_stream *s = ctx;
	struct lt_promise_info *p = value;
	if (!p->inserted && p->created_ns)
		write_promise(s->im, s, (uint32_t)id, p, 0);
}

int lt_promises_init(struct lt_stream *s)
{
	lt_id_map_init(&s->prom, sizeof(struct lt_promise_info), LT_IMPORT_GENERATION, forget_promise, s);
	lt_id_map_init(&s->rejections, sizeof(int64_t), 0, NULL, NULL);
	return 0;
}

void lt_promises_free(struct lt_stream *s)
{
	lt_id_map_free(&s->prom);
	lt_id_map_free(&s->rejections);
}

/* A local promise id the stream can name (0 otherwise). */
static uint32_t promise_id(const struct lt_stream *s, uint32_t id)
{
	return id <= s->max_prom ? id : 0;
}

void lt_on_p_init(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = r[1];
	if (id == 0 || id > s->max_prom)
		return;
	uint32_t parent = promise_id(s, r[2]);
	/* the parent first: the put below may move the table's entries */
	const struct lt_promise_info *pp = parent ? lt_id_map_get(&s->prom, parent) : NULL;
	uint32_t parent_site = pp ? pp->site : 0;
	struct lt_promise_info *p = lt_id_map_put(&s->prom, id, NULL);
	if (!p) {
		im->db.failed = 1;
		return;
	}
	memset(p, 0, sizeof(*p));
	p->parent = parent;
	p->created_ns = ts;
	p->created_seq = lt_current_seq(s);
	p->stack = lt_record_aux(r[0]) & 1 ? (uint32_t)lt_stack_of(s, r[4]) : 0;
	/* Promise stacks are sampled: an unsampled promise is placed where its
	 * parent was. */
	p->site = lt_reaches_user_code(im, p->stack) ? p->stack : parent_site;
}

void lt_on_p_settle(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = promise_id(s, r[1]);
	if (!id)
		return;
	struct lt_promise_info *p = lt_id_map_get(&s->prom, id);
	if (p) {
		if (!p->inserted) {
			p->settled_seq = lt_current_seq(s);
			write_promise(im, s, id, p, ts);
		}
		return;
	}
	/* forgotten: its row was written pending */
	lt_import_flush(&im->db, BATCH_PROMISE);
	uint32_t seq = lt_current_seq(s);
	struct lt_import_cell *c = lt_import_op(&im->db, ST_PROMISE_SETTLED);
	lt_cell_int(&c[0], (int64_t)ts);
	lt_cell_opt(&c[1], seq != NO_SEQ, seq);
	lt_cell_int(&c[2], (int64_t)(s->promise_base + id));
}

void lt_on_p_before(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = promise_id(s, r[1]);
	uint32_t trigger = NO_SEQ;
	const struct lt_promise_info *p = id ? lt_id_map_get(&s->prom, id) : NULL;
	if (p) {
		trigger = p->created_seq;
		uint32_t parent = p->parent;
		const struct lt_promise_info *pp = parent ? lt_id_map_get(&s->prom, parent) : NULL;
		if (pp && pp->settled_seq > trigger)
			trigger = pp->settled_seq;
	}
	static const char type[] = "PROMISE";
	lt_open_dispatch(im, s, D_PROMISE, id, LT_QUEUE_MICROTASK, type, sizeof(type) - 1, trigger, ts);
}

void lt_on_p_after(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	lt_close_dispatch(im, s, D_PROMISE, promise_id(s, r[1]), ts);
}

void lt_on_reject(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	static const char *const kinds[] = {"unhandled", "handled-late", "uncaught-exception"};
	unsigned kind = lt_record_aux(r[0]);
	uint32_t pid = promise_id(s, r[1]);
	struct lt_text reason = lt_string_of(s, r[2]);
	uint64_t stack = lt_stack_of(s, r[3]);
	uint32_t seq = lt_current_seq(s);
	struct lt_import_cell *c = lt_import_op(&im->db, ST_REJECTION);
	lt_cell_int(&c[0], s->pid);
	lt_cell_int(&c[1], s->tid);
	lt_cell_text(&c[2], kind < 3 ? kinds[kind] : "unknown", -1);
	lt_cell_opt(&c[3], pid != 0, (int64_t)(s->promise_base + pid));
	if (lt_record_aux(r[0]) == LT_REJECT_HANDLED_LATE)
		lt_cell_null(&c[4]);
	else
		lt_cell_text(&c[4], reason.s, (int)reason.n);
	lt_cell_opt(&c[5], stack != 0, (int64_t)stack);
	lt_cell_int(&c[6], (int64_t)ts);
	lt_cell_opt(&c[7], seq != NO_SEQ, seq);
	/* the writer inserts it later: its rowid is known (max + 1) */
	int64_t rowid = im->db.next_rejection_rowid++;
	uint32_t ordinal = r[6];
	if (ordinal) {
		int64_t *row = lt_id_map_put(&s->rejections, ordinal, NULL);
		if (!row) {
			im->db.failed = 1;
			return;
		}
		*row = rowid;
	}
	if (pid && kind == LT_REJECT_UNHANDLED) {
		struct lt_promise_info *p = lt_id_map_get(&s->prom, pid);
		if (p && !p->inserted) {
			write_promise(im, s, pid, p, ts);
		} else if (!p) {
			/* never seen, or forgotten (written pending): a row for it
			 * unless it has one (INSERT OR IGNORE) */
			struct lt_promise_info none = {0};
			write_promise(im, s, pid, &none, ts);
		}
		lt_import_flush(&im->db, BATCH_PROMISE);
		c = lt_import_op(&im->db, ST_PROMISE_REJECTED);
		lt_cell_int(&c[0], (int64_t)(s->promise_base + pid));
	}
}

void lt_on_reject_detail(struct lt_importer *im, struct lt_stream *s, const uint32_t *r)
{
	const int64_t *row = r[1] ? lt_id_map_get(&s->rejections, r[1]) : NULL;
	if (!row)
		return;
	int64_t rowid = *row;
	struct lt_text text = lt_string_of(s, r[2]);
	struct lt_import_cell *c = lt_import_op(&im->db, ST_REJECTION_DETAIL);
	lt_cell_text(&c[0], text.s, (int)text.n);
	lt_cell_int(&c[1], rowid);
}

struct pending_ctx {
	struct lt_importer *im;
	struct lt_stream *s;
};

static void write_pending(void *ctx, uint64_t id, void *value)
{
	struct pending_ctx *c = ctx;
	struct lt_promise_info *p = value;
	if (p->created_ns && !p->inserted)
		write_promise(c->im, c->s, (uint32_t)id, p, 0);
}

void lt_promises_finish(struct lt_importer *im, struct lt_stream *s)
{
	struct pending_ctx c = {im, s};
	lt_id_map_each(&s->prom, write_pending, &c);
}
