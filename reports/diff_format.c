/*
 * diff_format.c — a comparison of two traces as text or JSON (see
 * diff_format.h).
 */
#include "diff_format.h"

#include <math.h>
#include <string.h>

#include "html.h"
#include "json.h"
#include "report_format.h"
#include "text.h"

static void put_safe(FILE *o, const char *s)
{
	if (s)
		lt_put_safe(o, s, strlen(s));
}

/* Lag figures mean little for a batch run (it never waits). */
static int is_lag(int f)
{
	return f == LT_FIG_P50_LAG || f == LT_FIG_P90_LAG || f == LT_FIG_P99_LAG || f == LT_FIG_MAX_LAG;
}

static void change_text(double b, double n, char *out, size_t len)
{
	if (b == n)
		snprintf(out, len, "=");
	else if (b > 0)
		snprintf(out, len, "%+.1f%%", (n - b) / b * 100.0);
	else
		snprintf(out, len, "%+.4g", n - b);
}

static const char *state_name(enum lt_match s)
{
	return s == LT_FINDING_NEW ? "new" : s == LT_FINDING_FIXED ? "fixed" : "unchanged";
}

static void text_finding(FILE *o, const struct lt_finding_match *m)
{
	const struct lt_finding *f = m->new ? m->new : m->base;
	fprintf(o, "  %-9s %-7s %s", state_name(m->state), lt_severity_name(f->severity), f->kind);
	if (f->file) {
		fputs(" at ", o);
		put_safe(o, f->file);
		fprintf(o, ":%lld", (long long)f->line);
	}
	fputs("\n            ", o);
	put_safe(o, f->message);
	fputc('\n', o);
}

void lt_diff_text(FILE *o, const struct lt_diff_view *v)
{
	const struct lt_comparison *c = v->cmp;
	fputs("looptrace diff: ", o);
	put_safe(o, v->base_name);
	fputs(" (base) -> ", o);
	put_safe(o, v->new_name);
	fputs(" (new)\n\n", o);
	fprintf(o, "%-22s %14s %14s %10s\n", "figure", "base", "new", "change");
	for (int f = 0; f < LT_FIG_COUNT; f++) {
		char ch[32];
		change_text(c->base[f], c->new[f], ch, sizeof(ch));
		fprintf(o, "%-22s %14.4g %14.4g %10s%s\n", lt_figure_name(f), c->base[f], c->new[f], ch,
			is_lag(f) && (c->batch[0] || c->batch[1]) ? "  (batch run: no waiting, lag means little)" : "");
	}
	fprintf(o, "\nCallback sites by change in total time (%zu in all):\n", c->n_sites);
	size_t shown = c->n_sites < v->max_sites ? c->n_sites : v->max_sites;
	for (size_t i = 0; i < shown; i++) {
		const struct lt_site_change *s = &c->sites[i];
		fprintf(o, "  %+10.1f ms  ", s->new_ms - s->base_ms);
		put_safe(o, s->file);
		if (s->function[0]) {
			fputc(' ', o);
			put_safe(o, s->function);
		}
		if (s->base_line && s->new_line && s->base_line != s->new_line)
			fprintf(o, " (line %lld -> %lld)", (long long)s->base_line, (long long)s->new_line);
		else
			fprintf(o, " (line %lld)", (long long)(s->new_line ? s->new_line : s->base_line));
		fprintf(o, ": %lld -> %lld calls, %.1f -> %.1f ms\n", (long long)s->base_count,
			(long long)s->new_count, s->base_ms, s->new_ms);
	}
	size_t n[3] = {0};
	for (size_t i = 0; i < c->n_findings; i++)
		n[c->findings[i].state]++;
	fprintf(o, "\nFindings: %zu new, %zu fixed, %zu unchanged\n", n[LT_FINDING_NEW], n[LT_FINDING_FIXED],
		n[LT_FINDING_UNCHANGED]);
	for (size_t i = 0; i < c->n_findings; i++)
		text_finding(o, &c->findings[i]);
	if (v->gates && v->gates->n) {
		fputs("\nGates:\n", o);
		for (size_t i = 0; i < v->gates->n; i++) {
			char why[512];
			int holds = lt_gate_holds(&v->gates->v[i], c, why, sizeof(why));
			fprintf(o, "  %-10s ", holds ? "REGRESSED" : "ok");
			put_safe(o, holds ? why : v->gates->v[i].text);
			fputc('\n', o);
		}
	}
}


