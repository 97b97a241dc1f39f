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
	lt_json_key_int(j, "count", p->count);
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

void lt_report_json_finding(struct lt_json *j, const struct lt_finding *f)
{
	lt_json_begin_object(j);
	lt_json_key_cstring(j, "kind", f->kind);
	lt_json_key_cstring(j, "severity", lt_severity_name(f->severity));
	lt_json_key_cstring(j, "message", f->message ? f->message : "");
	lt_json_key_cstring(j, "fix", f->fix ? f->fix : "");
	lt_json_key(j, "location");
	if (f->file) {
		lt_json_begin_object(j);
		lt_json_key_cstring(j, "file", f->file);
		lt_json_key_int(j, "line", f->line);
		lt_json_key_int(j, "column", f->column);
		lt_json_key_cstring(j, "function", f->function && f->function[0] ? f->function : NULL);
		lt_json_end_object(j);
	} else {
		lt_json_null(j);
	}
	if (f->location_note) {
		lt_json_key_cstring(j, "location_note", f->location_note);
	}
	if (f->library_file) {
		lt_json_key(j, "library_location");
		lt_json_begin_object(j);
		lt_json_key_cstring(j, "file", f->library_file);
		lt_json_key_int(j, "line", f->library_line);
		lt_json_key_int(j, "column", f->library_column);
		lt_json_key_cstring(j, "function", f->library_function && f->library_function[0] ? f->library_function : NULL);
		lt_json_key_cstring(j, "package", f->library_package);
		lt_json_end_object(j);
	}
	lt_json_key_int(j, "pid", f->pid);
	lt_json_key_int(j, "tid", f->tid);
	lt_json_key_cstring(j, "thread_name", f->thread_name);
	lt_json_key_cstring(j, "script", f->script);
	lt_report_json_fields(j, f);
	lt_json_end_object(j);
}

void lt_report_json_fields(struct lt_json *j, const struct lt_finding *f)
{
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
}

static void json_process(struct lt_json *j, const struct lt_analysis *a, const struct lt_process *p)
{
	lt_json_begin_object(j);
	lt_json_key_int(j, "pid", p->pid);
	lt_json_key_int(j, "ppid", p->ppid);
	lt_json_key_cstring(j, "command", p->argv[0] ? p->argv : NULL);
	lt_json_key_cstring(j, "script", p->script[0] ? p->script : NULL);
	lt_json_key(j, "start_ms");
	lt_json_double(j, p->start_ms);
	lt_json_key(j, "end_ms");
	lt_json_double(j, p->end_ms);
	lt_json_key(j, "clean_exit");
	if (p->clean_exit < 0)
		lt_json_null(j);
	else
		lt_json_bool(j, p->clean_exit);
	lt_json_key_int(j, "js_threads", p->threads);
	lt_json_key_cstring(j, "exec_path", p->exec_path[0] ? p->exec_path : NULL);
	if (p->exec_path[0]) {
		lt_json_key(j, "exec_after_ms");
		lt_json_double(j, p->exec_after_ms);
	}
	size_t n = 0;
	const struct lt_finding *top = NULL;
	for (size_t k = 0; k < a->findings.n; k++)
		if (a->findings.items[k].pid == p->pid && n++ == 0)
			top = &a->findings.items[k];
	lt_json_key_int(j, "findings", (int64_t)n);
	lt_json_key(j, "top_finding");
	if (top) {
		lt_json_begin_object(j);
		lt_json_key_cstring(j, "kind", top->kind);
		lt_json_key_cstring(j, "severity", lt_severity_name(top->severity));
		lt_json_end_object(j);
	} else {
		lt_json_null(j);
	}
	lt_json_end_object(j);
}

static void json_batch(struct lt_json *j, const struct lt_metrics *m)
{
	lt_json_key(j, "busy_by_queue_ms");
	lt_json_begin_object(j);
	for (int q = 0; q < LT_QUEUE_COUNT; q++) {
		lt_json_key(j, lt_queue_name((enum lt_queue)q));
		lt_json_double(j, m->busy_by_queue_ms[q]);
	}
	lt_json_end_object(j);
	lt_json_key(j, "hottest_callbacks");
	lt_json_begin_array(j);
	for (size_t i = 0; i < m->n_hottest; i++) {
		const struct lt_hot_site *h = &m->hottest[i];
		lt_json_begin_object(j);
		lt_json_key_cstring(j, "file", h->file);
		lt_json_key_int(j, "line", h->line);
		lt_json_key_int(j, "column", h->column);
		lt_json_key_cstring(j, "function", h->function[0] ? h->function : NULL);
		lt_json_key_int(j, "count", h->count);
		lt_json_key(j, "total_ms");
		lt_json_double(j, h->total_ms);
		lt_json_end_object(j);
	}
	lt_json_end_array(j);
}

