/*
 * html_report.c — the HTML report page, section by section.
 */
#include "html_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/marks.h"
#include "../analyzer/queue.h"
#include "../analyzer/source.h"
#include "../analyzer/store.h"
#include "html.h"
#include "html_charts.h"
#include "html_steps.h"

/* cmake/embed.cmake compiles these in from reports/html/. */
extern const char lt_html_css[];
extern const char lt_html_js[];

#define CONTEXT_LINES 3

static void head(FILE *o, const char *nonce, const char *command)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", o);
	fprintf(o,
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';"
		" img-src data:; script-src 'nonce-%s'\">\n",
		nonce);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", o);
	fputs("<meta name=\"generator\" content=\"looptrace\">\n<title>looptrace report", o);
	if (*command) {
		fputs(": ", o);
		lt_html_cstr(o, command);
	}
	fputs("</title>\n<style>\n", o);
	fputs(lt_html_css, o);
	fputs("</style>\n</head>\n", o);
}

static void banner(FILE *o, const char *trace_name, const char *command, const char *exit_status)
{
	fputs("<body>\n<header>\n<h1>looptrace report</h1>\n<p class=\"command\">", o);
	if (*command)
		lt_html_cstr(o, command);
	else
		fputs("(command line not recorded)", o);
	fputs("</p>\n<p class=\"trace\">trace <code>", o);
	lt_html_cstr(o, trace_name);
	fputs("</code>", o);
	if (*exit_status) {
		fputs(" &#183; exit status ", o);
		lt_html_cstr(o, exit_status);
	}
	fputs("</p>\n<nav><a href=\"#summary\">Summary</a> <a href=\"#findings\">Findings</a>"
	      " <a href=\"#lag\">Lag</a> <a href=\"#iterations\">Iterations</a> <a href=\"#timeline-section\">Timeline</a>"
	      " <a href=\"#steps\">Step-through</a></nav>\n</header>\n<main>\n",
	      o);
}

static void card(FILE *o, const char *id, const char *label, const char *value_fmt, double v, const char *cls)
{
	fprintf(o, "<div class=\"card %s\" id=\"metric-%s\"><div class=\"label\">%s</div><div class=\"value\">", cls, id,
		label);
	fprintf(o, value_fmt, v);
	fputs("</div></div>\n", o);
}

static void summary(FILE *o, const struct lt_analysis *a)
{
	const struct lt_metrics *m = &a->metrics;
	size_t sev[3] = {0};
	for (size_t i = 0; i < a->findings.n; i++)
		sev[a->findings.items[i].severity]++;
	if (a->losses.dropped_events > 0) { /* where the recording dropped events */
		char what[1024];
		lt_losses_describe(&a->losses, what, sizeof(what));
		fputs("<section id=\"incomplete\"><p class=\"note\"><strong>Trace incomplete:</strong> ", o);
		lt_html_text(o, what, strlen(what));
		fputs("; findings there may be missing.</p></section>\n", o);
	}
	fprintf(o, "<section id=\"summary\">\n<h2>Summary</h2>\n<p>Measured on the busiest JavaScript thread: pid %lld",
		(long long)m->pid);
	if (m->tid != m->pid)
		fprintf(o, ", tid %lld", (long long)m->tid);
	fputs(m->mode == LT_MODE_BATCH ? "; a batch run: it never waited for I/O, so it has no event-loop lag."
					 : ".",
	      o);
	if (a->processes.n > 1)
		fprintf(o, " The trace holds %zu processes.", a->processes.n);
	fputs("</p>\n<div class=\"cards\">\n", o);
	card(o, "findings", "findings (error / warning / info)", "%.0f", (double)a->findings.n,
	     sev[LT_SEV_ERROR] ? "bad" : sev[LT_SEV_WARNING] ? "warn" : "ok");
	fprintf(o, "<div class=\"card sub\"><div class=\"label\">by severity</div><div class=\"value\">%zu / %zu / %zu</div></div>\n",
		sev[LT_SEV_ERROR], sev[LT_SEV_WARNING], sev[LT_SEV_INFO]);
	card(o, "wall", "wall time", "%.1f ms", m->wall_ms, "");
	card(o, "busy", "busy in callbacks", "%.1f ms", m->busy_ms, "");
	card(o, "idle", "idle in poll", "%.1f ms", m->idle_ms, "");
	card(o, "utilization", "loop utilization", "%.0f%%", 100.0 * m->utilization,
	     m->utilization > 0.9 ? "warn" : "");
	card(o, "iterations", "loop iterations", "%.0f", (double)m->iterations, "");
	card(o, "dispatches", "dispatches", "%.0f", (double)m->dispatches, "");
	if (m->mode == LT_MODE_BATCH) { /* never waited for I/O: lag means nothing */
		card(o, "startup", "startup (main module)", "%.1f ms", m->startup_ms, "");
	} else {
		card(o, "lag-p99", "lag p99", "%.1f ms", m->lag.p99_ms,
		     m->lag.p99_ms >= 50 ? "bad" : m->lag.p99_ms >= 10 ? "warn" : "ok");
		card(o, "lag-max", "lag max", "%.1f ms", m->lag.max_ms, m->lag.max_ms >= 50 ? "bad" : "");
	}
	if (m->timer_lateness.count)
		card(o, "timer-late-p99", "timer lateness p99", "%.1f ms", m->timer_lateness.p99_ms,
		     m->timer_lateness.p99_ms >= 10 ? "warn" : "");
	if (m->attached) {
		card(o, "threadpool-items", "threadpool items (attached)", "%.0f", (double)m->threadpool_items, "");
		card(o, "threadpool-wait-p99", "threadpool queue wait p99", "%.1f ms", m->threadpool_wait.p99_ms,
		     m->threadpool_wait.p99_ms >= 10 ? "warn" : "");
	}
	if (m->threadpool_recorded) {
		card(o, "threadpool-items", "threadpool items", "%.0f", (double)m->threadpool_items, "");
		card(o, "threadpool-done-p99", "threadpool submitted to done p99", "%.1f ms", m->threadpool_done.p99_ms,
		     m->threadpool_done.p99_ms >= 10 ? "warn" : "");
	}
	fputs("</div>\n<table class=\"queues\"><caption>dispatches by queue</caption><tr>", o);
	for (int q = 0; q < LT_QUEUE_COUNT; q++)
		fprintf(o, "<th><span class=\"swatch q-%s\"></span>%s</th>", lt_queue_name((enum lt_queue)q),
			lt_queue_name((enum lt_queue)q));
	fputs("</tr><tr>", o);
	for (int q = 0; q < LT_QUEUE_COUNT; q++)
		fprintf(o, "<td>%lld</td>", (long long)m->by_queue[q]);
	fputs("</tr></table>\n</section>\n", o);
}