void lt_diff_json(FILE *o, const struct lt_diff_view *v)
{
	const struct lt_comparison *c = v->cmp;
	struct lt_json j;
	lt_json_init(&j, o);
	lt_json_begin_object(&j);
	lt_json_key_cstring(&j, "base", v->base_name);
	lt_json_key_cstring(&j, "new", v->new_name);
	lt_json_key(&j, "batch");
	lt_json_begin_array(&j);
	lt_json_bool(&j, c->batch[0]);
	lt_json_bool(&j, c->batch[1]);
	lt_json_end_array(&j);
	lt_json_key(&j, "figures");
	lt_json_begin_object(&j);
	for (int f = 0; f < LT_FIG_COUNT; f++) {
		lt_json_key(&j, lt_figure_name(f));
		lt_json_begin_object(&j);
		lt_json_key_double(&j, "base", c->base[f]);
		lt_json_key_double(&j, "new", c->new[f]);
		lt_json_key_double(&j, "change", c->new[f] - c->base[f]);
		lt_json_key(&j, "change_pct");
		if (c->base[f] > 0)
			lt_json_double(&j, (c->new[f] - c->base[f]) / c->base[f] * 100.0);
		else
			lt_json_null(&j);
		lt_json_end_object(&j);
	}
	lt_json_end_object(&j);
	lt_json_key(&j, "lag_histogram");
	lt_json_begin_object(&j);
	for (int side = 0; side < 2; side++) {
		lt_json_key(&j, side ? "new" : "base");
		lt_json_begin_array(&j);
		for (int b = 0; b < LT_LAG_BUCKETS; b++)
			lt_json_int(&j, c->lag_histogram[side][b]);
		lt_json_end_array(&j);
	}
	lt_json_end_object(&j);
	lt_json_key(&j, "sites");
	lt_json_begin_array(&j);
	for (size_t i = 0; i < c->n_sites; i++) {
		const struct lt_site_change *s = &c->sites[i];
		lt_json_begin_object(&j);
		lt_json_key_cstring(&j, "file", s->file);
		lt_json_key_cstring(&j, "function", s->function);
		lt_json_key_int(&j, "base_line", s->base_line);
		lt_json_key_int(&j, "new_line", s->new_line);
		lt_json_key_int(&j, "base_count", s->base_count);
		lt_json_key_int(&j, "new_count", s->new_count);
		lt_json_key_double(&j, "base_ms", s->base_ms);
		lt_json_key_double(&j, "new_ms", s->new_ms);
		lt_json_key_double(&j, "change_ms", s->new_ms - s->base_ms);
		lt_json_end_object(&j);
	}
	lt_json_end_array(&j);
	lt_json_key(&j, "findings");
	lt_json_begin_object(&j);
	static const enum lt_match order[] = {LT_FINDING_NEW, LT_FINDING_FIXED, LT_FINDING_UNCHANGED};
	for (size_t k = 0; k < 3; k++) {
		lt_json_key(&j, state_name(order[k]));
		lt_json_begin_array(&j);
		for (size_t i = 0; i < c->n_findings; i++)
			if (c->findings[i].state == order[k])
				lt_report_json_finding(&j, c->findings[i].new ? c->findings[i].new : c->findings[i].base);
		lt_json_end_array(&j);
	}
	lt_json_end_object(&j);
	lt_json_key(&j, "gates");
	lt_json_begin_array(&j);
	for (size_t i = 0; v->gates && i < v->gates->n; i++) {
		char why[512];
		int holds = lt_gate_holds(&v->gates->v[i], c, why, sizeof(why));
		lt_json_begin_object(&j);
		lt_json_key_cstring(&j, "gate", v->gates->v[i].text);
		lt_json_key(&j, "regressed");
		lt_json_bool(&j, holds);
		lt_json_key_cstring(&j, "why", holds ? why : NULL);
		lt_json_end_object(&j);
	}
	lt_json_end_array(&j);
	lt_json_end_object(&j);
	fputc('\n', o);
}

/* --- HTML ------------------------------------------------------------------- */

#define CHART_W 720.0
#define CHART_H 180.0

static const char page_style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
	"table{border-collapse:collapse;margin:1em 0}td,th{padding:2px 10px;text-align:right}"
	"td:first-child,th:first-child{text-align:left}tr:nth-child(even){background:#f4f4f4}"
	".worse{color:#b00}.better{color:#070}.base{fill:#4a7bd0;stroke:#4a7bd0}"
	".new{fill:#e08a2c;stroke:#e08a2c}polyline.base,polyline.new{fill:none;opacity:.85}svg text{font-size:11px;fill:#444}"
	".legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}"
	".new-f{color:#b00}.fixed-f{color:#070}code{font-size:12px}";

