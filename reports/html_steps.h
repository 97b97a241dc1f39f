/*
 * html_steps.h — the data behind the HTML report's step-through: the trace's
 * dispatches in execution order (Node's silent housekeeping left out, as in
 * `replay`), at most max_steps of them, as one JSON object the page's script
 * reads:
 *
 *   {"attached": true for an eBPF trace (nothing hidden; when a callback was
 *    queued is not known), "dispatches": total in the trace, "shown": n,
 *    "hidden": housekeeping
 *    skipped, "truncated": true when max_steps cut the list,
 *    "steps": [{"seq", "pid", "tid", "queue", "type", "callback", "phase",
 *               "iteration", "depth", "parent", "enqueued", "t_ms", "ms",
 *               "location": {"function", "file", "line", "column"} | null,
 *               "output": [{"fd", "text"}], "stack": id | null,
 *               "created_ms": when its resource or promise was created}],
 *    "stacks": {"id": [{"function", "file", "line", "column"}, ...]}}
 *
 * `parent` is the dispatch this one ran inside (0: top level), `enqueued`
 * the dispatch during which it was queued (0: outside any; `created_ms`
 * then tells when, in ms from the trace's start), so the
 * script can show the call stack and every queue's waiting callbacks at each
 * step.  `stack` names the stack where it was scheduled, when one was
 * captured; each stack's frames are written once, in `stacks`.  Written HTML-safe (lt_json html_safe), for a <script> element.
 */
#ifndef LOOPTRACE_HTML_STEPS_H
#define LOOPTRACE_HTML_STEPS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>

#define LT_HTML_MAX_STEPS 3000
/* Dispatches read, shown or not, before the step-through stops: on a
 * service's trace nearly every dispatch is Node's own housekeeping (7.1M of
 * 7.4M on bench/bigtrace.sh's), and finding 3000 others meant a replay of
 * the whole trace (10 s of an 18 s page).  The page then says it shows the
 * first steps, and how many it left out up to there. */
#define LT_HTML_MAX_SCANNED 1000000

/* Returns 0, or -errno with a one-line reason in err. */
int lt_html_steps_json(FILE *out, sqlite3 *db, size_t max_steps, char *err, size_t errlen);

#endif
