/*
 * graph.c — the execution-order graph (libcgraph) and its rendering (libgvc).
 */
#include "graph.h"

#include <errno.h>
#include <gvc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/locations.h"
#include "../analyzer/marks.h"
#include "../analyzer/queue.h"
#include "graph_fold.h"
#include "text.h"

#define LABEL_BYTES 2048
#define FOLD_GENERATIONS 4 /* how far up a repeating chain is looked for */
#define OUTPUT_LINES 4

static const struct {
	const char *queue, *colour;
} palette[] = {
	{"main", "#e0e0e0"},      {"nextTick", "#ffd6a5"}, {"microtask", "#fdffb6"},
	{"timer", "#caffbf"},     {"immediate", "#9bf6ff"}, {"io", "#a0c4ff"},
	{"close", "#bdb2ff"},     {"exit", "#ffc6ff"},
};

static const char *colour_of(const char *queue)
{
	for (size_t i = 0; i < sizeof(palette) / sizeof(palette[0]); i++)
		if (!strcmp(palette[i].queue, queue))
			return palette[i].colour;
	return "#ffffff";
}

/* Append program-controlled text to a Graphviz label: backslashes doubled
 * (Graphviz expands \N, \G, \l...), control characters and bytes that are
 * not well-formed UTF-8 as \xNN. */
static void label_append(char *buf, size_t cap, const char *s, size_t n)
{
	size_t used = strlen(buf);
	for (size_t i = 0; i < n && used + 8 < cap;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = lt_utf8_len((const unsigned char *)s + i, n - i);
		if (c == '\\') {
			buf[used++] = '\\';
			buf[used++] = '\\';
			i++;
		} else if (c < 0x20 || c == 0x7f || len == 0) {
			used += (size_t)snprintf(buf + used, cap - used, "\\\\x%02x", c);
			i++;
		} else {
			memcpy(buf + used, s + i, len);
			used += len;
			i += len;
		}
	}
	buf[used] = '\0';
}

static void label_add(char *buf, size_t cap, const char *s) { label_append(buf, cap, s, strlen(s)); }

/* Append our own label markup (Graphviz escapes such as \n) as is. */
static void label_raw(char *buf, size_t cap, const char *s)
{
	size_t used = strlen(buf);
	snprintf(buf + used, cap - used, "%s", s);
}

/* The last path component, for short labels. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static void set(void *obj, const char *name, const char *value)
{
	agsafeset(obj, (char *)name, (char *)value, "");
}

static const char order_sql[] =
	"SELECT d.seq, d.pid, d.iteration, d.phase, d.queue, d.type, COALESCE(r.callback, ''),"
	" u.function, u.file, u.line,"
	" COALESCE(r.stack_id, p.stack_id) IS NOT COALESCE(r.site_stack_id, p.site_stack_id),"
	" (SELECT group_concat(o.text, '') FROM output o WHERE o.dispatch_seq = d.seq),"
	" d.trigger_seq, d.depth"
	" FROM dispatches d"
	" LEFT JOIN resources r ON r.id = d.resource_id"
	" LEFT JOIN promises p ON p.id = d.promise_id"
	" LEFT JOIN temp.user_frame u ON u.stack_id = COALESCE(r.site_stack_id, p.site_stack_id)"
	" WHERE d.seq >= ? AND d.seq <= ? ORDER BY d.seq";

struct builder {
	Agraph_t *g, *cluster;
	char cluster_key[128];
	Agnode_t *last;          /* last node placed, for the ordering edges */
	Agnode_t *lane_head[LT_QUEUE_COUNT + 1]; /* a title per queue used, last: other */
	Agnode_t *run;           /* a collapsible run in progress */
	char run_key[4600];
	char run_head[LABEL_BYTES];
	int64_t run_count;
	struct lt_graph_stats *st;
};

static void cluster_key(char *key, size_t cap, int64_t pid, int64_t iteration, const char *phase)
{
	snprintf(key, cap, "cluster_%lld_%lld_%s", (long long)pid, (long long)iteration, phase);
}

static Agraph_t *cluster_for(struct builder *b, int64_t pid, int64_t iteration, const char *phase)
{
	char key[128];
	cluster_key(key, sizeof(key), pid, iteration, phase);
	if (b->cluster && !strcmp(key, b->cluster_key))
		return b->cluster;
	snprintf(b->cluster_key, sizeof(b->cluster_key), "%s", key);
	b->cluster = agsubg(b->g, key, 1);
	char label[128];
	if (!strcmp(phase, "main") || !strcmp(phase, "exit"))
		snprintf(label, sizeof(label), "pid %lld: %s", (long long)pid, phase);
	else
		snprintf(label, sizeof(label), "pid %lld: iteration %lld, %s phase", (long long)pid,
			 (long long)iteration, phase);
	set(b->cluster, "label", label);
	set(b->cluster, "style", "rounded");
	set(b->cluster, "labeljust", "l");
	b->st->clusters++;
	b->run = NULL;
	return b->cluster;
}