/* Figures where a larger value is better (the rest: smaller is better). */
static int higher_is_better(int f) { return f == LT_FIG_DISPATCH_RATE || f == LT_FIG_DISPATCHES; }

static void html_figures(FILE *o, const struct lt_comparison *c)
{
	fputs("<table id=\"figures\"><tr><th>figure</th><th>base</th><th>new</th><th>change</th></tr>\n", o);
	for (int f = 0; f < LT_FIG_COUNT; f++) {
		char ch[32];
		change_text(c->base[f], c->new[f], ch, sizeof(ch));
		const char *cls = "";
		if (c->new[f] != c->base[f] && f != LT_FIG_WALL_MS && f != LT_FIG_ITERATIONS)
			cls = (c->new[f] > c->base[f]) == higher_is_better(f) ? "better" : "worse";
		fprintf(o, "<tr><td>%s</td><td>%.4g</td><td>%.4g</td><td class=\"%s\">%s</td></tr>\n",
			lt_figure_name(f), c->base[f], c->new[f], cls, ch);
	}
	fputs("</table>\n", o);
}

static void legend(FILE *o, const struct lt_diff_view *v)
{
	fputs("<p class=\"legend\"><span class=\"base\" style=\"background:#4a7bd0\"></span>base ", o);
	lt_html_cstr(o, v->base_name);
	fputs("<span class=\"new\" style=\"background:#e08a2c\"></span>new ", o);
	lt_html_cstr(o, v->new_name);
	fputs("</p>\n", o);
}

/* Both histograms as shares of their own samples, bars side by side. */
static void html_histograms(FILE *o, const struct lt_comparison *c)
{
	double total[2] = {0, 0}, top = 0;
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < LT_LAG_BUCKETS; k++)
			total[s] += (double)c->lag_histogram[s][k];
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < LT_LAG_BUCKETS && total[s] > 0; k++)
			top = fmax(top, (double)c->lag_histogram[s][k] / total[s]);
	if (top <= 0) {
		fputs("<p>No lag samples in either trace.</p>\n", o);
		return;
	}
	double bar = (CHART_W - 60) / LT_LAG_BUCKETS;
	fprintf(o, "<svg id=\"lag-overlay\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\""
		   " aria-label=\"lag histograms, base and new\">\n",
		CHART_W, CHART_H + 40, CHART_W, CHART_H + 40);
	for (int k = 0; k < LT_LAG_BUCKETS; k++) {
		char label[32];
		if (k < LT_LAG_BUCKETS - 1)
			snprintf(label, sizeof(label), "\xe2\x89\xa4%g", lt_lag_bucket_ms[k]);
		else
			snprintf(label, sizeof(label), ">%g", lt_lag_bucket_ms[k - 1]);
		for (int s = 0; s < 2; s++) {
			double share = total[s] > 0 ? (double)c->lag_histogram[s][k] / total[s] : 0;
			double h = CHART_H * share / top;
			fprintf(o,
				"<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
				"<title>%s: lag %s ms, %lld samples (%.1f%%)</title></rect>\n",
				s ? "new" : "base", 40 + k * bar + 2 + s * (bar - 4) / 2, 10 + CHART_H - h, (bar - 4) / 2, h,
				s ? "new" : "base", label, (long long)c->lag_histogram[s][k], 100 * share);
		}
		fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", 40 + k * bar + bar / 2,
			CHART_H + 26, label);
	}
	fputs("</svg>\n", o);
}

/* The two busy-share series as lines on one time axis. */
static void html_timelines(FILE *o, const struct lt_comparison *c)
{
	if (c->series_bin_ms <= 0) {
		fputs("<p>No dispatches to draw.</p>\n", o);
		return;
	}
	double step = (CHART_W - 60) / LT_SERIES_BINS;
	fprintf(o, "<svg id=\"busy-overlay\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\""
		   " aria-label=\"busy share over time, base and new\">\n",
		CHART_W, CHART_H + 40, CHART_W, CHART_H + 40);
	for (int s = 0; s < 2; s++) {
		double wall = s ? c->new[LT_FIG_WALL_MS] : c->base[LT_FIG_WALL_MS];
		int bins = (int)ceil(wall / c->series_bin_ms);
		if (bins > LT_SERIES_BINS)
			bins = LT_SERIES_BINS;
		fprintf(o, "<polyline class=\"%s\" fill=\"none\" stroke-width=\"2\" points=\"", s ? "new" : "base");
		for (int k = 0; k < bins; k++)
			fprintf(o, "%.1f,%.1f ", 40 + (k + 0.5) * step, 10 + CHART_H * (1 - c->busy_series[s][k]));
		fputs("\"/>\n", o);
	}
	fprintf(o, "<text x=\"4\" y=\"16\">100%%</text><text x=\"4\" y=\"%.0f\">0%%</text>\n", 10 + CHART_H);
	fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">time from start, 0 to %.0f ms (%.1f ms a step)"
		   "</text>\n</svg>\n",
		CHART_W / 2, CHART_H + 30, c->series_bin_ms * LT_SERIES_BINS, c->series_bin_ms);
}

