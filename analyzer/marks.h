/*
 * marks.h — dispatches a timeline highlights besides long ones: timers that
 * ran late (their callback started at least late_ms after it was due) and
 * dispatches during which a promise rejection went unhandled, was handled
 * late, or an exception went uncaught.
 *
 * Ownership: struct lt_marks owns its arrays; lt_marks_free releases them.
 */
#ifndef LOOPTRACE_MARKS_H
#define LOOPTRACE_MARKS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define LT_LATE_TIMER_MS 10.0

struct lt_mark {
	int64_t seq;
	double late_ms;        /* > 0: a late timer, by this much */
	const char *rejection; /* static: "unhandled-rejection", "rejection-handled-late",
	                          "uncaught-exception"; NULL when none */
};

struct lt_marks {
	struct lt_mark *items; /* sorted by seq, one per dispatch */
	size_t n;
};

/* Load the marks of a trace.  Returns 0 or -errno (-EIO: the trace cannot
 * be read, -ENOMEM). */
int lt_marks_load(sqlite3 *db, double late_ms, struct lt_marks *out);

/* The mark of dispatch seq, NULL when it has none. */
const struct lt_mark *lt_marks_find(const struct lt_marks *m, int64_t seq);

void lt_marks_free(struct lt_marks *m);

#endif