/* Lanes: a title node per queue on the top rank, and every dispatch in the
 * group of its queue, which dot keeps in one column as far as the order
 * allows; an invisible edge from the title pulls the queue's first dispatch
 * under it. */
static int queue_index(const char *queue)
{
	for (int q = 0; q < LT_QUEUE_COUNT; q++)
		if (!strcmp(queue, lt_queue_name((enum lt_queue)q)))
			return q;
	return LT_QUEUE_COUNT;
}

static void lane_place(struct builder *b, Agnode_t *n, const char *queue)
{
	int q = queue_index(queue);
	const char *name = q < LT_QUEUE_COUNT ? lt_queue_name((enum lt_queue)q) : "other";
	set(n, "group", name);
	if (!b->lane_head[q]) {
		char id[32];
		snprintf(id, sizeof(id), "lane_%s", name);
		Agnode_t *h = agnode(b->g, id, 1);
		set(h, "label", name);
		set(h, "shape", "plaintext");
		set(h, "style", "");
		set(h, "fontcolor", "#555555");
		set(h, "group", name);
		b->lane_head[q] = h;
		b->st->lanes++;
		Agedge_t *e = agedge(b->g, h, n, NULL, 1);
		set(e, "style", "invis");
		set(e, "weight", "5");
	}
}

/* The titles on one rank, left to right in queue order. */
static void lane_titles(struct builder *b)
{
	Agraph_t *row = agsubg(b->g, "lanes", 1);
	set(row, "rank", "min");
	Agnode_t *prev = NULL;
	for (int q = 0; q <= LT_QUEUE_COUNT; q++) {
		if (!b->lane_head[q])
			continue;
		agsubnode(row, b->lane_head[q], 1);
		if (prev) {
			Agedge_t *e = agedge(b->g, prev, b->lane_head[q], NULL, 1);
			set(e, "style", "invis");
		}
		prev = b->lane_head[q];
	}
}

static void order_edge(struct builder *b, Agnode_t *n)
{
	if (b->last) {
		Agedge_t *e = agedge(b->g, b->last, n, NULL, 1);
		set(e, "style", "invis");
		set(e, "weight", "10");
	}
	b->last = n;
}