struct context {
	FILE *out;
	int64_t line;
};

static int context_line(void *ctx, int64_t no, const char *text, size_t len)
{
	struct context *c = ctx;
	fprintf(c->out, "<span class=\"line%s\"><span class=\"no\">%lld</span>", no == c->line ? " here" : "",
		(long long)no);
	lt_html_text(c->out, text, len);
	fputs("</span>", c->out); /* display: block; a newline would add a blank line */
	return 0;
}

static void code_context(FILE *o, const struct lt_finding *f)
{
	if (!f->file || f->line < 1)
		return;
	/* Buffer the excerpt: nothing is written when the file is unreadable. */
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return;
	struct context c = {.out = m, .line = f->line};
	int64_t first = f->line > CONTEXT_LINES ? f->line - CONTEXT_LINES : 1;
	int n = lt_source_lines(f->file, first, f->line + CONTEXT_LINES, context_line, &c);
	fclose(m);
	if (n > 0) {
		fputs("<pre class=\"code\">", o);
		fwrite(buf, 1, len, o);
		fputs("</pre>\n", o);
	}
	free(buf);
}

static void field_value(FILE *o, const struct lt_field *x)
{
	switch (x->kind) {
	case LT_FIELD_NUMBER: fprintf(o, "%.3g", x->number); break;
	case LT_FIELD_INT: fprintf(o, "%lld", (long long)x->integer); break;
	case LT_FIELD_BOOL: fputs(x->integer ? "yes" : "no", o); break;
	case LT_FIELD_TEXT: lt_html_cstr(o, x->text); break;
	}
}

