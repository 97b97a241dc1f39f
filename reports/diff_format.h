/*
 * diff_format.h — a comparison of two traces (analyzer/compare.h) as text,
 * JSON or an HTML page: the figures side by side with their change, the callback sites
 * whose total time changed most, the findings new / fixed / unchanged, and
 * the regression gates with whether each holds.
 *
 * Ownership: borrows everything; allocates nothing that outlives the call.
 * Text from the traced program goes through lt_put_safe (text), the JSON
 * writer's escaping or html.h.
 */
#ifndef LOOPTRACE_DIFF_FORMAT_H
#define LOOPTRACE_DIFF_FORMAT_H

#include <stdio.h>

#include "../analyzer/compare.h"

struct lt_diff_view {
	const char *base_name, *new_name; /* how the two traces are called */
	const struct lt_comparison *cmp;
	const struct lt_gates *gates;     /* NULL: none given */
	size_t max_sites;                 /* sites listed (the rest counted) */
};

void lt_diff_text(FILE *out, const struct lt_diff_view *v);
void lt_diff_json(FILE *out, const struct lt_diff_view *v);
/* A self-contained page (no script, no external file): the figures table,
 * the two lag histograms overlaid (share of samples per bucket), the two
 * busy timelines overlaid, the changed sites and the findings. */
void lt_diff_html(FILE *out, const struct lt_diff_view *v);

#endif
