/*
 * diff_format.c — a comparison of two traces as text or JSON (see
 * diff_format.h).
 */
#include "diff_format.h"

#include <math.h>
#include <string.h>

#include "json.h"
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

static void json_finding(struct lt_json *j, const struct lt_finding *f)
{
	lt_json_begin_object(j);
	lt_json_key_cstring(j, "kind", f->kind);
	lt_json_key_cstring(j, "severity", lt_severity_name(f->severity));
	lt_json_key_cstring(j, "message", f->message);
	lt_json_key_cstring(j, "file", f->file);
	lt_json_key_int(j, "line", f->line);
	lt_json_key_cstring(j, "function", f->function);
	lt_json_key_int(j, "pid", f->pid);
	lt_json_key_double(j, "impact_ms", f->impact_ms);
	lt_json_end_object(j);
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
				json_finding(&j, c->findings[i].new ? c->findings[i].new : c->findings[i].base);
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
