/*
 * compare.c — two analyzed traces side by side (see compare.h).
 */
#include "compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locations.h"
#include "queue.h"

static const char *const figure_names[LT_FIG_COUNT] = {
	[LT_FIG_WALL_MS] = "wall_ms",
	[LT_FIG_BUSY_MS] = "busy_ms",
	[LT_FIG_ELU] = "elu",
	[LT_FIG_DISPATCHES] = "dispatches",
	[LT_FIG_DISPATCH_RATE] = "dispatches_per_s",
	[LT_FIG_ITERATIONS] = "iterations",
	[LT_FIG_P50_LAG] = "p50_lag",
	[LT_FIG_P90_LAG] = "p90_lag",
	[LT_FIG_P99_LAG] = "p99_lag",
	[LT_FIG_MAX_LAG] = "max_lag",
	[LT_FIG_P99_TIMER_LATENESS] = "p99_timer_lateness",
	[LT_FIG_STARTUP_MS] = "startup_ms",
	[LT_FIG_BUSY_NEXTTICK_MS] = "busy_nexttick_ms",
	[LT_FIG_BUSY_MICROTASK_MS] = "busy_microtask_ms",
	[LT_FIG_BUSY_TIMER_MS] = "busy_timer_ms",
	[LT_FIG_BUSY_IMMEDIATE_MS] = "busy_immediate_ms",
	[LT_FIG_BUSY_IO_MS] = "busy_io_ms",
	[LT_FIG_BUSY_CLOSE_MS] = "busy_close_ms",
	[LT_FIG_FINDINGS_ERROR] = "findings_error",
	[LT_FIG_FINDINGS_WARNING] = "findings_warning",
};

const char *lt_figure_name(enum lt_figure f) { return f < LT_FIG_COUNT ? figure_names[f] : "?"; }

int lt_figure_by_name(const char *name)
{
	for (int f = 0; f < LT_FIG_COUNT; f++)
		if (!strcmp(figure_names[f], name))
			return f;
	return -1;
}

static void figures_of(const struct lt_analysis *a, double *v)
{
	const struct lt_metrics *m = &a->metrics;
	v[LT_FIG_WALL_MS] = m->wall_ms;
	v[LT_FIG_BUSY_MS] = m->busy_ms;
	v[LT_FIG_ELU] = m->utilization;
	v[LT_FIG_DISPATCHES] = (double)m->dispatches;
	v[LT_FIG_DISPATCH_RATE] = m->wall_ms > 0 ? (double)m->dispatches / (m->wall_ms / 1000.0) : 0;
	v[LT_FIG_ITERATIONS] = (double)m->iterations;
	v[LT_FIG_P50_LAG] = m->lag.p50_ms;
	v[LT_FIG_P90_LAG] = m->lag.p90_ms;
	v[LT_FIG_P99_LAG] = m->lag.p99_ms;
	v[LT_FIG_MAX_LAG] = m->lag.max_ms;
	v[LT_FIG_P99_TIMER_LATENESS] = m->timer_lateness.p99_ms;
	v[LT_FIG_STARTUP_MS] = m->startup_ms;
	v[LT_FIG_BUSY_NEXTTICK_MS] = m->busy_by_queue_ms[LT_QUEUE_NEXTTICK];
	v[LT_FIG_BUSY_MICROTASK_MS] = m->busy_by_queue_ms[LT_QUEUE_MICROTASK];
	v[LT_FIG_BUSY_TIMER_MS] = m->busy_by_queue_ms[LT_QUEUE_TIMER];
	v[LT_FIG_BUSY_IMMEDIATE_MS] = m->busy_by_queue_ms[LT_QUEUE_IMMEDIATE];
	v[LT_FIG_BUSY_IO_MS] = m->busy_by_queue_ms[LT_QUEUE_IO];
	v[LT_FIG_BUSY_CLOSE_MS] = m->busy_by_queue_ms[LT_QUEUE_CLOSE];
	int errors = 0, warnings = 0;
	for (size_t i = 0; i < a->findings.n; i++) {
		errors += a->findings.items[i].severity == LT_SEV_ERROR;
		warnings += a->findings.items[i].severity == LT_SEV_WARNING;
	}
	v[LT_FIG_FINDINGS_ERROR] = errors;
	v[LT_FIG_FINDINGS_WARNING] = warnings;
}

/* The directory of the measured process's main script ("" when unknown),
 * with its trailing '/'. */
static void root_of(const struct lt_analysis *a, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < a->processes.n; i++) {
		const struct lt_process *p = &a->processes.items[i];
		if (p->pid != a->metrics.pid && a->metrics.pid)
			continue;
		const char *slash = strrchr(p->script, '/');
		if (p->script[0] == '/' && slash && (size_t)(slash - p->script) + 2 <= len) {
			memcpy(out, p->script, (size_t)(slash - p->script) + 1);
			out[slash - p->script + 1] = '\0';
		}
		return;
	}
}

