/*
 * html_charts.c — inline SVG charts for the HTML report.
 */
#include "html_charts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/marks.h"
#include "../analyzer/queue.h"
#include "html.h"

/* --- lag histogram --- */

#define HIST_BAR 46.0
#define HIST_HEIGHT 140.0

int lt_html_lag_histogram(FILE *out, const struct lt_metrics *m)
{
	int64_t top = 0, total = 0;
	for (int k = 0; k < LT_LAG_BUCKETS; k++) {
		total += m->lag_histogram[k];
		if (m->lag_histogram[k] > top)
			top = m->lag_histogram[k];
	}
	if (total == 0) {
		fputs("<p class=\"none\">No lag samples: the trace has no loop iterations.</p>\n", out);
		return 0;
	}
	const double width = HIST_BAR * LT_LAG_BUCKETS + 60, height = HIST_HEIGHT + 60;
	fprintf(out,
		"<svg id=\"lag-histogram\" class=\"chart\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\""
		" role=\"img\" aria-label=\"event-loop lag histogram\">\n",
		width, height, width, height);
	for (int k = 0; k < LT_LAG_BUCKETS; k++) {
		int64_t c = m->lag_histogram[k];
		double h = c ? fmax(2.0, HIST_HEIGHT * (double)c / (double)top) : 0;
		double x = 40 + k * HIST_BAR, y = 20 + HIST_HEIGHT - h;
		double bound = k < LT_LAG_BUCKETS - 1 ? lt_lag_bucket_ms[k] : lt_lag_bucket_ms[k - 1];
		const char *cls = bound <= 10 ? "ok" : bound <= 50 ? "warn" : "bad";
		char label[32];
		if (k < LT_LAG_BUCKETS - 1)
			snprintf(label, sizeof(label), "\xe2\x89\xa4%g", lt_lag_bucket_ms[k]);
		else
			snprintf(label, sizeof(label), ">%g", lt_lag_bucket_ms[k - 1]);
		fprintf(out,
			"<rect class=\"bar %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			"<title>lag %s ms: %lld samples (%.1f%%)</title></rect>\n",
			cls, x + 3, y, HIST_BAR - 6, h, label, (long long)c, 100.0 * (double)c / (double)total);
		if (c)
			fprintf(out, "<text class=\"count\" x=\"%.1f\" y=\"%.1f\">%lld</text>\n", x + HIST_BAR / 2, y - 4,
				(long long)c);
		fprintf(out, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", x + HIST_BAR / 2,
			20 + HIST_HEIGHT + 16, label);
	}
	fprintf(out, "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\">lag (ms), %lld samples every %.0f ms</text>\n",
		width / 2, height - 6, (long long)total, LT_LAG_RESOLUTION_MS);
	fputs("</svg>\n", out);
	return 0;
}

/* --- busy time per iteration --- */

#define ITER_WIDTH 1000.0
#define ITER_HEIGHT 150.0
#define ITER_LEFT 56.0

struct column {
	int64_t first, last;
	double busiest;
};