Agraph_t *lt_graph_order(sqlite3 *db, const struct lt_graph_opts *o, struct lt_graph_stats *st,
			 char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	sqlite3_stmt *s;
	if (lt_locations_prepare(db) != 0 || sqlite3_prepare_v2(db, order_sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_bind_int64(s, 1, o->from_seq > 0 ? o->from_seq : 0);
	sqlite3_bind_int64(s, 2, o->to_seq > 0 ? o->to_seq : INT64_MAX);

	struct builder b = {.st = st};
	agseterr(AGMAX); /* Graphviz's own messages would break our one-line contract */
	b.g = agopen("order", Agdirected, NULL);
	set(b.g, "rankdir", "TB");
	set(b.g, "newrank", "true"); /* ranks across clusters: the lane titles' row */
	set(b.g, "nodesep", "0.3");
	set(b.g, "ranksep", "0.25");
	agattr(b.g, AGNODE, "shape", "box");
	agattr(b.g, AGNODE, "style", "rounded,filled");
	agattr(b.g, AGNODE, "fontname", "Helvetica");
	agattr(b.g, AGNODE, "fontsize", "10");
	agattr(b.g, AGRAPH, "fontname", "Helvetica");

	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0);
		const char *queue = (const char *)sqlite3_column_text(s, 4);
		const char *type = (const char *)sqlite3_column_text(s, 5);
		const char *callback = (const char *)sqlite3_column_text(s, 6);
		const char *function = (const char *)sqlite3_column_text(s, 7);
		const char *file = (const char *)sqlite3_column_text(s, 8);
		int inherited = sqlite3_column_int(s, 10);
		const char *out = (const char *)sqlite3_column_text(s, 11);
		queue = queue ? queue : "";
		type = type ? type : "";
		int silent = !out || !*out;
		if (!o->show_all && silent && (!file || inherited) && strcmp(queue, "main") && strcmp(queue, "exit"))
			continue; /* Node's housekeeping, as in replay */
		if (sqlite3_column_int64(s, 13) > 1 && silent && !o->show_all)
			continue; /* silent nested dispatches add nothing to the order */

		/* Past the bound only a run in progress can grow: no new clusters
		 * (a cluster per left-out dispatch made 100k traces take 16 s). */
		if (st->nodes >= o->max_nodes) {
			char ck[128];
			cluster_key(ck, sizeof(ck), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
				    (const char *)sqlite3_column_text(s, 3));
			if (!(silent && b.run && !strcmp(ck, b.cluster_key))) {
				st->omitted++;
				continue;
			}
		}
		Agraph_t *c = cluster_for(&b, sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
					  (const char *)sqlite3_column_text(s, 3));
		char key[4600];
		snprintf(key, sizeof(key), "%s|%s|%s|%s|%lld", queue, type, callback ? callback : "",
			 file ? file : "", (long long)sqlite3_column_int64(s, 9));
		if (silent && b.run && !strcmp(key, b.run_key)) {
			char label[LABEL_BYTES + 32];
			b.run_count++;
			snprintf(label, sizeof(label), "%.*s\\n×%lld", LABEL_BYTES - 1, b.run_head,
				 (long long)b.run_count);
			set(b.run, "label", label);
			st->collapsed++;
			continue;
		}
		if (st->nodes >= o->max_nodes) {
			st->omitted++;
			continue;
		}
		char name[32], head[LABEL_BYTES] = "", label[LABEL_BYTES] = "";
		snprintf(name, sizeof(name), "d%lld", (long long)seq);
		Agnode_t *n = agnode(c, name, 1);
		snprintf(head, sizeof(head), "#%lld %s · %s", (long long)seq, queue, type);
		if ((callback && *callback) || (function && *function) || file) {
			label_raw(head, sizeof(head), "\\n");
			label_add(head, sizeof(head), callback && *callback ? callback : function ? function : "");
			if (file) {
				char where[64];
				snprintf(where, sizeof(where), ":%lld", (long long)sqlite3_column_int64(s, 9));
				label_add(head, sizeof(head), " ");
				label_add(head, sizeof(head), base_name(file));
				label_add(head, sizeof(head), where);
			}
		}
		snprintf(label, sizeof(label), "%s", head);
		if (!silent) {
			/* the output, a few lines, each as `> text` */
			const char *p = out;
			for (int k = 0; *p && k < OUTPUT_LINES; k++) {
				const char *nl = strchr(p, '\n');
				size_t len = nl ? (size_t)(nl - p) : strlen(p);
				label_raw(label, sizeof(label), "\\n> ");
				label_append(label, sizeof(label), p, len > 60 ? 60 : len);
				p += len + (nl ? 1 : 0);
			}
			if (*p)
				label_raw(label, sizeof(label), "\\n> …");
		}
		set(n, "label", label);
		set(n, "fillcolor", colour_of(queue));
		set(n, "tooltip", head);
		st->nodes++;
		lane_place(&b, n, queue);
		order_edge(&b, n);
		b.run = silent ? n : NULL;
		b.run_count = 1;
		snprintf(b.run_key, sizeof(b.run_key), "%s", key);
		snprintf(b.run_head, sizeof(b.run_head), "%s", head);

		/* enqueue -> dispatch, when the scheduling dispatch is drawn */
		if (sqlite3_column_type(s, 12) != SQLITE_NULL) {
			char from[32];
			snprintf(from, sizeof(from), "d%lld", (long long)sqlite3_column_int64(s, 12));
			Agnode_t *t = agnode(b.g, from, 0);
			if (t && t != n) {
				Agedge_t *e = agedge(b.g, t, n, NULL, 1);
				set(e, "style", "dashed");
				set(e, "color", "#888888");
				set(e, "constraint", "false");
				st->edges++;
			}
		}
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
		agclose(b.g);
		return NULL;
	}
	if (st->omitted) {
		char note[128];
		snprintf(note, sizeof(note), "… %lld more dispatches not drawn (narrow with --from/--to)",
			 (long long)st->omitted);
		Agnode_t *n = agnode(b.g, "omitted", 1);
		set(n, "label", note);
		set(n, "shape", "note");
		set(n, "style", "");
		order_edge(&b, n);
	}
	lane_titles(&b);
	return b.g;
}

/* --- timeline --- */

#define LANE_HEIGHT 36.0   /* points */
#define TIMELINE_WIDTH 1400.0
#define LANE_LABEL_X -90.0

static const char timeline_sql[] =
	"SELECT d.seq, d.pid, d.tid, d.queue, d.type, d.begin_ns, d.end_ns, COALESCE(r.callback, ''),"
	" (SELECT count(*) FROM output o WHERE o.dispatch_seq = d.seq)"
	" FROM dispatches d LEFT JOIN resources r ON r.id = d.resource_id"
	" WHERE d.depth = 1 AND d.seq >= ? AND d.seq <= ? ORDER BY d.seq";

struct lane {
	int64_t pid, tid;
	char queue[16];
};