static const char *relative(const char *file, const char *root)
{
	size_t n = strlen(root);
	if (!file)
		return "";
	if (!strncmp(file, "file://", 7) && !strncmp(file + 7, root, n) && n)
		return file + 7 + n;
	return n && !strncmp(file, root, n) ? file + n : file;
}

struct site_list {
	struct lt_site_change *v;
	size_t n, cap;
};

static struct lt_site_change *site_slot(struct site_list *l, const char *file, const char *function, int64_t line)
{
	for (size_t i = 0; i < l->n; i++) {
		struct lt_site_change *s = &l->v[i];
		if (strcmp(s->file, file) != 0 || strcmp(s->function, function) != 0)
			continue;
		/* named functions match by name; anonymous ones by line */
		if (function[0] || s->base_line == line || s->new_line == line)
			return s;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct lt_site_change *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	struct lt_site_change *s = &l->v[l->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->file, sizeof(s->file), "%s", file);
	snprintf(s->function, sizeof(s->function), "%s", function);
	return s;
}

/* Every user-code site's callbacks on the measured thread (where each was
 * scheduled: its site's user frame), added to side `side` of the list. */
static int add_sites(const struct lt_analysis *a, int side, struct site_list *l)
{
	static const char sql[] =
		"SELECT u.file, COALESCE(u.function, ''), u.line, count(*), sum(d.end_ns - d.begin_ns) / 1e6"
		" FROM dispatches d LEFT JOIN resources r ON r.id = d.resource_id"
		" LEFT JOIN promises p ON p.id = d.promise_id"
		" JOIN temp.user_frame u ON u.stack_id = COALESCE(r.site_stack_id, p.site_stack_id)"
		" WHERE d.pid = ?1 AND d.tid = ?2 AND d.depth = 1 AND d.queue NOT IN ('main', 'exit')"
		" GROUP BY u.file, u.function, u.line";
	if (!a->db || !a->metrics.pid)
		return 0;
	if (lt_locations_prepare_for(a->db, &a->opts.user_code) != 0)
		return -EIO;
	char root[1024];
	root_of(a, root, sizeof(root));
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(a->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, a->metrics.pid);
	sqlite3_bind_int64(s, 2, a->metrics.tid);
	int rc = 0, step;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *file = (const char *)sqlite3_column_text(s, 0);
		const char *fn = (const char *)sqlite3_column_text(s, 1);
		int64_t line = sqlite3_column_int64(s, 2);
		struct lt_site_change *c = site_slot(l, relative(file, root), fn ? fn : "", line);
		if (!c) {
			rc = -ENOMEM;
			break;
		}
		if (side == 0) {
			c->base_line = c->base_line ? c->base_line : line;
			c->base_count += sqlite3_column_int64(s, 3);
			c->base_ms += sqlite3_column_double(s, 4);
		} else {
			c->new_line = c->new_line ? c->new_line : line;
			c->new_count += sqlite3_column_int64(s, 3);
			c->new_ms += sqlite3_column_double(s, 4);
		}
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	return rc;
}

static int by_change(const void *x, const void *y)
{
	const struct lt_site_change *a = x, *b = y;
	double da = fabs(a->new_ms - a->base_ms), db = fabs(b->new_ms - b->base_ms);
	return da < db ? 1 : da > db ? -1 : strcmp(a->file, b->file);
}

/* Whether two findings are the same defect: kind, then place. */
static int same_finding(const struct lt_finding *x, const char *xroot, const struct lt_finding *y,
			const char *yroot)
{
	if (strcmp(x->kind, y->kind) != 0)
		return 0;
	if (!x->file || !y->file)
		return !x->file && !y->file;
	if (strcmp(relative(x->file, xroot), relative(y->file, yroot)) != 0)
		return 0;
	if (x->function && y->function && x->function[0] && y->function[0])
		return !strcmp(x->function, y->function);
	return x->line == y->line;
}

static int match_findings(const struct lt_analysis *base, const struct lt_analysis *new, struct lt_comparison *c)
{
	char broot[1024], nroot[1024];
	root_of(base, broot, sizeof(broot));
	root_of(new, nroot, sizeof(nroot));
	size_t nb = base->findings.n, nn = new->findings.n;
	char *taken = calloc(nn + 1, 1);
	struct lt_finding_match *m = calloc(nb + nn + 1, sizeof(*m));
	if (!taken || !m) {
		free(taken);
		free(m);
		return -ENOMEM;
	}
	size_t n = 0, unchanged_at;
	/* new ones first, then fixed, then unchanged */
	struct lt_finding_match *unchanged = calloc(nb + 1, sizeof(*unchanged));
	size_t n_unchanged = 0;
	if (!unchanged) {
		free(taken);
		free(m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nb; i++) {
		const struct lt_finding *b = &base->findings.items[i];
		size_t j = 0;
		while (j < nn && (taken[j] || !same_finding(b, broot, &new->findings.items[j], nroot)))
			j++;
		if (j < nn) {
			taken[j] = 1;
			unchanged[n_unchanged++] = (struct lt_finding_match){LT_FINDING_UNCHANGED, b,
									     &new->findings.items[j]};
		}
	}
	for (size_t j = 0; j < nn; j++)
		if (!taken[j])
			m[n++] = (struct lt_finding_match){LT_FINDING_NEW, NULL, &new->findings.items[j]};
	for (size_t i = 0; i < nb; i++) {
		const struct lt_finding *b = &base->findings.items[i];
		int matched = 0;
		for (size_t k = 0; k < n_unchanged && !matched; k++)
			matched = unchanged[k].base == b;
		if (!matched)
			m[n++] = (struct lt_finding_match){LT_FINDING_FIXED, b, NULL};
	}
	unchanged_at = n;
	memcpy(m + unchanged_at, unchanged, n_unchanged * sizeof(*unchanged));
	n += n_unchanged;
	free(unchanged);
	free(taken);
	c->findings = m;
	c->n_findings = n;
	return 0;
}

/* The measured thread's busy share per bin of `bin_ns` from its start. */
static int busy_series(const struct lt_analysis *a, double bin_ns, double *out)
{
	static const char sql[] = "SELECT begin_ns, end_ns FROM dispatches"
				  " WHERE pid = ?1 AND tid = ?2 AND depth = 1 AND end_ns > begin_ns";
	if (!a->db || !a->metrics.pid || bin_ns <= 0)
		return 0;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(a->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, a->metrics.pid);
	sqlite3_bind_int64(s, 2, a->metrics.tid);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		double b = (double)(sqlite3_column_int64(s, 0) - a->metrics.start_ns);
		double e = (double)(sqlite3_column_int64(s, 1) - a->metrics.start_ns);
		if (b < 0)
			b = 0;
		for (long k = (long)(b / bin_ns); k < LT_SERIES_BINS && k * bin_ns < e; k++) {
			double lo = k * bin_ns, hi = lo + bin_ns;
			double part = (e < hi ? e : hi) - (b > lo ? b : lo);
			if (part > 0)
				out[k] += part / bin_ns;
		}
	}
	sqlite3_finalize(s);
	for (int k = 0; k < LT_SERIES_BINS; k++)
		if (out[k] > 1)
			out[k] = 1; /* nested or overlapping records */
	return step == SQLITE_DONE ? 0 : -EIO;
}

int lt_compare(const struct lt_analysis *base, const struct lt_analysis *new, struct lt_comparison *out)
{
	memset(out, 0, sizeof(*out));
	figures_of(base, out->base);
	figures_of(new, out->new);
	out->batch[0] = base->metrics.mode == LT_MODE_BATCH;
	out->batch[1] = new->metrics.mode == LT_MODE_BATCH;
	memcpy(out->lag_histogram[0], base->metrics.lag_histogram, sizeof(out->lag_histogram[0]));
	memcpy(out->lag_histogram[1], new->metrics.lag_histogram, sizeof(out->lag_histogram[1]));
	double longest = base->metrics.wall_ms > new->metrics.wall_ms ? base->metrics.wall_ms : new->metrics.wall_ms;
	out->series_bin_ms = longest / LT_SERIES_BINS;
	int rc = busy_series(base, out->series_bin_ms * 1e6, out->busy_series[0]);
	if (rc == 0)
		rc = busy_series(new, out->series_bin_ms * 1e6, out->busy_series[1]);
	if (rc != 0)
		return rc;
	struct site_list l = {0};
	rc = add_sites(base, 0, &l);
	if (rc == 0)
		rc = add_sites(new, 1, &l);
	if (rc != 0) {
		free(l.v);
		return rc;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), by_change);
	out->sites = l.v;
	out->n_sites = l.n;
	rc = match_findings(base, new, out);
	if (rc != 0)
		lt_comparison_free(out);
	return rc;
}