int lt_html_iteration_chart(FILE *out, sqlite3 *db, const struct lt_metrics *m, double block_ms)
{
	if (m->iterations == 0) {
		fputs("<p class=\"none\">No loop iterations were recorded.</p>\n", out);
		return 0;
	}
	int64_t n = m->iterations;
	int64_t per = (n + LT_HTML_ITERATION_COLUMNS - 1) / LT_HTML_ITERATION_COLUMNS;
	int64_t cols = (n + per - 1) / per;
	struct column *col = calloc((size_t)cols, sizeof(*col));
	if (!col)
		return -ENOMEM;
	sqlite3_stmt *s;
	int rc = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT n, end_ns - begin_ns - CASE WHEN poll_end_ns > poll_begin_ns"
			       " THEN poll_end_ns - poll_begin_ns ELSE 0 END FROM iterations"
			       " WHERE pid = ? AND tid = ? ORDER BY n",
			       -1, &s, NULL) != SQLITE_OK) {
		rc = -EIO;
		goto free_columns;
	}
	sqlite3_bind_int64(s, 1, m->pid);
	sqlite3_bind_int64(s, 2, m->tid);
	int64_t i = 0;
	double top = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW && i < n) {
		struct column *c = &col[i / per];
		double busy = fmax(0, (double)sqlite3_column_int64(s, 1) / 1e6);
		int64_t no = sqlite3_column_int64(s, 0);
		if (i % per == 0)
			c->first = no;
		c->last = no;
		if (busy > c->busiest)
			c->busiest = busy;
		if (busy > top)
			top = busy;
		i++;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	if (rc != 0)
		goto free_columns;
	if (top <= 0)
		top = 1;

	const double width = ITER_LEFT + ITER_WIDTH + 10, height = ITER_HEIGHT + 50;
	const double bar = ITER_WIDTH / (double)cols;
	fprintf(out,
		"<svg id=\"iteration-chart\" class=\"chart\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\""
		" preserveAspectRatio=\"xMinYMin meet\" role=\"img\" aria-label=\"busy time per loop iteration\">\n",
		width, height);
	double block_y = 10 + ITER_HEIGHT - ITER_HEIGHT * block_ms / top;
	if (block_ms <= top)
		fprintf(out,
			"<line class=\"threshold\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"axis threshold-label\" x=\"%.1f\" y=\"%.1f\">%.0f ms</text>\n",
			ITER_LEFT, ITER_LEFT + ITER_WIDTH, block_y, block_y, ITER_LEFT + ITER_WIDTH - 30, block_y - 3,
			block_ms);
	for (int64_t k = 0; k < cols; k++) {
		double h = col[k].busiest > 0 ? fmax(1.0, ITER_HEIGHT * col[k].busiest / top) : 0;
		fprintf(out, "<rect class=\"bar %s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">",
			col[k].busiest >= block_ms ? "bad" : "ok", ITER_LEFT + k * bar, 10 + ITER_HEIGHT - h,
			fmax(bar - (bar > 3 ? 1 : 0), 0.5), h);
		if (per == 1)
			fprintf(out, "<title>iteration %lld: busy %.3f ms</title></rect>\n", (long long)col[k].first,
				col[k].busiest);
		else
			fprintf(out, "<title>iterations %lld-%lld: busiest %.3f ms</title></rect>\n",
				(long long)col[k].first, (long long)col[k].last, col[k].busiest);
	}
	fprintf(out,
		"<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f ms</text>"
		"<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0</text>\n",
		ITER_LEFT - 4, 14.0, top, ITER_LEFT - 4, 10 + ITER_HEIGHT);
	fprintf(out,
		"<text class=\"axis\" x=\"%.1f\" y=\"%.1f\">%lld</text>"
		"<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%lld</text>\n",
		ITER_LEFT, 10 + ITER_HEIGHT + 14, (long long)col[0].first, ITER_LEFT + ITER_WIDTH,
		10 + ITER_HEIGHT + 14, (long long)col[cols - 1].last);
	fprintf(out, "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\">loop iteration%s</text>\n",
		ITER_LEFT + ITER_WIDTH / 2, height - 6,
		per > 1 ? " (each bar: the busiest of its group)" : "");
	fputs("</svg>\n", out);
free_columns:
	free(col);
	return rc;
}

/* --- timeline --- */

#define TL_WIDTH 1100.0
#define TL_LEFT 170.0
#define TL_LANE 24.0
#define TL_TOP 26.0
#define TL_TEXT 120

static const char timeline_sql[] =
	"SELECT d.seq, d.pid, d.tid, d.queue, d.type, d.begin_ns, d.end_ns, COALESCE(r.callback, ''),"
	" t.is_main_thread"
	" FROM dispatches d LEFT JOIN resources r ON r.id = d.resource_id"
	" LEFT JOIN threads t ON t.pid = d.pid AND t.tid = d.tid"
	" WHERE d.depth = 1 ORDER BY d.seq";

struct lane {
	int64_t pid, tid;
	int main_thread;
	char queue[16];
	/* the run of short dispatches being merged */
	int open;
	double x0, x1, busy_ms;
	int64_t count, seq;
	char type[TL_TEXT], callback[TL_TEXT];
};

struct timeline {
	FILE *body; /* boxes, written before the lane count is known */
	struct lane lanes[LT_HTML_TIMELINE_LANES];
	int n_lanes;
	struct lt_timeline_stats *st;
};

static int lane_of(struct timeline *t, int64_t pid, int64_t tid, const char *queue, int main_thread)
{
	for (int k = 0; k < t->n_lanes; k++)
		if (t->lanes[k].pid == pid && t->lanes[k].tid == tid && !strcmp(t->lanes[k].queue, queue))
			return k;
	if (t->n_lanes == LT_HTML_TIMELINE_LANES)
		return -1;
	struct lane *l = &t->lanes[t->n_lanes];
	memset(l, 0, sizeof(*l));
	l->pid = pid;
	l->tid = tid;
	l->main_thread = main_thread;
	snprintf(l->queue, sizeof(l->queue), "%s", queue);
	t->st->lanes++;
	return t->n_lanes++;
}