static void html_finding_row(FILE *o, const struct lt_finding_match *m)
{
	const struct lt_finding *f = m->new ? m->new : m->base;
	fprintf(o, "<tr><td class=\"%s\">%s</td><td>%s</td><td>%s</td><td>",
		m->state == LT_FINDING_NEW ? "new-f" : m->state == LT_FINDING_FIXED ? "fixed-f" : "",
		state_name(m->state), lt_severity_name(f->severity), f->kind);
	if (f->file) {
		fputs("<code>", o);
		lt_html_cstr(o, f->file);
		fprintf(o, ":%lld</code>", (long long)f->line);
	}
	fputs("</td><td style=\"text-align:left\">", o);
	lt_html_cstr(o, f->message);
	fputs("</td></tr>\n", o);
}

void lt_diff_html(FILE *o, const struct lt_diff_view *v)
{
	const struct lt_comparison *c = v->cmp;
	fprintf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		   "<meta name=\"viewport\" content=\"width=device-width\"><title>looptrace diff</title>"
		   "<style>%s</style></head><body>\n<h1>looptrace diff</h1>\n",
		page_style);
	legend(o, v);
	if (c->batch[0] || c->batch[1])
		fputs("<p>A batch run (it never waits) is among the two: its lag figures mean little.</p>\n", o);
	fputs("<h2>Figures</h2>\n", o);
	html_figures(o, c);
	fputs("<h2>Event-loop lag, share of samples per bucket</h2>\n", o);
	html_histograms(o, c);
	fputs("<h2>Busy share of the loop over time</h2>\n", o);
	html_timelines(o, c);
	fprintf(o, "<h2>Callback sites by change in total time</h2>\n<table id=\"sites\"><tr><th>site</th>"
		   "<th>change (ms)</th><th>calls</th><th>base ms</th><th>new ms</th></tr>\n");
	size_t shown = c->n_sites < v->max_sites ? c->n_sites : v->max_sites;
	for (size_t i = 0; i < shown; i++) {
		const struct lt_site_change *s = &c->sites[i];
		fputs("<tr><td><code>", o);
		lt_html_cstr(o, s->file);
		fprintf(o, ":%lld</code> ", (long long)(s->new_line ? s->new_line : s->base_line));
		lt_html_cstr(o, s->function);
		fprintf(o, "</td><td class=\"%s\">%+.1f</td><td>%lld &rarr; %lld</td><td>%.1f</td><td>%.1f</td></tr>\n",
			s->new_ms > s->base_ms ? "worse" : "better", s->new_ms - s->base_ms, (long long)s->base_count,
			(long long)s->new_count, s->base_ms, s->new_ms);
	}
	fputs("</table>\n<h2>Findings</h2>\n<table id=\"findings\"><tr><th>state</th><th>severity</th><th>kind</th>"
	      "<th>where</th><th style=\"text-align:left\">what</th></tr>\n",
	      o);
	for (size_t i = 0; i < c->n_findings; i++)
		html_finding_row(o, &c->findings[i]);
	fputs("</table>\n", o);
	if (v->gates && v->gates->n) {
		fputs("<h2>Gates</h2>\n<ul id=\"gates\">\n", o);
		for (size_t i = 0; i < v->gates->n; i++) {
			char why[512];
			int holds = lt_gate_holds(&v->gates->v[i], c, why, sizeof(why));
			fprintf(o, "<li class=\"%s\">%s: ", holds ? "worse" : "better", holds ? "REGRESSED" : "ok");
			lt_html_cstr(o, holds ? why : v->gates->v[i].text);
			fputs("</li>\n", o);
		}
		fputs("</ul>\n", o);
	}
	fputs("</body></html>\n", o);
}
