/*
 * report_format.h — an analysis (analyzer/analysis.h) as text for a
 * terminal or as the documented JSON: {"findings": [...], "metrics": {...}}.
 */
#ifndef LOOPTRACE_REPORT_FORMAT_H
#define LOOPTRACE_REPORT_FORMAT_H

#include <stdio.h>

#include "../analyzer/analysis.h"

/* colour: use ANSI colours (the caller decides: a TTY only). */
void lt_report_text(FILE *out, const struct lt_analysis *a, int colour);
void lt_report_json(FILE *out, const struct lt_analysis *a);

struct lt_json;
/* One finding as the report's JSON object (also in `diff --format json`). */
void lt_report_json_finding(struct lt_json *j, const struct lt_finding *f);
/* A finding's figures (duration_ms, count, ...) as members of the JSON
 * object being written (report JSON, SARIF properties). */
void lt_report_json_fields(struct lt_json *j, const struct lt_finding *f);

#endif