static void box_title(FILE *o, int64_t seq, const char *queue, const char *type, const char *callback, double ms)
{
	fprintf(o, "<title>#%lld %s ", (long long)seq, queue);
	lt_html_cstr(o, type);
	if (callback && *callback) {
		fputc(' ', o);
		lt_html_cstr(o, callback);
	}
	fprintf(o, ": %.3f ms", ms);
}

static void flush_run(struct timeline *t, int k)
{
	struct lane *l = &t->lanes[k];
	if (!l->open)
		return;
	FILE *o = t->body;
	double y = TL_TOP + k * TL_LANE + 3;
	fprintf(o, "<rect class=\"d q-%s%s\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"", l->queue,
		l->count > 1 ? " merged" : "", TL_LEFT + l->x0, y, fmax(l->x1 - l->x0, 0.8), TL_LANE - 6);
	if (l->count == 1) {
		fprintf(o, " data-seq=\"%lld\">", (long long)l->seq);
		box_title(o, l->seq, l->queue, l->type, l->callback, l->busy_ms);
	} else {
		fprintf(o, "><title>%lld %s dispatches from #%lld: %.3f ms in all", (long long)l->count, l->queue,
			(long long)l->seq, l->busy_ms);
		t->st->merged += l->count;
	}
	fputs("</title></rect>\n", o);
	t->st->boxes++;
	l->open = 0;
}

/* A dispatch worth its own box: long, a late timer, or a rejection. */
static void special_box(struct timeline *t, int k, int64_t seq, const char *type, const char *callback, double x0,
			double x1, double ms, int is_long, const struct lt_mark *mk)
{
	struct lane *l = &t->lanes[k];
	FILE *o = t->body;
	double y = TL_TOP + k * TL_LANE + 3, w = fmax(x1 - x0, 2.0);
	fprintf(o, "<rect class=\"d q-%s%s%s%s\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" data-seq=\"%lld\">",
		l->queue, is_long ? " long" : "", mk && mk->late_ms > 0 ? " late" : "",
		mk && mk->rejection ? " rejection" : "", TL_LEFT + x0, y, w, TL_LANE - 6, (long long)seq);
	box_title(o, seq, l->queue, type, callback, ms);
	if (is_long)
		fputs(" (long task)", o);
	if (mk && mk->late_ms > 0)
		fprintf(o, "; timer late by %.1f ms", mk->late_ms);
	if (mk && mk->rejection)
		fprintf(o, "; %s", mk->rejection);
	fputs("</title></rect>\n", o);
	if (is_long && w > 44)
		fprintf(o, "<text class=\"box-label\" x=\"%.2f\" y=\"%.1f\">%.0f ms</text>\n", TL_LEFT + x0 + 3,
			y + TL_LANE - 10, ms);
	if (mk && mk->rejection)
		fprintf(o, "<path class=\"marker rejection\" d=\"M%.2f %.1f l-5 -8 h10 z\"><title>%s at #%lld</title></path>\n",
			TL_LEFT + x0 + w / 2, y, mk->rejection, (long long)seq);
	t->st->boxes++;
	t->st->long_tasks += is_long;
	t->st->late_timers += mk && mk->late_ms > 0;
	t->st->rejections += mk && mk->rejection;
}

static double nice_step(double span_ms)
{
	double raw = span_ms / 8, p = pow(10, floor(log10(raw > 0 ? raw : 1)));
	double steps[] = {1, 2, 5, 10};
	for (int i = 0; i < 4; i++)
		if (raw <= steps[i] * p)
			return steps[i] * p;
	return 10 * p;
}

static void write_axis(FILE *out, double span_ms, double height)
{
	double step = nice_step(span_ms);
	for (double v = 0; v <= span_ms + 1e-9 && step > 0; v += step) {
		double x = TL_LEFT + TL_WIDTH * (span_ms > 0 ? v / span_ms : 0);
		fprintf(out,
			"<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"axis\" x=\"%.1f\" y=\"%.1f\">%g ms</text>\n",
			x, x, TL_TOP - 4, height - 4, x, TL_TOP - 8, v);
	}
}