void lt_comparison_free(struct lt_comparison *c)
{
	free(c->sites);
	free(c->findings);
	c->sites = NULL;
	c->findings = NULL;
	c->n_sites = c->n_findings = 0;
}

/* --- gates --- */

static int parse_severity(const char *s, enum lt_severity *out)
{
	if (!strcmp(s, "info"))
		*out = LT_SEV_INFO;
	else if (!strcmp(s, "warning"))
		*out = LT_SEV_WARNING;
	else if (!strcmp(s, "error"))
		*out = LT_SEV_ERROR;
	else
		return -EINVAL;
	return 0;
}

static int parse_one(const char *item, struct lt_gate *g, char *err, size_t errlen)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->text, sizeof(g->text), "%s", item);
	if (!strcmp(item, "new") || !strncmp(item, "new:", 4)) {
		g->figure = -1;
		g->min_severity = LT_SEV_WARNING;
		if (item[3] == ':' && parse_severity(item + 4, &g->min_severity) != 0) {
			snprintf(err, errlen, "'%s': the severity is info, warning or error", item);
			return -EINVAL;
		}
		return 0;
	}
	const char *gt = strchr(item, '>');
	if (!gt || gt == item) {
		snprintf(err, errlen, "'%s': expected FIGURE>+N%%, FIGURE>+N, FIGURE>N or new[:SEVERITY]", item);
		return -EINVAL;
	}
	char name[64];
	size_t n = (size_t)(gt - item);
	if (n >= sizeof(name)) {
		snprintf(err, errlen, "'%.40s...': no such figure", item);
		return -EINVAL;
	}
	memcpy(name, item, n);
	name[n] = '\0';
	g->figure = lt_figure_by_name(name);
	if (g->figure < 0) {
		snprintf(err, errlen, "'%s': no figure called '%s' (p99_lag, elu, busy_ms, dispatches_per_s, ...)", item,
			 name);
		return -EINVAL;
	}
	const char *v = gt + 1;
	g->how = LT_GATE_ABOVE;
	if (*v == '+') {
		v++;
		g->how = LT_GATE_ABS_DELTA;
	}
	char *end = NULL;
	errno = 0;
	g->amount = strtod(v, &end);
	if (end == v || errno || !isfinite(g->amount) || g->amount < 0) {
		snprintf(err, errlen, "'%s': expected a number after '>'", item);
		return -EINVAL;
	}
	if (*end == '%') {
		if (g->how != LT_GATE_ABS_DELTA) {
			snprintf(err, errlen, "'%s': a percentage is a change: write '>+N%%'", item);
			return -EINVAL;
		}
		g->how = LT_GATE_REL;
		end++;
	}
	if (*end) {
		snprintf(err, errlen, "'%s': unexpected '%s'", item, end);
		return -EINVAL;
	}
	return 0;
}

