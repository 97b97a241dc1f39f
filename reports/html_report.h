/*
 * html_report.h — `report --format html`: one self-contained page (styles,
 * script and data inline, nothing fetched, works from file:// offline) with
 * the summary metrics, findings with a few lines of code context when the
 * source file is readable, the lag histogram, busy time per iteration, the
 * timeline and a step-through of the execution order.
 *
 * Everything the traced program controls is escaped (html.h) or written as
 * HTML-safe JSON; a Content-Security-Policy with a per-report nonce lets
 * only the page's own script run.
 */
#ifndef LOOPTRACE_HTML_REPORT_H
#define LOOPTRACE_HTML_REPORT_H

#include <stdio.h>

#include "../analyzer/analysis.h"

/* trace_name: shown in the page (the trace file's name).  Returns 0, or
 * -errno with a one-line reason in err (the page is then incomplete). */
int lt_report_html(FILE *out, const struct lt_analysis *a, const char *trace_name, char *err, size_t errlen);

#endif