int lt_html_timeline(FILE *out, sqlite3 *db, double block_ms, struct lt_timeline_stats *st)
{
	memset(st, 0, sizeof(*st));
	int64_t t0 = 0, t1 = 0;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT min(begin_ns), max(end_ns), count(*) FROM dispatches WHERE depth = 1", -1,
			       &s, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		t0 = sqlite3_column_int64(s, 0);
		t1 = sqlite3_column_int64(s, 1);
		st->dispatches = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (st->dispatches == 0) {
		fputs("<p class=\"none\">No dispatches were recorded.</p>\n", out);
		return 0;
	}
	struct lt_marks marks;
	int rc = lt_marks_load(db, LT_LATE_TIMER_MS, &marks);
	if (rc != 0)
		return rc;
	struct timeline *t = calloc(1, sizeof(*t));
	char *body = NULL;
	size_t body_len = 0;
	if (!t) {
		rc = -ENOMEM;
		goto free_marks;
	}
	t->st = st;
	if (!(t->body = open_memstream(&body, &body_len))) {
		rc = -ENOMEM;
		goto free_timeline;
	}
	if (sqlite3_prepare_v2(db, timeline_sql, -1, &s, NULL) != SQLITE_OK) {
		rc = -EIO;
		goto close_body;
	}
	double span = t1 > t0 ? (double)(t1 - t0) : 1.0, scale = TL_WIDTH / span;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0);
		const char *queue = (const char *)sqlite3_column_text(s, 3);
		int k = lane_of(t, sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2), lt_queue_canonical(queue),
				sqlite3_column_int(s, 8));
		if (k < 0) {
			st->lanes_omitted = 1;
			continue;
		}
		struct lane *l = &t->lanes[k];
		int64_t b = sqlite3_column_int64(s, 5), e = sqlite3_column_int64(s, 6);
		double ms = (double)(e - b) / 1e6, x0 = (double)(b - t0) * scale, x1 = (double)(e - t0) * scale;
		const char *type = (const char *)sqlite3_column_text(s, 4);
		const char *callback = (const char *)sqlite3_column_text(s, 7);
		const struct lt_mark *mk = lt_marks_find(&marks, seq);
		int is_long = ms >= block_ms;
		if (is_long || mk) {
			flush_run(t, k);
			special_box(t, k, seq, type, callback, x0, x1, ms, is_long, mk);
			continue;
		}
		if (l->open && x0 <= l->x1 + 1.0) {
			l->x1 = fmax(l->x1, x1);
			l->count++;
			l->busy_ms += ms;
			continue;
		}
		flush_run(t, k);
		l->open = 1;
		l->x0 = x0;
		l->x1 = x1;
		l->count = 1;
		l->busy_ms = ms;
		l->seq = seq;
		snprintf(l->type, sizeof(l->type), "%s", type ? type : "");
		snprintf(l->callback, sizeof(l->callback), "%s", callback ? callback : "");
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE) {
		rc = -EIO;
		goto close_body;
	}
	for (int k = 0; k < t->n_lanes; k++)
		flush_run(t, k);
	if (fflush(t->body) != 0) {
		rc = -ENOMEM;
		goto close_body;
	}

	double height = TL_TOP + t->n_lanes * TL_LANE + 8, width = TL_LEFT + TL_WIDTH + 20;
	fprintf(out,
		"<svg id=\"timeline\" class=\"chart timeline\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\""
		" preserveAspectRatio=\"xMinYMin meet\" role=\"img\" aria-label=\"timeline of dispatches\">\n",
		width, height);
	write_axis(out, span / 1e6, height);
	for (int k = 0; k < t->n_lanes; k++) {
		const struct lane *l = &t->lanes[k];
		double y = TL_TOP + k * TL_LANE;
		fprintf(out, "<rect class=\"lane%s\" x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\"/>", k % 2 ? " odd" : "",
			y, width, TL_LANE);
		if (l->main_thread)
			fprintf(out, "<text class=\"lane-label\" x=\"4\" y=\"%.1f\">pid %lld &#183; %s</text>\n",
				y + TL_LANE - 8, (long long)l->pid, l->queue);
		else
			fprintf(out, "<text class=\"lane-label\" x=\"4\" y=\"%.1f\">pid %lld tid %lld &#183; %s</text>\n",
				y + TL_LANE - 8, (long long)l->pid, (long long)l->tid, l->queue);
	}
	fwrite(body, 1, body_len, out);
	fputs("</svg>\n", out);
close_body:
	fclose(t->body);
	free(body);
free_timeline:
	free(t);
free_marks:
	lt_marks_free(&marks);
	return rc;
}