/* "incomplete": null, or what the recording dropped and where. */
static void json_incomplete(struct lt_json *j, const struct lt_losses *l)
{
	lt_json_key(j, "incomplete");
	if (l->dropped_events <= 0) {
		lt_json_null(j);
		return;
	}
	lt_json_begin_object(j);
	lt_json_key_int(j, "dropped_events", l->dropped_events);
	lt_json_key_int(j, "threads", l->threads);
	lt_json_key_cstring(j, "reasons", l->reasons);
	lt_json_key(j, "gaps");
	lt_json_begin_array(j);
	for (size_t i = 0; i < l->n_gaps; i++) {
		const struct lt_loss_gap *g = &l->gaps[i];
		lt_json_begin_object(j);
		lt_json_key_int(j, "pid", g->pid);
		lt_json_key_int(j, "tid", g->tid);
		lt_json_key_int(j, "begin_ns", g->begin_ns);
		lt_json_key_int(j, "end_ns", g->end_ns);
		lt_json_key_int(j, "dropped_events", g->events);
		lt_json_end_object(j);
	}
	lt_json_end_array(j);
	lt_json_end_object(j);
}

void lt_report_json(FILE *out, const struct lt_analysis *a)
{
	struct lt_json j;
	const struct lt_metrics *m = &a->metrics;
	int batch = m->mode == LT_MODE_BATCH;
	lt_json_init(&j, out);
	lt_json_begin_object(&j);
	lt_json_key(&j, "findings");
	lt_json_begin_array(&j);
	for (size_t i = 0; i < a->findings.n; i++)
		lt_report_json_finding(&j, &a->findings.items[i]);
	lt_json_end_array(&j);
	lt_json_key(&j, "processes");
	lt_json_begin_array(&j);
	for (size_t i = 0; i < a->processes.n; i++)
		json_process(&j, a, &a->processes.items[i]);
	lt_json_end_array(&j);
	json_incomplete(&j, &a->losses);
	lt_json_key(&j, "metrics");
	lt_json_begin_object(&j);
	lt_json_key(&j, "pid");
	lt_json_int(&j, m->pid);
	lt_json_key(&j, "tid");
	lt_json_int(&j, m->tid);
	lt_json_key(&j, "mode");
	lt_json_cstring(&j, batch ? "batch" : "service");
	lt_json_key(&j, "startup_ms");
	lt_json_double(&j, m->startup_ms);
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
	if (batch) { /* never waited: lag means nothing, the busy time does */
		lt_json_key(&j, "event_loop_lag");
		lt_json_null(&j);
		json_batch(&j, m);
	} else {
		json_percentiles(&j, "event_loop_lag", &m->lag);
	}
	if (m->attached || m->threadpool_recorded) {
		/* {"capture": "bpf", "threadpool": {...}}; recorded: the threadpool
		 * with "timed_items", "by_kind" and "done" besides */
		if (m->attached) {
			lt_json_key(&j, "capture");
			lt_json_cstring(&j, "bpf");
		}
		lt_json_key(&j, "threadpool");
		lt_json_begin_object(&j);
		lt_json_key(&j, "items");
		lt_json_int(&j, m->threadpool_items);
		if (m->threadpool_recorded) {
			lt_json_key(&j, "timed_items");
			lt_json_int(&j, m->threadpool_timed);
			lt_json_key(&j, "by_kind");
			lt_json_cstring(&j, m->threadpool_kinds);
		}
		const struct lt_percentiles *tp[3] = {&m->threadpool_wait, &m->threadpool_run, &m->threadpool_done};
		const char *keys[3] = {"queue_wait", "run", "done"};
		for (int k = 0; k < (m->threadpool_recorded ? 3 : 2); k++) {
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
	for (int k = 0; k < LT_LAG_BUCKETS && !batch; k++) {
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

static const struct lt_process *process_of(const struct lt_analysis *a, int64_t pid)
{
	for (size_t i = 0; i < a->processes.n; i++)
		if (a->processes.items[i].pid == pid)
			return &a->processes.items[i];
	return NULL;
}

/* "node src/app.js" as started, else its script. */
static const char *command_of(const struct lt_process *p)
{
	return p->argv[0] ? p->argv : p->script[0] ? p->script : "(unknown)";
}

static void text_finding(FILE *o, const struct lt_finding *f, int colour)
{
	static const char *const sev_colour[] = {"\033[36m", "\033[33m", "\033[31m"};
	const char *bold = colour ? "\033[1m" : "", *reset = colour ? "\033[0m" : "";
	/* Every process pays its startup: an ordinary one takes one line. */
	if (f->severity == LT_SEV_INFO && !strcmp(f->kind, "startup")) {
		fprintf(o, "\n%s%-7s%s %s%s%s: ", colour ? sev_colour[f->severity] : "", "info", reset, bold, f->kind,
			reset);
		put_safe(o, f->message);
		fputc('\n', o);
		return;
	}
	fprintf(o, "\n%s%-7s%s %s%s%s", colour ? sev_colour[f->severity] : "", lt_severity_name(f->severity),
		reset, bold, f->kind, reset);
	if (f->thread_name && strcmp(f->thread_name, "main") != 0) {
		fputs(" (thread ", o);
		put_safe(o, f->thread_name);
		fprintf(o, ", tid %lld)", (long long)f->tid);
	}
	fputs("\n  ", o);
	put_safe(o, f->message);
	fputc('\n', o);
	if (f->file) {
		fputs("  at ", o);
		if (f->function && f->function[0]) {
			put_safe(o, f->function);
			fputs(" (", o);
		}
		put_safe(o, f->file);
		/* column 0: a native-code sample knows the line only */
		fprintf(o, ":%lld", (long long)f->line);
		if (f->column > 0)
			fprintf(o, ":%lld", (long long)f->column);
		fputs(f->function && f->function[0] ? ")\n" : "\n", o);
	} else if (f->location_note) {
		fputs("  no location in the program's code: ", o);
		put_safe(o, f->location_note);
		fputc('\n', o);
	}
	if (f->library_file) {
		fputs("  in ", o);
		put_safe(o, f->library_package ? f->library_package : "a library");
		fputs(" (", o);
		if (f->library_function && f->library_function[0]) {
			put_safe(o, f->library_function);
			fputs(", ", o);
		}
		put_safe(o, f->library_file);
		fprintf(o, ":%lld)", (long long)f->library_line);
		if (f->file) {
			fputs(", called from ", o);
			put_safe(o, f->file);
			fprintf(o, ":%lld", (long long)f->line);
		}
		fputc('\n', o);
	}
	if (f->fix && f->fix[0]) {
		fputs("  fix: ", o);
		put_safe(o, f->fix);
		fputc('\n', o);
	}
}

/* One line per process: what it ran, how long, how it ended, its top finding. */
static void process_table(FILE *o, const struct lt_analysis *a, const char *bold, const char *reset)
{
	fprintf(o, "%s%zu processes%s\n", bold, a->processes.n, reset);
	fprintf(o, "  %-8s %-40s %-19s %-8s %s\n", "pid", "command", "lifetime", "exit", "top finding");
	for (size_t i = 0; i < a->processes.n; i++) {
		const struct lt_process *p = &a->processes.items[i];
		const struct lt_finding *top = NULL;
		for (size_t k = 0; k < a->findings.n && !top; k++) /* ranked: the first is the top */
			if (a->findings.items[k].pid == p->pid)
				top = &a->findings.items[k];
		char cmd[41], life[40];
		snprintf(cmd, sizeof(cmd), "%.40s", command_of(p));
		snprintf(life, sizeof(life), "%.0f-%.0f ms", p->start_ms, p->end_ms);
		fprintf(o, "  %-8lld ", (long long)p->pid);
		lt_put_safe(o, cmd, strlen(cmd));
		for (size_t pad = strlen(cmd); pad < 40; pad++)
			fputc(' ', o);
		fprintf(o, " %-19s %-8s ", life,
			p->exec_path[0] ? "exec" : p->clean_exit == 1 ? "clean" : p->clean_exit == 0 ? "killed" : "?");
		if (top)
			fprintf(o, "%s %s", lt_severity_name(top->severity), top->kind);
		else
			fputs("-", o);
		fputc('\n', o);
	}
}

static void process_header(FILE *o, const struct lt_process *p, const char *bold, const char *reset)
{
	fprintf(o, "\n%sprocess %lld ", bold, (long long)p->pid);
	put_safe(o, command_of(p));
	fprintf(o, " (main thread%s), %.1f s%s\n", p->threads > 1 ? " and workers" : "",
		(p->end_ms - p->start_ms) / 1000.0, reset);
	if (p->exec_path[0]) {
		fprintf(o, "  process %lld became ", (long long)p->pid);
		put_safe(o, p->exec_path);
		fprintf(o, " (native); not traced after %.0f ms\n", p->exec_after_ms);
	}
}

static void text_metrics(FILE *o, const struct lt_metrics *m, const char *bold, const char *reset)
{
	fprintf(o, "\n%sMetrics%s (pid %lld%s)\n", bold, reset, (long long)m->pid,
		m->mode == LT_MODE_BATCH ? ", batch run" : "");
	fprintf(o, "  wall %.1f ms, busy %.1f ms, idle in poll %.1f ms, utilization %.0f%%\n", m->wall_ms,
		m->busy_ms, m->idle_ms, 100.0 * m->utilization);
	fprintf(o, "  %lld iterations, %lld dispatches:", (long long)m->iterations, (long long)m->dispatches);
	for (int q = 0; q < LT_QUEUE_COUNT; q++)
		if (m->by_queue[q])
			fprintf(o, " %s %lld", lt_queue_name((enum lt_queue)q), (long long)m->by_queue[q]);
	fputc('\n', o);
	if (m->mode == LT_MODE_BATCH) {
		if (m->idle_ms < 0.01 * m->wall_ms)
			fputs("  batch run: never waited for I/O, so no event-loop lag; busy time by queue:", o);
		else
			fprintf(o, "  batch run: waited for I/O only %.0f%% of the time, so no event-loop lag; busy time by queue:",
				m->wall_ms > 0 ? 100.0 * m->idle_ms / m->wall_ms : 0.0);
		for (int q = 0; q < LT_QUEUE_COUNT; q++)
			if (m->busy_by_queue_ms[q] >= 0.05)
				fprintf(o, " %s %.1f ms", lt_queue_name((enum lt_queue)q), m->busy_by_queue_ms[q]);
		fputc('\n', o);
		for (size_t i = 0; i < m->n_hottest; i++) {
			const struct lt_hot_site *h = &m->hottest[i];
			fprintf(o, "  %s %.1f ms in %lld callbacks scheduled at ", i ? "          " : "hottest:",
				h->total_ms, (long long)h->count);
			if (h->function[0]) {
				put_safe(o, h->function);
				fputs(" (", o);
			}
			put_safe(o, h->file);
			fprintf(o, ":%lld%s\n", (long long)h->line, h->function[0] ? ")" : "");
		}
	} else {
		fprintf(o, "  event-loop lag (%.0f ms sampling): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			LT_LAG_RESOLUTION_MS, m->lag.p50_ms, m->lag.p90_ms, m->lag.p99_ms, m->lag.max_ms);
	}
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
	if (m->threadpool_recorded) {
		fprintf(o, "  threadpool: %lld items (%s), submitted to done callback p50 %.2f / p99 %.2f / max %.1f ms\n",
			(long long)m->threadpool_items, m->threadpool_kinds, m->threadpool_done.p50_ms,
			m->threadpool_done.p99_ms, m->threadpool_done.max_ms);
		if (m->threadpool_timed)
			fprintf(o,
				"  threadpool uv_queue_work: %lld items, queue wait p50 %.2f / p99 %.2f / max %.1f ms,"
				" run p50 %.2f / p99 %.2f / max %.1f ms\n",
				(long long)m->threadpool_timed, m->threadpool_wait.p50_ms, m->threadpool_wait.p99_ms,
				m->threadpool_wait.max_ms, m->threadpool_run.p50_ms, m->threadpool_run.p99_ms,
				m->threadpool_run.max_ms);
	}
}

void lt_report_text(FILE *o, const struct lt_analysis *a, int colour)
{
	const char *bold = colour ? "\033[1m" : "", *reset = colour ? "\033[0m" : "";
	if (a->losses.dropped_events > 0) {
		char what[1024];
		lt_losses_describe(&a->losses, what, sizeof(what));
		fprintf(o, "%sTrace incomplete:%s %s; findings there may be missing.\n\n", bold, reset, what);
	}
	if (a->processes.n > 1) {
		process_table(o, a, bold, reset);
		fputc('\n', o);
	}
	if (!a->findings.n)
		fprintf(o, "%sNo findings.%s\n", bold, reset);
	else
		fprintf(o, "%s%zu finding%s, most impact first%s\n", bold, a->findings.n,
			a->findings.n == 1 ? "" : "s", reset);
	/* Grouped by process (in start order), ranked within each. */
	for (size_t i = 0; i < a->processes.n; i++) {
		const struct lt_process *p = &a->processes.items[i];
		size_t mine = 0;
		for (size_t k = 0; k < a->findings.n; k++)
			mine += a->findings.items[k].pid == p->pid;
		if (!mine && !p->exec_path[0])
			continue;
		process_header(o, p, bold, reset);
		for (size_t k = 0; k < a->findings.n; k++)
			if (a->findings.items[k].pid == p->pid)
				text_finding(o, &a->findings.items[k], colour);
	}
	/* Findings of a process the threads table does not know (a damaged trace). */
	for (size_t k = 0; k < a->findings.n; k++)
		if (!process_of(a, a->findings.items[k].pid))
			text_finding(o, &a->findings.items[k], colour);
	text_metrics(o, &a->metrics, bold, reset);
}