int lt_gates_parse(const char *spec, struct lt_gates *out, char *err, size_t errlen)
{
	out->n = 0;
	const char *p = spec;
	while (1) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char item[128];
		if (n == 0 || n >= sizeof(item)) {
			snprintf(err, errlen, n ? "a gate longer than 127 characters" : "an empty gate in '%s'", spec);
			return -EINVAL;
		}
		if (out->n == LT_MAX_GATES) {
			snprintf(err, errlen, "at most %d gates", LT_MAX_GATES);
			return -EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		if (parse_one(item, &out->v[out->n], err, errlen) != 0)
			return -EINVAL;
		out->n++;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

int lt_gate_holds(const struct lt_gate *g, const struct lt_comparison *c, char *why, size_t whylen)
{
	why[0] = '\0';
	if (g->figure < 0) {
		int n = 0;
		const struct lt_finding *first = NULL;
		for (size_t i = 0; i < c->n_findings; i++)
			if (c->findings[i].state == LT_FINDING_NEW && c->findings[i].new->severity >= g->min_severity) {
				if (!first)
					first = c->findings[i].new;
				n++;
			}
		if (n) {
			char at[1100] = "";
			if (first->file)
				snprintf(at, sizeof(at), " at %.1024s:%lld", first->file, (long long)first->line);
			snprintf(why, whylen, "%s: %d new finding%s, first %s %s%s", g->text, n, n > 1 ? "s" : "",
				 lt_severity_name(first->severity), first->kind, at);
		}
		return n > 0;
	}
	double b = c->base[g->figure], v = c->new[g->figure];
	int holds;
	switch (g->how) {
	case LT_GATE_REL: holds = b > 0 ? (v - b) / b * 100.0 > g->amount : v > b; break;
	case LT_GATE_ABS_DELTA: holds = v - b > g->amount; break;
	default: holds = v > g->amount; break;
	}
	if (holds) {
		if (b > 0)
			snprintf(why, whylen, "%s: %s went from %.4g to %.4g (%+.1f%%)", g->text, lt_figure_name(g->figure), b,
				 v, (v - b) / b * 100.0);
		else
			snprintf(why, whylen, "%s: %s went from %.4g to %.4g", g->text, lt_figure_name(g->figure), b, v);
	}
	return holds;
}