/* The window a long trace's timeline shows when none is asked for: the
 * busiest loop iteration of any JS thread (the worst lag: nothing else ran
 * on that loop meanwhile) and as many top-level dispatches on both sides as
 * keep the drawing within max_nodes.  Dispatch numbers follow time (the
 * import merges streams by time), so an iteration's dispatches are found by
 * bisecting seq on begin_ns, never by scanning the dispatches. */
struct window_pick {
	int auto_picked;          /* the trace was too long: a window was chosen */
	int64_t lo, hi;           /* dispatch numbers drawn */
	int64_t run_t0, run_t1;   /* the whole run (threads' start and end) */
	int64_t worst_pid, worst_iteration;
	double worst_ms;          /* busy time of that iteration (or longest dispatch) */
};

static int one_int64(sqlite3 *db, const char *sql, int64_t a, int64_t b, int64_t *out)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	int k = sqlite3_bind_parameter_count(s);
	if (k >= 1)
		sqlite3_bind_int64(s, 1, a);
	if (k >= 2)
		sqlite3_bind_int64(s, 2, b);
	int step = sqlite3_step(s), found = step == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL;
	if (found)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return step == SQLITE_ROW || step == SQLITE_DONE ? (found ? 0 : -ENOENT) : -EIO;
}

/* The first dispatch number whose dispatch begins at or after ns. */
static int seq_at(sqlite3 *db, int64_t ns, int64_t lo, int64_t hi, int64_t *out)
{
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2, b;
		int rc = one_int64(db, "SELECT begin_ns FROM dispatches WHERE seq >= ? ORDER BY seq LIMIT 1", mid, 0, &b);
		if (rc == -ENOENT)
			break;
		if (rc != 0)
			return rc;
		if (b < ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	*out = lo;
	return 0;
}

static int pick_window(sqlite3 *db, const struct lt_graph_opts *o, struct window_pick *w)
{
	memset(w, 0, sizeof(*w));
	w->lo = o->from_seq > 0 ? o->from_seq : 0;
	w->hi = o->to_seq > 0 ? o->to_seq : INT64_MAX;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT min(start_ns), max(end_ns) FROM threads", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		w->run_t0 = sqlite3_column_int64(s, 0);
		w->run_t1 = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	int64_t beyond;
	if (o->from_seq > 0 || o->to_seq > 0)
		return 0;
	int rc = one_int64(db, "SELECT seq FROM dispatches WHERE depth = 1 ORDER BY seq LIMIT 1 OFFSET ?",
			   o->max_nodes, 0, &beyond);
	if (rc == -ENOENT)
		return 0; /* everything fits */
	if (rc != 0)
		return rc;
	int64_t first = 0, last = 0;
	if (one_int64(db, "SELECT min(seq) FROM dispatches", 0, 0, &first) != 0 ||
	    one_int64(db, "SELECT max(seq) FROM dispatches", 0, 0, &last) != 0)
		return -EIO;
	/* the busiest iteration of a JS thread */
	int64_t b = 0, e = 0, lo, hi;
	if (sqlite3_prepare_v2(db,
			       "SELECT i.pid, i.n, i.begin_ns, i.end_ns,"
			       " i.end_ns - i.begin_ns - COALESCE(i.poll_end_ns - i.poll_begin_ns, 0) AS busy"
			       " FROM iterations i JOIN threads t ON t.pid = i.pid AND t.tid = i.tid"
			       " WHERE t.js_thread_id IS NOT NULL ORDER BY busy DESC LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		w->worst_pid = sqlite3_column_int64(s, 0);
		w->worst_iteration = sqlite3_column_int64(s, 1);
		b = sqlite3_column_int64(s, 2);
		e = sqlite3_column_int64(s, 3);
		w->worst_ms = (double)sqlite3_column_int64(s, 4) / 1e6;
	}
	sqlite3_finalize(s);
	if (w->worst_ms > 0) {
		if (seq_at(db, b, first, last + 1, &lo) != 0 || seq_at(db, e, lo, last + 1, &hi) != 0)
			return -EIO;
		hi = hi > lo ? hi - 1 : lo;
	} else { /* no loop iterations recorded: the longest top-level dispatch */
		if (sqlite3_prepare_v2(db,
				       "SELECT seq, pid, end_ns - begin_ns FROM dispatches WHERE depth = 1"
				       " ORDER BY end_ns - begin_ns DESC LIMIT 1",
				       -1, &s, NULL) != SQLITE_OK)
			return -EIO;
		lo = hi = first;
		if (sqlite3_step(s) == SQLITE_ROW) {
			lo = hi = sqlite3_column_int64(s, 0);
			w->worst_pid = sqlite3_column_int64(s, 1);
			w->worst_ms = (double)sqlite3_column_int64(s, 2) / 1e6;
		}
		sqlite3_finalize(s);
		w->worst_iteration = -1;
	}
	/* too many top-level dispatches in it to draw: its longest one */
	int64_t inside = 0;
	if (one_int64(db,
		      "SELECT count(*) FROM (SELECT 1 FROM dispatches WHERE depth = 1 AND seq BETWEEN ?1 AND ?2"
		      " LIMIT 100000)",
		      lo, hi, &inside) != 0)
		return -EIO;
	if (inside > o->max_nodes) {
		int64_t longest;
		if (one_int64(db,
			      "SELECT seq FROM dispatches WHERE depth = 1 AND seq BETWEEN ?1 AND ?2"
			      " ORDER BY end_ns - begin_ns DESC LIMIT 1",
			      lo, hi, &longest) != 0)
			return -EIO;
		lo = hi = longest;
		inside = 1;
	}
	/* then half of what is left on each side */
	int64_t spare = o->max_nodes > inside ? o->max_nodes - inside : 0;
	int64_t before = spare / 2;
	int64_t from = first, to = last;
	if (before > 0 &&
	    one_int64(db, "SELECT seq FROM dispatches WHERE depth = 1 AND seq < ? ORDER BY seq DESC LIMIT 1 OFFSET ?",
		      lo, before - 1, &from) == -EIO)
		return -EIO;
	if (before == 0)
		from = lo;
	int64_t got_before = 0;
	if (one_int64(db, "SELECT count(*) FROM dispatches WHERE depth = 1 AND seq >= ? AND seq < ?", from, lo,
		      &got_before) != 0)
		return -EIO;
	int64_t after = spare - got_before;
	if (after > 0) {
		if (one_int64(db, "SELECT seq FROM dispatches WHERE depth = 1 AND seq > ? ORDER BY seq LIMIT 1 OFFSET ?",
			      hi, after - 1, &to) == -EIO)
			return -EIO;
	} else {
		to = hi;
	}
	w->lo = from;
	w->hi = to;
	w->auto_picked = 1;
	return 0;
}

Agraph_t *lt_graph_timeline(sqlite3 *db, const struct lt_graph_opts *o, double block_ms,
			    struct lt_graph_stats *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	sqlite3_stmt *s;
	struct window_pick pick;
	if (pick_window(db, o, &pick) != 0)
		goto fail;
	int64_t lo = pick.lo, hi = pick.hi;
	int64_t t0 = 0, t1 = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT min(begin_ns), max(end_ns) FROM dispatches WHERE depth = 1 AND seq >= ? AND seq <= ?",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	if (sqlite3_step(s) == SQLITE_ROW) {
		t0 = sqlite3_column_int64(s, 0);
		t1 = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, timeline_sql, -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	double span = t1 > t0 ? (double)(t1 - t0) : 1.0;
	double scale = TIMELINE_WIDTH / span; /* points per ns */

	agseterr(AGMAX);
	Agraph_t *g = agopen("timeline", Agdirected, NULL);
	agattr(g, AGNODE, "shape", "box");
	agattr(g, AGNODE, "style", "filled");
	agattr(g, AGNODE, "fixedsize", "true");
	agattr(g, AGNODE, "fontname", "Helvetica");
	agattr(g, AGNODE, "fontsize", "8");
	agattr(g, AGNODE, "label", "");
	struct lt_marks marks;
	if (lt_marks_load(db, LT_LATE_TIMER_MS, &marks) != 0) {
		sqlite3_finalize(s);
		goto fail;
	}
	char title[512], which[256];
	double run_s = (double)(pick.run_t1 - pick.run_t0) / 1e9;
	double from_s = (double)(t0 - pick.run_t0) / 1e9, to_s = (double)(t1 - pick.run_t0) / 1e9;
	if (pick.auto_picked && pick.worst_iteration >= 0)
		snprintf(which, sizeof(which),
			 "%.2f s\u2013%.2f s of a %.1f s run, around the worst lag (pid %lld, iteration %lld, "
			 "%.0f ms busy); dispatches #%lld\u2013#%lld, --from/--to choose others",
			 from_s, to_s, run_s, (long long)pick.worst_pid, (long long)pick.worst_iteration,
			 pick.worst_ms, (long long)lo, (long long)hi);
	else if (pick.auto_picked)
		snprintf(which, sizeof(which),
			 "%.2f s\u2013%.2f s of a %.1f s run, around the longest dispatch (pid %lld, %.0f ms); "
			 "dispatches #%lld\u2013#%lld, --from/--to choose others",
			 from_s, to_s, run_s, (long long)pick.worst_pid, pick.worst_ms, (long long)lo, (long long)hi);
	else if (o->from_seq > 0 || o->to_seq > 0)
		snprintf(which, sizeof(which), "%.2f s\u2013%.2f s of a %.1f s run (--from/--to)", from_s, to_s,
			 run_s);
	else
		snprintf(which, sizeof(which), "the whole %.1f s run", run_s);
	snprintf(title, sizeof(title),
		 "%s; red: longer than %.0f ms; orange outline: timer late by %.0f ms or more; purple outline: "
		 "rejection or uncaught exception",
		 which, block_ms, LT_LATE_TIMER_MS);
	set(g, "label", title);
	set(g, "labelloc", "t");
	set(g, "fontname", "Helvetica");

	struct lane lanes[64];
	int n_lanes = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (st->nodes >= o->max_nodes) {
			st->omitted++;
			continue;
		}
		int64_t pid = sqlite3_column_int64(s, 1), tid = sqlite3_column_int64(s, 2);
		const char *queue = (const char *)sqlite3_column_text(s, 3);
		queue = queue ? queue : "";
		int k = 0;
		while (k < n_lanes && !(lanes[k].pid == pid && lanes[k].tid == tid && !strcmp(lanes[k].queue, queue)))
			k++;
		if (k == n_lanes) {
			if (n_lanes == 64) {
				st->omitted++;
				continue;
			}
			lanes[k].pid = pid;
			lanes[k].tid = tid;
			snprintf(lanes[k].queue, sizeof(lanes[k].queue), "%s", queue);
			n_lanes++;
			char name[64], label[96], pos[64];
			snprintf(name, sizeof(name), "lane%d", k);
			snprintf(label, sizeof(label), "%lld/%lld %s", (long long)pid, (long long)tid, queue);
			snprintf(pos, sizeof(pos), "%.1f,%.1f!", LANE_LABEL_X, -LANE_HEIGHT * k);
			Agnode_t *l = agnode(g, name, 1);
			set(l, "label", label);
			set(l, "pos", pos);
			set(l, "shape", "plaintext");
			set(l, "style", "");
			set(l, "width", "1.6");
			set(l, "fontsize", "10");
			st->clusters++; /* lanes, for the summary */
		}
		int64_t b = sqlite3_column_int64(s, 5), e = sqlite3_column_int64(s, 6);
		double ms = (double)(e - b) / 1e6;
		double w = (double)(e - b) * scale;
		if (w < 2)
			w = 2;
		char name[32], pos[64], width[32], tip[LABEL_BYTES] = "";
		snprintf(name, sizeof(name), "d%lld", (long long)sqlite3_column_int64(s, 0));
		snprintf(pos, sizeof(pos), "%.2f,%.1f!", (double)(b - t0) * scale + w / 2, -LANE_HEIGHT * k);
		snprintf(width, sizeof(width), "%.4f", w / 72.0);
		snprintf(tip, sizeof(tip), "#%lld %s ", (long long)sqlite3_column_int64(s, 0), queue);
		label_add(tip, sizeof(tip), (const char *)sqlite3_column_text(s, 4));
		label_raw(tip, sizeof(tip), " ");
		label_add(tip, sizeof(tip), (const char *)sqlite3_column_text(s, 7));
		char dur[48];
		snprintf(dur, sizeof(dur), " %.3f ms, %d output", ms, sqlite3_column_int(s, 8));
		label_raw(tip, sizeof(tip), dur);
		Agnode_t *n = agnode(g, name, 1);
		set(n, "pos", pos);
		set(n, "width", width);
		set(n, "height", "0.35");
		set(n, "tooltip", tip);
		set(n, "fillcolor", ms >= block_ms ? "#e63946" : colour_of(queue));
		if (ms >= block_ms) {
			char label[64];
			snprintf(label, sizeof(label), "%.0f ms", ms);
			set(n, "label", label);
		}
		const struct lt_mark *mk = lt_marks_find(&marks, sqlite3_column_int64(s, 0));
		if (mk) {
			char note[96];
			if (mk->rejection)
				snprintf(note, sizeof(note), "; %s", mk->rejection);
			else
				snprintf(note, sizeof(note), "; late by %.1f ms", mk->late_ms);
			label_raw(tip, sizeof(tip), note);
			set(n, "tooltip", tip);
			set(n, "color", mk->rejection ? "#7b2cbf" : "#f4a261");
			set(n, "penwidth", "3");
		}
		st->nodes++;
	}
	sqlite3_finalize(s);
	lt_marks_free(&marks);
	if (step != SQLITE_DONE) {
		agclose(g);
		goto fail;
	}
	return g;
fail:
	snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
	return NULL;
}

/* --- causality --- */

static const char causality_sql[] =
	"WITH drained AS (SELECT DISTINCT pid FROM dispatches WHERE queue = 'exit' AND type = 'beforeExit')"
	" SELECT 'r', r.id, r.type, r.trigger_id, COALESCE(r.callback, ''), u.file, u.line,"
	"  r.destroyed_ns IS NULL AND r.ref = 1 AND r.pid NOT IN (SELECT pid FROM drained)"
	"   AND r.type IN ('TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'UDPWRAP',"
	"   'PROCESSWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'SIGNALWRAP', 'WORKER'), 0, r.created_seq"
	" FROM resources r LEFT JOIN temp.user_frame u ON u.stack_id = r.site_stack_id"
	" WHERE r.created_seq >= ?1 AND r.created_seq <= ?2"
	" UNION ALL SELECT 'p', p.id, p.state, p.parent_id, '', u.file, u.line, 0,"
	"  EXISTS (SELECT 1 FROM rejections j WHERE j.promise_id = p.id AND j.kind = 'unhandled'),"
	"  p.created_seq"
	" FROM promises p LEFT JOIN temp.user_frame u ON u.stack_id = p.site_stack_id"
	" WHERE p.created_seq >= ?1 AND p.created_seq <= ?2"
	" ORDER BY 10, 1, 2";

Agraph_t *lt_graph_causality(sqlite3 *db, const struct lt_graph_opts *o, struct lt_graph_stats *st,
			     char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	sqlite3_stmt *s;
	if (lt_locations_prepare(db) != 0 || sqlite3_prepare_v2(db, causality_sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
		return NULL;
	}
	sqlite3_bind_int64(s, 1, o->from_seq > 0 ? o->from_seq : 0);
	sqlite3_bind_int64(s, 2, o->to_seq > 0 ? o->to_seq : INT64_MAX);
	agseterr(AGMAX);
	Agraph_t *g = agopen("causality", Agdirected, NULL);
	set(g, "rankdir", "LR");
	agattr(g, AGNODE, "shape", "box");
	agattr(g, AGNODE, "style", "rounded,filled");
	agattr(g, AGNODE, "fillcolor", "#f4f4f4");
	agattr(g, AGNODE, "fontname", "Helvetica");
	agattr(g, AGNODE, "fontsize", "9");
	struct lt_fold fold = {0};
	int step, oom = 0;
	while (!oom && (step = sqlite3_step(s)) == SQLITE_ROW) {
		int is_promise = ((const char *)sqlite3_column_text(s, 0))[0] == 'p';
		int64_t id = sqlite3_column_int64(s, 1);
		const char *what = (const char *)sqlite3_column_text(s, 2);
		what = what ? what : "";
		/* Node's silent housekeeping resources: not worth a node */
		if (!o->show_all && !is_promise && !strcmp(what, "TickObject") && sqlite3_column_type(s, 5) == SQLITE_NULL)
			continue;
		Agnode_t *from = sqlite3_column_type(s, 3) == SQLITE_NULL
					 ? NULL
					 : lt_fold_node_of(&fold, sqlite3_column_int64(s, 3), is_promise);
		int open_at_end = !is_promise && sqlite3_column_int(s, 7);
		int unhandled = is_promise && sqlite3_column_int(s, 8);
		const char *callback = (const char *)sqlite3_column_text(s, 4);
		const char *file = (const char *)sqlite3_column_text(s, 5);
		/* everything the node says but its id, then the marks */
		char tail[LABEL_BYTES] = "";
		if (callback && *callback) {
			label_raw(tail, sizeof(tail), "\\n");
			label_add(tail, sizeof(tail), callback);
		}
		if (file) {
			char where[64];
			snprintf(where, sizeof(where), ":%lld", (long long)sqlite3_column_int64(s, 6));
			label_raw(tail, sizeof(tail), "\\n");
			label_add(tail, sizeof(tail), base_name(file));
			label_raw(tail, sizeof(tail), where);
		}
		if (is_promise && !strcmp(what, "rejected"))
			label_raw(tail, sizeof(tail), "\\nrejected");
		else if (is_promise && !strcmp(what, "pending"))
			label_raw(tail, sizeof(tail), "\\nnever settled");
		if (unhandled)
			label_raw(tail, sizeof(tail), "\\nunhandled");
		if (open_at_end)
			label_raw(tail, sizeof(tail), "\\nopen at the end");

		/* An item shaped like one a few generations up (a chain that repeats
		 * itself) joins that ancestor; one shaped like an item already drawn
		 * under the same drawn parent joins that item's node. */
		char shape_key[LABEL_BYTES + 32], key[LABEL_BYTES + 64];
		snprintf(shape_key, sizeof(shape_key), "%c|%s|%s", is_promise ? 'p' : 'r', what, tail);
		uint64_t shape = lt_fold_hash(shape_key);
		Agnode_t *join = lt_fold_same_shape(from, shape, FOLD_GENERATIONS);
		if (join && join != from && !agedge(g, from, join, NULL, 0)) {
			Agedge_t *e = agedge(g, from, join, NULL, 1); /* the loop back */
			set(e, "style", "dashed");
			set(e, "label", "repeats");
			st->edges++;
		} else if (join && join == from && !agedge(g, from, from, NULL, 0)) {
			Agedge_t *e = agedge(g, from, from, NULL, 1);
			set(e, "label", "repeats");
			st->edges++;
		}
		if (!join) {
			snprintf(key, sizeof(key), "%s|%p", shape_key, (void *)from);
			struct lt_fold_pattern *pat = lt_fold_pattern(&fold, key);
			if (!pat) {
				oom = 1;
				break;
			}
			join = pat->node;
			if (!join) {
				if (st->nodes >= o->max_nodes) {
					st->omitted++;
					continue;
				}
				char name[32], label[LABEL_BYTES + 64];
				snprintf(name, sizeof(name), "%c%lld", is_promise ? 'p' : 'r', (long long)id);
				Agnode_t *n = agnode(g, name, 1);
				snprintf(label, sizeof(label), "%s %lld%s", is_promise ? "promise" : what, (long long)id,
					 tail);
				if (is_promise) {
					set(n, "shape", "ellipse");
					if (!strcmp(what, "rejected"))
						set(n, "fillcolor", "#ffb3b3");
					else if (!strcmp(what, "pending"))
						set(n, "style", "dashed");
					if (unhandled) {
						set(n, "color", "#d00000");
						set(n, "penwidth", "3");
					}
				} else {
					set(n, "fillcolor",
					    open_at_end ? "#c77dff"
							: colour_of(lt_queue_name(lt_queue_of_type(what, strlen(what)))));
				}
				set(n, "label", label);
				pat->node = n;
				st->nodes++;
				oom = !lt_fold_bind(n, from, shape) || lt_fold_set_node(&fold, id, is_promise, n) != 0;
				if (from && from != n) {
					agedge(g, from, n, NULL, 1);
					st->edges++;
				}
				continue;
			}
		}
		/* folded into `join` */
		struct lt_fold_rec *r = lt_fold_rec(join);
		char label[LABEL_BYTES + 64];
		r->count++;
		snprintf(label, sizeof(label), "%s ×%lld%s", is_promise ? "promise" : what, (long long)r->count, tail);
		set(join, "label", label);
		st->collapsed++;
		oom = lt_fold_set_node(&fold, id, is_promise, join) != 0;
	}
	lt_fold_free(&fold);
	if (oom) {
		sqlite3_finalize(s);
		snprintf(err, errlen, "out of memory");
		agclose(g);
		return NULL;
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "cannot read the trace: %s", sqlite3_errmsg(db));
		agclose(g);
		return NULL;
	}
	if (st->omitted) {
		char note[128];
		snprintf(note, sizeof(note), "… %lld more resources and promises not drawn (narrow with --from/--to)",
			 (long long)st->omitted);
		Agnode_t *n = agnode(g, "omitted", 1);
		set(n, "label", note);
		set(n, "shape", "note");
	}
	return g;
}

/* Under LeakSanitizer (the ASan and fuzz builds): what Graphviz's text
 * layout keeps for the process (fontconfig and pango caches, plugin
 * tables) is not ours and does not grow per graph. */
#if defined(__SANITIZE_ADDRESS__)
#define LT_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LT_UNDER_ASAN 1
#endif
#endif
#ifdef LT_UNDER_ASAN
/* and no statistics of them on stderr: a command's error stays one line */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) { return "print_suppressions=0"; }
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\nleak:libgvc.so\nleak:libgvplugin_pango.so\nleak:libpango\n"
	       "leak:libcairo.so\nleak:libglib-2.0.so\nleak:libgobject-2.0.so\nleak:libharfbuzz.so\n"
	       "leak:libcgraph.so\nleak:libltdl.so\n";
}
#endif

int lt_graph_render(Agraph_t *g, const char *format, char **data, size_t *len)
{
	/* One Graphviz context for the process, never freed: Graphviz 2.42
	 * keeps a text-size cache across contexts that the next context then
	 * reads after gvFreeContext freed it (a use after free on the second
	 * render in one process). */
	static GVC_t *gvc;
	if (!gvc)
		gvc = gvContext();
	if (!gvc)
		return -EIO;
	int rc = -EIO;
	char *out = NULL;
	unsigned int n = 0;
	/* pinned positions: the nop layout keeps them (neato -n) */
	const char *engine = strcmp(agnameof(g), "timeline") == 0 ? "nop" : "dot";
	if (gvLayout(gvc, g, engine) == 0) {
		if (gvRenderData(gvc, g, format, &out, &n) == 0 && out) {
			*data = malloc(n ? n : 1);
			if (*data) {
				memcpy(*data, out, n);
				*len = n;
				rc = 0;
			}
			gvFreeRenderData(out);
		}
		gvFreeLayout(gvc, g);
	}
	return rc;
}
