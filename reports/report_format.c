/*
 * report_format.c — findings and metrics as text or JSON.
 */
#include "report_format.h"

#include <string.h>

#include "../analyzer/queue.h"
#include "json.h"
#include "text.h"

/* --- JSON --- */

static void json_percentiles(struct lt_json *j, const char *key, const struct lt_percentiles *p)
{
	lt_json_key(j, key);
	lt_json_begin_object(j);
	lt_json_key(j, "count");
	lt_json_int(j, p->count);
	lt_json_key(j, "p50_ms");
	lt_json_double(j, p->p50_ms);
	lt_json_key(j, "p90_ms");
	lt_json_double(j, p->p90_ms);
	lt_json_key(j, "p99_ms");
	lt_json_double(j, p->p99_ms);
	lt_json_key(j, "max_ms");
	lt_json_double(j, p->max_ms);
	lt_json_key(j, "mean_ms");
	lt_json_double(j, p->mean_ms);
	lt_json_end_object(j);
}

static void json_finding(struct lt_json *j, const struct lt_finding *f)
{
	lt_json_begin_object(j);
	lt_json_key(j, "kind");
	lt_json_cstring(j, f->kind);
	lt_json_key(j, "severity");
	lt_json_cstring(j, lt_severity_name(f->severity));
	lt_json_key(j, "message");
	lt_json_cstring(j, f->message ? f->message : "");
	lt_json_key(j, "fix");
	lt_json_cstring(j, f->fix ? f->fix : "");
	lt_json_key(j, "location");
	if (f->file) {
		lt_json_begin_object(j);
		lt_json_key(j, "file");
		lt_json_cstring(j, f->file);
		lt_json_key(j, "line");
		lt_json_int(j, f->line);
		lt_json_key(j, "column");
		lt_json_int(j, f->column);
		lt_json_key(j, "function");
		lt_json_cstring(j, f->function && f->function[0] ? f->function : NULL);
		lt_json_end_object(j);
	} else {
		lt_json_null(j);
	}
	if (f->location_note) {
		lt_json_key(j, "location_note");
		lt_json_cstring(j, f->location_note);
	}
	if (f->library_file) {
		lt_json_key(j, "library_location");
		lt_json_begin_object(j);
		lt_json_key(j, "file");
		lt_json_cstring(j, f->library_file);
		lt_json_key(j, "line");
		lt_json_int(j, f->library_line);
		lt_json_key(j, "column");
		lt_json_int(j, f->library_column);
		lt_json_key(j, "function");
		lt_json_cstring(j, f->library_function && f->library_function[0] ? f->library_function : NULL);
		lt_json_key(j, "package");
		lt_json_cstring(j, f->library_package);
		lt_json_end_object(j);
	}
	lt_json_key(j, "pid");
	lt_json_int(j, f->pid);
	lt_json_key(j, "tid");
	lt_json_int(j, f->tid);
	lt_json_key(j, "thread_name");
	lt_json_cstring(j, f->thread_name);
	lt_json_key(j, "script");
	lt_json_cstring(j, f->script);
	for (size_t k = 0; k < f->n_fields; k++) {
		const struct lt_field *x = &f->fields[k];
		lt_json_key(j, x->key);
		switch (x->kind) {
		case LT_FIELD_NUMBER: lt_json_double(j, x->number); break;
		case LT_FIELD_INT: lt_json_int(j, x->integer); break;
		case LT_FIELD_BOOL: lt_json_bool(j, (int)x->integer); break;
		case LT_FIELD_TEXT: lt_json_cstring(j, x->text); break;
		}
	}
	lt_json_end_object(j);
}

void lt_report_json(FILE *out, const struct lt_analysis *a)
{
	struct lt_json j;
	const struct lt_metrics *m = &a->metrics;
	lt_json_init(&j, out);
	lt_json_begin_object(&j);
	lt_json_key(&j, "findings");
	lt_json_begin_array(&j);
	for (size_t i = 0; i < a->findings.n; i++)
		json_finding(&j, &a->findings.items[i]);
	lt_json_end_array(&j);
	lt_json_key(&j, "metrics");
	lt_json_begin_object(&j);
	lt_json_key(&j, "pid");
	lt_json_int(&j, m->pid);
	lt_json_key(&j, "tid");
	lt_json_int(&j, m->tid);
	lt_json_key(&j, "wall_ms");
	lt_json_double(&j, m->wall_ms);
	lt_json_key(&j, "busy_ms");
	lt_json_double(&j, m->busy_ms);
	lt_json_key(&j, "idle_ms");
	lt_json_double(&j, m->idle_ms);
	lt_json_key(&j, "event_loop_utilization");
	lt_json_double(&j, m->utilization);
	lt_json_key(&j, "iterations");
	lt_json_int(&j, m->iterations);
	lt_json_key(&j, "dispatches");
	lt_json_int(&j, m->dispatches);
	lt_json_key(&j, "dispatches_by_queue");
	lt_json_begin_object(&j);
	for (int q = 0; q < LT_QUEUE_COUNT; q++) {
		lt_json_key(&j, lt_queue_name((enum lt_queue)q));
		lt_json_int(&j, m->by_queue[q]);
	}
	lt_json_end_object(&j);
	json_percentiles(&j, "event_loop_lag", &m->lag);
	if (m->attached) { /* {"capture": "bpf", "threadpool": {...}} */
		lt_json_key(&j, "capture");
		lt_json_cstring(&j, "bpf");
		lt_json_key(&j, "threadpool");
		lt_json_begin_object(&j);
		lt_json_key(&j, "items");
		lt_json_int(&j, m->threadpool_items);
		const struct lt_percentiles *tp[2] = {&m->threadpool_wait, &m->threadpool_run};
		const char *keys[2] = {"queue_wait", "run"};
		for (int k = 0; k < 2; k++) {
			lt_json_key(&j, keys[k]);
			lt_json_begin_object(&j);
			lt_json_key(&j, "p50_ms");
			lt_json_double(&j, tp[k]->p50_ms);
			lt_json_key(&j, "p99_ms");
			lt_json_double(&j, tp[k]->p99_ms);
			lt_json_key(&j, "max_ms");
			lt_json_double(&j, tp[k]->max_ms);
			lt_json_end_object(&j);
		}
		lt_json_end_object(&j);
	}
	lt_json_key(&j, "event_loop_lag_histogram"); /* [{"le_ms": bound or null, "count"}] */
	lt_json_begin_array(&j);
	for (int k = 0; k < LT_LAG_BUCKETS; k++) {
		lt_json_begin_object(&j);
		lt_json_key(&j, "le_ms");
		if (k < LT_LAG_BUCKETS - 1)
			lt_json_double(&j, lt_lag_bucket_ms[k]);
		else
			lt_json_null(&j);
		lt_json_key(&j, "count");
		lt_json_int(&j, m->lag_histogram[k]);
		lt_json_end_object(&j);
	}
	lt_json_end_array(&j);
	json_percentiles(&j, "timer_lateness", &m->timer_lateness);
	json_percentiles(&j, "iteration_busy", &m->iteration_busy);
	lt_json_end_object(&j);
	lt_json_end_object(&j);
	fputc('\n', out);
}

