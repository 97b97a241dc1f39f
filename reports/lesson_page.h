/*
 * lesson_page.h — `looptrace lesson`: one self-contained page (styles,
 * script and data inline, nothing fetched, works from file:// offline) that
 * teaches a program's execution order from its real trace.
 *
 *   1. Predict: the learner puts the program's output lines in the order
 *      they expect (drag and drop, or keys only), then checks.
 *   2. Reveal: the real order step by step (buttons, keys, a scrubber for
 *      long traces); each step highlights in the source pane the line that
 *      printed and the line that scheduled it (the await, then, setTimeout),
 *      shows the waiting queues, the output so far with the learner's wrong
 *      guesses marked, and one sentence on why it ran then, linked to a
 *      glossary entry.
 *
 * Everything from the program (its source, output, names) is written as
 * HTML-safe JSON or escaped (html.h); a Content-Security-Policy with a
 * per-page nonce lets only the page's own script run.
 */
#ifndef LOOPTRACE_LESSON_PAGE_H
#define LOOPTRACE_LESSON_PAGE_H

#include <stdio.h>

#include "lesson_data.h"

struct lt_lesson_info {
	const char *title;     /* shown as the heading; NULL: "Lesson" */
	const char *command;   /* the command line recorded, NULL: unknown */
	const char *main_file; /* the program's file (its source is shown first) */
	const char *runtime;   /* "Node v22.12.0", NULL: unknown */
	int exit_status;
};

/* Returns 0, or -errno when writing failed. */
int lt_lesson_page(FILE *out, const struct lt_lesson *l, const struct lt_lesson_info *info);

#endif
