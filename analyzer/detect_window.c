/*
 * detect_window.c — flight-window: an info finding on a flight recorder's
 * dump (record --ring) saying which window the trace holds, what triggered
 * it, and that every other finding is about that window only.
 */
#include <errno.h>

#include "detectors.h"
#include "window.h"

int lt_detect_window(struct lt_analysis *a)
{
	struct lt_window w;
	lt_window_read(a->db, &w);
	if (!w.is_window)
		return 0;
	struct lt_finding *f = lt_findings_add(&a->findings, "flight-window", LT_SEV_INFO);
	if (!f)
		return -ENOMEM;
	double len_s = (double)(w.end_ns - w.start_ns) / 1e9;
	double after_s = w.trigger_ns < w.end_ns ? (double)(w.end_ns - w.trigger_ns) / 1e9 : 0;
	lt_finding_message(f,
			   "flight recorder dump %u: a %.2f s window ending %.2f s after a %s trigger%s%s; findings are in the "
			   "window: a callback running at its start is cut there, and promises and handles made "
			   "before it are not in this trace%s",
			   w.dump, len_s, after_s, w.trigger, w.detail[0] ? ": " : "", w.detail,
			   w.running ? ", and the program ran on after it" : "");
	lt_finding_number(f, "window_ms", len_s * 1e3);
	lt_finding_text(f, "trigger", w.trigger);
	return 0;
}