/* --- text --- */

static void put_safe(FILE *o, const char *s)
{
	if (s)
		lt_put_safe(o, s, strlen(s));
}

void lt_report_text(FILE *o, const struct lt_analysis *a, int colour)
{
	static const char *const sev_colour[] = {"\033[36m", "\033[33m", "\033[31m"};
	const char *bold = colour ? "\033[1m" : "", *reset = colour ? "\033[0m" : "";
	const struct lt_metrics *m = &a->metrics;
	if (!a->findings.n)
		fprintf(o, "%sNo findings.%s\n", bold, reset);
	else
		fprintf(o, "%s%zu finding%s, most impact first%s\n", bold, a->findings.n,
			a->findings.n == 1 ? "" : "s", reset);
	for (size_t i = 0; i < a->findings.n; i++) {
		const struct lt_finding *f = &a->findings.items[i];
		fprintf(o, "\n%s%-7s%s %s%s%s\n", colour ? sev_colour[f->severity] : "",
			lt_severity_name(f->severity), reset, bold, f->kind, reset);
		fputs("  ", o);
		put_safe(o, f->message);
		fputc('\n', o);
		if (f->file) {
			fputs("  at ", o);
			if (f->function && f->function[0]) {
				put_safe(o, f->function);
				fputs(" (", o);
			}
			put_safe(o, f->file);
			fprintf(o, ":%lld:%lld%s\n", (long long)f->line, (long long)f->column,
				f->function && f->function[0] ? ")" : "");
		}
		if (f->fix && f->fix[0]) {
			fputs("  fix: ", o);
			put_safe(o, f->fix);
			fputc('\n', o);
		}
	}
	fprintf(o, "\n%sMetrics%s (pid %lld)\n", bold, reset, (long long)m->pid);
	fprintf(o, "  wall %.1f ms, busy %.1f ms, idle in poll %.1f ms, utilization %.0f%%\n", m->wall_ms,
		m->busy_ms, m->idle_ms, 100.0 * m->utilization);
	fprintf(o, "  %lld iterations, %lld dispatches:", (long long)m->iterations, (long long)m->dispatches);
	for (int q = 0; q < LT_QUEUE_COUNT; q++)
		if (m->by_queue[q])
			fprintf(o, " %s %lld", lt_queue_name((enum lt_queue)q), (long long)m->by_queue[q]);
	fputc('\n', o);
	fprintf(o, "  event-loop lag (%.0f ms sampling): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		LT_LAG_RESOLUTION_MS, m->lag.p50_ms, m->lag.p90_ms, m->lag.p99_ms, m->lag.max_ms);
	if (m->timer_lateness.count)
		fprintf(o, "  timer lateness (%lld timers): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			(long long)m->timer_lateness.count, m->timer_lateness.p50_ms,
			m->timer_lateness.p99_ms, m->timer_lateness.max_ms);
	if (m->iteration_busy.count)
		fprintf(o, "  busy per iteration: p50 %.2f ms, p99 %.2f ms, max %.1f ms\n",
			m->iteration_busy.p50_ms, m->iteration_busy.p99_ms, m->iteration_busy.max_ms);
	if (m->attached && m->threadpool_items == 0)
		fputs("  attached with eBPF: no threadpool work seen\n", o);
	else if (m->attached)
		fprintf(o,
			"  attached with eBPF: %lld threadpool items, queue wait p50 %.2f / p99 %.2f / max %.1f ms,"
			" run p50 %.2f / p99 %.2f / max %.1f ms\n",
			(long long)m->threadpool_items, m->threadpool_wait.p50_ms, m->threadpool_wait.p99_ms,
			m->threadpool_wait.max_ms, m->threadpool_run.p50_ms, m->threadpool_run.p99_ms,
			m->threadpool_run.max_ms);
}