static void findings(FILE *o, const struct lt_analysis *a)
{
	fprintf(o, "<section id=\"findings\">\n<h2>Findings <span class=\"count\">%zu</span></h2>\n", a->findings.n);
	if (!a->findings.n)
		fputs("<p class=\"none\">No findings: no long tasks, unhandled rejections, leaked handles or "
		      "sequential awaits in this trace.</p>\n",
		      o);
	for (size_t i = 0; i < a->findings.n; i++) {
		const struct lt_finding *f = &a->findings.items[i];
		const char *sev = lt_severity_name(f->severity);
		fprintf(o, "<article class=\"finding sev-%s\" id=\"finding-%zu\" data-kind=\"%s\">\n", sev, i + 1, f->kind);
		fprintf(o, "<h3><span class=\"badge sev-%s\">%s</span> %s</h3>\n<p class=\"message\">", sev, sev, f->kind);
		lt_html_cstr(o, f->message);
		fputs("</p>\n", o);
		if (f->file) {
			fputs("<p class=\"where\">at ", o);
			if (f->function && f->function[0]) {
				fputs("<code class=\"function\">", o);
				lt_html_cstr(o, f->function);
				fputs("</code> in ", o);
			}
			fputs("<code class=\"location\">", o);
			lt_html_cstr(o, f->file);
			fprintf(o, ":%lld:%lld</code>", (long long)f->line, (long long)f->column);
			fputs("</p>\n", o);
			code_context(o, f);
		} else if (f->location_note) {
			fputs("<p class=\"where none\">No location in the program's code: ", o);
			lt_html_cstr(o, f->location_note);
			fputs("</p>\n", o);
		}
		if (f->library_file) {
			fputs("<p class=\"library\">in <code class=\"package\">", o);
			lt_html_cstr(o, f->library_package ? f->library_package : "a library");
			fputs("</code> (", o);
			if (f->library_function && f->library_function[0]) {
				fputs("<code class=\"function\">", o);
				lt_html_cstr(o, f->library_function);
				fputs("</code>, ", o);
			}
			fputs("<code class=\"location\">", o);
			lt_html_cstr(o, f->library_file);
			fprintf(o, ":%lld</code>)</p>\n", (long long)f->library_line);
		}
		fprintf(o, "<p class=\"process\">process %lld", (long long)f->pid);
		if (f->tid && f->tid != f->pid)
			fprintf(o, ", thread %lld", (long long)f->tid);
		if (f->thread_name) {
			fputs(" (", o);
			lt_html_cstr(o, f->thread_name);
			fputs(")", o);
		}
		if (f->script) {
			fputs(" &#183; <code>", o);
			lt_html_cstr(o, f->script);
			fputs("</code>", o);
		}
		fputs("</p>\n", o);
		if (f->fix && f->fix[0]) {
			fputs("<p class=\"fix\"><strong>Fix:</strong> ", o);
			lt_html_cstr(o, f->fix);
			fputs("</p>\n", o);
		}
		if (f->n_fields) {
			fputs("<dl class=\"figures\">", o);
			for (size_t k = 0; k < f->n_fields; k++) {
				fprintf(o, "<div><dt>%s</dt><dd>", f->fields[k].key);
				field_value(o, &f->fields[k]);
				fputs("</dd></div>", o);
			}
			fputs("</dl>\n", o);
		}
		fputs("</article>\n", o);
	}
	fputs("</section>\n", o);
}

static int charts(FILE *o, const struct lt_analysis *a, char *err, size_t errlen)
{
	const struct lt_metrics *m = &a->metrics;
	fputs("<section id=\"lag\">\n<h2>Event-loop lag</h2>\n", o);
	int rc = 0;
	if (m->mode == LT_MODE_BATCH) {
		fputs("<p>A batch run: the program never waited for I/O, so event-loop lag means nothing here. Busy time"
		      " by queue:",
		      o);
		for (int q = 0; q < LT_QUEUE_COUNT; q++)
			if (m->busy_by_queue_ms[q] >= 0.05)
				fprintf(o, " %s %.1f ms", lt_queue_name((enum lt_queue)q), m->busy_by_queue_ms[q]);
		fputs(".</p>\n", o);
		if (m->n_hottest) {
			fputs("<table class=\"hottest\"><caption>hottest callbacks (by where they were scheduled)</caption>"
			      "<tr><th>total</th><th>callbacks</th><th>scheduled at</th></tr>\n",
			      o);
			for (size_t i = 0; i < m->n_hottest; i++) {
				const struct lt_hot_site *h = &m->hottest[i];
				fprintf(o, "<tr><td>%.1f ms</td><td>%lld</td><td><code>", h->total_ms, (long long)h->count);
				lt_html_cstr(o, h->file);
				fprintf(o, ":%lld</code>", (long long)h->line);
				if (h->function[0]) {
					fputs(" <code class=\"function\">", o);
					lt_html_cstr(o, h->function);
					fputs("</code>", o);
				}
				fputs("</td></tr>\n", o);
			}
			fputs("</table>\n", o);
		}
	} else {
		fprintf(o,
			"<p>How late a %.0f ms timer would run, as <code>perf_hooks.monitorEventLoopDelay</code> measures it,"
			" replayed over the recorded iterations: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms.</p>\n",
			LT_LAG_RESOLUTION_MS, m->lag.p50_ms, m->lag.p90_ms, m->lag.p99_ms, m->lag.max_ms);
		rc = lt_html_lag_histogram(o, m);
	}
	fputs("</section>\n<section id=\"iterations\">\n<h2>Busy time per loop iteration</h2>\n", o);
	if (m->iteration_busy.count)
		fprintf(o, "<p>%lld iterations; busy p50 %.2f ms, p99 %.2f ms, max %.1f ms. Red: at least %.0f ms.</p>\n",
			(long long)m->iterations, m->iteration_busy.p50_ms, m->iteration_busy.p99_ms,
			m->iteration_busy.max_ms, a->opts.block_ms);
	rc = rc ? rc : lt_html_iteration_chart(o, a->db, m, a->opts.block_ms);
	fputs("</section>\n<section id=\"timeline-section\">\n<h2>Timeline</h2>\n", o);
	fprintf(o,
		"<p class=\"legend\">A lane per process, thread and queue; each box a callback the loop ran, placed by"
		" time. <span class=\"key long\"></span>at least %.0f ms <span class=\"key late\"></span>timer late by"
		" %.0f ms or more <span class=\"key rejection\"></span>rejection or uncaught exception"
		" <span class=\"key merged\"></span>several short callbacks merged. Click a box to open it in the"
		" step-through.</p>\n",
		a->opts.block_ms, LT_LATE_TIMER_MS);
	struct lt_timeline_stats st;
	rc = rc ? rc : lt_html_timeline(o, a->db, a->opts.block_ms, &st);
	if (rc == 0)
		fprintf(o,
			"<p class=\"note\" id=\"timeline-stats\" data-boxes=\"%lld\" data-dispatches=\"%lld\">%lld top-level"
			" dispatches in %lld boxes (%lld merged into shared boxes); %lld long, %lld late timers,"
			" %lld rejections%s.</p>\n",
			(long long)st.boxes, (long long)st.dispatches, (long long)st.dispatches, (long long)st.boxes,
			(long long)st.merged, (long long)st.long_tasks, (long long)st.late_timers,
			(long long)st.rejections, st.lanes_omitted ? "; some lanes left out (more than 64)" : "");
	fputs("</section>\n", o);
	if (rc != 0)
		snprintf(err, errlen, "cannot read the trace: %s", rc == -ENOMEM ? "out of memory" : sqlite3_errmsg(a->db));
	return rc;
}

