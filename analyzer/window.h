/*
 * window.h — whether a trace is a flight recorder's window (record --ring),
 * read from its meta: flight_dump, trigger, trigger_ns, trigger_detail,
 * window_start_ns, window_end_ns (recorder/flight_session.h writes them).
 *
 * Such a trace holds what happened between window_start_ns and
 * window_end_ns: dispatches that began before the window, promises created
 * and handles opened before it are not in it.  Unless its trigger is
 * "exit", the program was still running when the window closed, so what
 * was open then is not left open for good (detect_leaks.c treats it as an
 * attached trace's window).
 *
 * The meta values are the trace's (untrusted): a value that is not a
 * decimal time in [0, 2^62] makes the trace an ordinary one.
 *
 * Ownership: plain values, copied.
 */
#ifndef LOOPTRACE_WINDOW_H
#define LOOPTRACE_WINDOW_H

#include <sqlite3.h>
#include <stdint.h>

struct lt_window {
	int is_window;   /* a flight recorder's dump */
	int running;     /* the program ran on after it (trigger other than exit) */
	unsigned dump;   /* its number, 1, 2, ... */
	uint64_t start_ns, end_ns, trigger_ns;
	char trigger[16];  /* signal, lag, rejection, exit */
	char detail[200];
};

/* Fill w (all zero for an ordinary trace).  Returns 0. */
int lt_window_read(sqlite3 *db, struct lt_window *w);

#endif
