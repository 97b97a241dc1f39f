/*
 * import_tasks.c — async resources of a stream and their callbacks.
 */
#include "import_tasks.h"

#include "import_dispatch.h"
#include "import_strings_stacks.h"
#include "native_frames.h"

int lt_tasks_init(struct lt_stream *s)
{
	lt_id_map_init(&s->res, sizeof(struct lt_resource_info), LT_IMPORT_GENERATION, NULL, NULL);
	return 0;
}

void lt_tasks_free(struct lt_stream *s)
{
	lt_id_map_free(&s->res);
}

/* An LT_R_INIT's resource entered in the stream's map with its type and
 * queue; *trigger_seen / *trigger_site say what is known of the resource
 * that triggered it.  NULL (the import failed) when out of memory. */
static struct lt_resource_info *remember_resource(struct lt_importer *im, struct lt_stream *s, const uint32_t *r,
						  int *trigger_seen, uint32_t *trigger_site)
{
	uint32_t id = r[1], trigger = r[2];
	/* the trigger first: a put below may move the map's entries */
	const struct lt_resource_info *tr = trigger <= s->max_res ? lt_id_map_get(&s->res, trigger) : NULL;
	*trigger_seen = tr != NULL && !tr->no_row;
	*trigger_site = tr ? tr->site : 0;
	struct lt_resource_info *ri = lt_id_map_put(&s->res, id, NULL);
	if (!ri) {
		im->db.failed = 1;
		return NULL;
	}
	struct lt_text type = lt_string_of(s, r[3]);
	ri->type = type.s;
	ri->type_len = type.n;
	ri->queue = (uint8_t)lt_queue_of_type(type.s, type.n);
	return ri;
}

void lt_on_r_init(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = r[1], trigger = r[2];
	int trigger_seen;
	uint32_t trigger_site;
	struct lt_resource_info *ri = remember_resource(im, s, r, &trigger_seen, &trigger_site);
	if (!ri)
		return;
	struct lt_text type = {ri->type, ri->type_len};
	ri->created_seq = lt_current_seq(s);
	ri->site = 0;
	ri->no_row = 0;

	struct lt_text cb = lt_string_of(s, r[8]);
	int32_t delay = (int32_t)r[7];
	uint64_t stack = lt_stack_of(s, r[4]);
	struct lt_import_cell *c = lt_import_op(&im->db, ST_RESOURCE);
	lt_cell_int(&c[0], (int64_t)(s->resource_base + id));
	lt_cell_int(&c[1], s->pid);
	lt_cell_int(&c[2], s->tid);
	lt_cell_int(&c[3], id);
	lt_cell_text(&c[4], type.s, (int)type.n);
	lt_cell_opt(&c[5], trigger_seen, (int64_t)(s->resource_base + trigger));
	lt_cell_int(&c[6], (int64_t)ts);
	lt_cell_opt(&c[7], ri->created_seq != NO_SEQ, ri->created_seq);
	lt_cell_opt(&c[8], stack != 0, (int64_t)stack);
	/* Node schedules some work on the program's behalf (the later steps of
	 * fs.readFile, stream ticks): such a resource is placed where its
	 * trigger was. */
	if (lt_reaches_user_code(im, stack))
		ri->site = (uint32_t)stack;
	else if (trigger_seen)
		ri->site = trigger_site;
	lt_cell_opt(&c[9], ri->site != 0, ri->site);
	char native_cb[256];
	if (cb.n && lt_native_callback_name(&im->native, cb.s, cb.n, native_cb, sizeof(native_cb)) == 0)
		lt_cell_text_copy(&im->db, &c[10], native_cb, -1);
	else if (cb.n)
		lt_cell_text(&c[10], cb.s, (int)cb.n);
	else
		lt_cell_null(&c[10]);
	lt_cell_opt(&c[11], delay >= 0, delay);
	lt_cell_opt(&c[12], delay >= 0, (lt_record_aux(r[0]) & 2) ? 1 : 0);
	lt_cell_int(&c[13], (lt_record_aux(r[0]) & 1) ? 0 : 1);
	im->stats->resources++;
}

void lt_on_r_init_before_window(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	int trigger_seen;
	uint32_t trigger_site;
	struct lt_resource_info *ri = remember_resource(im, s, r, &trigger_seen, &trigger_site);
	if (!ri)
		return;
	/* A service's server socket, made at start-up long before the window:
	 * its row says the process listens (a service whose loop lagged, not
	 * a batch run), and the flight recorder keeps its record for that. */
	if (lt_type_listens(ri->type, ri->type_len)) {
		lt_on_r_init(im, s, r, ts);
		return;
	}
	ri->created_seq = NO_SEQ;
	uint64_t stack = lt_stack_of(s, r[4]);
	ri->site = lt_reaches_user_code(im, stack) ? (uint32_t)stack : trigger_site;
	ri->no_row = 1;
}

/* The resource of async id `id`, NULL when unknown (or forgotten). */
static const struct lt_resource_info *resource(struct lt_stream *s, uint32_t id)
{
	return id <= s->max_res ? lt_id_map_get(&s->res, id) : NULL;
}

void lt_on_r_before(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = r[1];
	static const char unknown[] = "unknown";
	static const struct lt_resource_info none = {.queue = LT_QUEUE_IO, .type = unknown,
						     .type_len = sizeof(unknown) - 1};
	const struct lt_resource_info *ri = resource(s, id);
	if (!ri)
		ri = &none;
	enum lt_queue q = (lt_record_aux(r[0]) & 1) ? LT_QUEUE_CLOSE : (enum lt_queue)ri->queue;
	lt_open_dispatch(im, s, D_RESOURCE, id, q, ri->type, ri->type_len, ri->created_seq, ts);
}

void lt_on_r_after(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	lt_close_dispatch(im, s, D_RESOURCE, r[1], ts);
}

void lt_on_r_update(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	uint32_t id = r[1];
	const struct lt_resource_info *ri = resource(s, id);
	if (!ri)
		return;
	int destroy = lt_record_kind(r[0]) == LT_R_DESTROY;
	if (destroy && ri->queue != LT_QUEUE_TIMER && ri->queue != LT_QUEUE_IMMEDIATE &&
	    ri->queue != LT_QUEUE_IO)
		return; /* ticks and microtasks die right after running: no row update */
	/* A timer's or immediate's "destroy" is a clearTimeout/clearInterval/
	 * clearImmediate (or close()) on it while it was live. */
	int cleared = destroy && (ri->queue == LT_QUEUE_TIMER || ri->queue == LT_QUEUE_IMMEDIATE);
	enum lt_import_stmt which = cleared ? ST_RESOURCE_CLEAR : destroy ? ST_RESOURCE_DESTROY : ST_RESOURCE_REF;
	struct lt_import_cell *c = lt_import_op(&im->db, which);
	lt_cell_int(&c[0], destroy ? (int64_t)ts : (int64_t)lt_record_aux(r[0]));
	lt_cell_int(&c[1], (int64_t)(s->resource_base + id));
}
