/*
 * graph_timeline.c — the timeline view (graph.h): dispatches as boxes on a
 * time axis, a lane per process, thread and queue; and, for a trace too
 * long to draw whole, the window it shows.
 */
#include "graph.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../analyzer/marks.h"
#include "graph_dot.h"

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
	lt_dot_set(g, "label", title);
	lt_dot_set(g, "labelloc", "t");
	lt_dot_set(g, "fontname", "Helvetica");

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
			lt_dot_set(l, "label", label);
			lt_dot_set(l, "pos", pos);
			lt_dot_set(l, "shape", "plaintext");
			lt_dot_set(l, "style", "");
			lt_dot_set(l, "width", "1.6");
			lt_dot_set(l, "fontsize", "10");
			st->clusters++; /* lanes, for the summary */
		}
		int64_t b = sqlite3_column_int64(s, 5), e = sqlite3_column_int64(s, 6);
		double ms = (double)(e - b) / 1e6;
		double w = (double)(e - b) * scale;
		if (w < 2)
			w = 2;
		char name[32], pos[64], width[32], tip[LT_DOT_LABEL_BYTES] = "";
		snprintf(name, sizeof(name), "d%lld", (long long)sqlite3_column_int64(s, 0));
		snprintf(pos, sizeof(pos), "%.2f,%.1f!", (double)(b - t0) * scale + w / 2, -LANE_HEIGHT * k);
		snprintf(width, sizeof(width), "%.4f", w / 72.0);
		snprintf(tip, sizeof(tip), "#%lld %s ", (long long)sqlite3_column_int64(s, 0), queue);
		lt_dot_label_add(tip, sizeof(tip), (const char *)sqlite3_column_text(s, 4));
		lt_dot_label_raw(tip, sizeof(tip), " ");
		lt_dot_label_add(tip, sizeof(tip), (const char *)sqlite3_column_text(s, 7));
		char dur[48];
		snprintf(dur, sizeof(dur), " %.3f ms, %d output", ms, sqlite3_column_int(s, 8));
		lt_dot_label_raw(tip, sizeof(tip), dur);
		Agnode_t *n = agnode(g, name, 1);
		lt_dot_set(n, "pos", pos);
		lt_dot_set(n, "width", width);
		lt_dot_set(n, "height", "0.35");
		lt_dot_set(n, "tooltip", tip);
		lt_dot_set(n, "fillcolor", ms >= block_ms ? "#e63946" : lt_dot_colour_of(queue));
		if (ms >= block_ms) {
			char label[64];
			snprintf(label, sizeof(label), "%.0f ms", ms);
			lt_dot_set(n, "label", label);
		}
		const struct lt_mark *mk = lt_marks_find(&marks, sqlite3_column_int64(s, 0));
		if (mk) {
			char note[96];
			if (mk->rejection)
				snprintf(note, sizeof(note), "; %s", mk->rejection);
			else
				snprintf(note, sizeof(note), "; late by %.1f ms", mk->late_ms);
			lt_dot_label_raw(tip, sizeof(tip), note);
			lt_dot_set(n, "tooltip", tip);
			lt_dot_set(n, "color", mk->rejection ? "#7b2cbf" : "#f4a261");
			lt_dot_set(n, "penwidth", "3");
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