static void stepper(FILE *o)
{
	fputs("<section id=\"steps\">\n<h2>Step-through</h2>\n"
	      "<p>The order the loop ran the program's callbacks in, one at a time: what runs, what it runs"
	      " inside, where it was scheduled, what it printed, and what is still waiting in each queue."
	      " Keys: &#8592; and &#8594;.</p>\n"
	      "<noscript><p class=\"none\">The step-through needs JavaScript; everything above works without it.</p></noscript>\n"
	      "<div class=\"controls\"><button type=\"button\" id=\"step-first\">&#8676; first</button>"
	      "<button type=\"button\" id=\"step-prev\">&#8592; previous</button>"
	      "<span id=\"step-pos\" aria-live=\"polite\"></span>"
	      "<button type=\"button\" id=\"step-next\">next &#8594;</button>"
	      "<button type=\"button\" id=\"step-last\">last &#8677;</button>"
	      "<input type=\"range\" id=\"step-slider\" min=\"0\" value=\"0\" aria-label=\"step\"></div>\n"
	      "<p class=\"note\" id=\"step-note\"></p>\n"
	      "<div class=\"step-grid\">\n"
	      "<div class=\"panel\" id=\"step-now\"><h3>Now running</h3><div class=\"body\"></div></div>\n"
	      "<div class=\"panel\" id=\"step-stack\"><h3>Call stack</h3><ol class=\"body\"></ol></div>\n"
	      "<div class=\"panel\" id=\"step-origin\"><h3>Scheduled from</h3><ol class=\"body\"></ol></div>\n"
	      "<div class=\"panel wide\" id=\"step-queues\"><h3>Waiting in the queues</h3><div class=\"body queues-grid\"></div></div>\n"
	      "<div class=\"panel wide\" id=\"step-console\"><h3>Output so far</h3><pre class=\"body\"></pre></div>\n"
	      "</div>\n</section>\n",
	      o);
}

int lt_report_html(FILE *o, const struct lt_analysis *a, const char *trace_name, char *err, size_t errlen)
{
	char nonce[40] = "", command[4096] = "", exit_status[32] = "";
	lt_html_nonce(nonce, sizeof(nonce));
	lt_store_get_meta(a->db, "command", command, sizeof(command));
	lt_store_get_meta(a->db, "exit_status", exit_status, sizeof(exit_status));
	head(o, nonce, command);
	banner(o, trace_name, command, exit_status);
	summary(o, a);
	findings(o, a);
	int rc = charts(o, a, err, errlen);
	stepper(o);
	fputs("</main>\n<script type=\"application/json\" id=\"lt-steps\">", o);
	if (rc == 0)
		rc = lt_html_steps_json(o, a->db, LT_HTML_MAX_STEPS, err, errlen);
	else
		fputs("{\"steps\": []}", o);
	fprintf(o, "</script>\n<script nonce=\"%s\">\n", nonce);
	fputs(lt_html_js, o);
	fputs("</script>\n<footer>Made by looptrace from a recorded trace.</footer>\n</body>\n</html>\n", o);
	return rc;
}
