/*
 * flight_session.h — `record --ring`: the recorder keeps the most recent
 * window of the capture in memory (flight.h) and writes a normal trace
 * when triggered — SIGUSR2 or `looptrace dump -p PID` (rendezvous.h), a
 * loop lag over --trigger-lag, an unhandled rejection, and the command's
 * exit — then keeps running.
 *
 * Dump n goes to OUT-n.db (OUT = -o without its .db ending), numbered from
 * 1 in the order the dumps were triggered.  A dump while the command runs
 * is written by a forked child from a copy-on-write image of the memory
 * ring (the unfinished chunks copied out of the rings first), so draining
 * never stops; one dump at a time; a lag or rejection dump is taken
 * LT_FLIGHT_TAIL_NS (1 s, at most half a DURATION window) after its trigger;
 * a trigger that comes while the ring still holds the last automatic
 * dump's window waits until it does not (at least 1 s after that dump),
 * and an automatic dump's window starts no earlier than the last one's end,
 * so automatic dumps never overlap and none is lost (the later window still
 * holds it).  Requests and the exit dump hold the whole ring.  The exit
 * dump is written in the recorder itself.
 *
 * Each trace's meta holds: flight_dump (n), trigger (signal, lag,
 * rejection, exit), trigger_ns, trigger_detail, window_start_ns,
 * window_end_ns (CLOCK_MONOTONIC ns, as every time in the trace), ring
 * (the --ring value), and, for the exit dump only, exit_status.
 *
 * Ownership: the session borrows the source and the options; it owns the
 * flight ring and the rendezvous file (lt_flight_session_close).  It
 * says one line per dump written (LT_NOTICE_INFO) and each problem
 * (LT_NOTICE_ERROR) through o->notices.
 */
#ifndef LOOPTRACE_FLIGHT_SESSION_H
#define LOOPTRACE_FLIGHT_SESSION_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "flight.h"
#include "notice.h"
#include "trace_writer.h"
#include "rendezvous.h"

/* Where a dump finds each live stream's state: stream i's flat control
 * page and its unfinished chunk (n words; *words may point into the live
 * capture, it is copied at once).  Streams closed with
 * lt_flight_close_stream are not asked. */
struct lt_flight_source {
	void (*view)(void *arg, size_t i, struct lt_file_header *flat, const uint32_t **words, size_t *n);
	void *arg;
};

struct lt_flight_session_opts {
	const char *output;   /* OUT.db: dumps are OUT-n.db */
	const char *ring;     /* the --ring text, for meta */
	uint64_t limit_bytes; /* memory for the window */
	double window_s;      /* 0: the window is what limit_bytes holds */
	double lag_ms;        /* 0: no lag trigger */
	int64_t max_dumps;    /* automatic (lag, rejection) dumps at most; 0: no limit */
	char *const *cmd;     /* for meta */
	const struct lt_notices *notices; /* a line per dump written, and problems */
	int quiet;            /* only problems */
	const struct lt_meta_entry *meta; /* more meta for every dump (attach: capture = bpf, ...) */
	size_t n_meta;
};

struct lt_flight_session {
	struct lt_flight_session_opts o;
	struct lt_flight *flight;
	struct lt_flight_source src;
	struct lt_rendezvous rv;
	uint64_t start_ns;
	unsigned next_dump;   /* the number of the next dump */
	pid_t child;          /* a dump being written, 0 if none */
	unsigned child_n;
	int child_requested;  /* it answers a SIGUSR2 / dump request */
	char child_path[PATH_MAX];
	uint64_t rest_until_ns; /* automatic triggers rest until then */
	int64_t auto_dumps;   /* automatic dumps started */
	uint64_t last_auto_end_ns; /* the last automatic dump's window end: the next one starts there */
	int request_pending;  /* a request not yet served (a dump was running) */
	/* an automatic trigger waiting for its tail (LT_FLIGHT_TAIL_NS) */
	enum lt_flight_trigger due;
	uint64_t due_ns, due_trigger_ns;
	char due_detail[256];
	unsigned failed;
};

/* A lag or rejection dump is taken this long after its trigger (at most
 * half a DURATION window): the aftermath is in it, and so are the JS stack
 * samples of a long callback, which reach the capture after the callback
 * (measured: none 50 ms after a 1.5 s block, all 11 after 300 ms). */
#define LT_FLIGHT_TAIL_NS 1000000000u

#define LT_FLIGHT_MIN_BYTES ((uint64_t)4 << 20)     /* one chunk */
#define LT_FLIGHT_DURATION_BYTES ((uint64_t)256 << 20) /* the memory of a DURATION ring */

/* The --ring value: a SIZE (64M, 512MiB, 1G; at least 4M) sets *bytes and
 * *seconds = 0; a DURATION (2s, 500ms, 10min) sets *seconds and *bytes =
 * LT_FLIGHT_DURATION_BYTES.  Returns 0, or -EINVAL with a reason in err. */
int lt_flight_parse_ring(const char *text, uint64_t *bytes, double *seconds, char *err, size_t n);
/* A --trigger-lag value: 200ms, 0.2s, or a bare number of ms.  Returns 0
 * or -EINVAL. */
int lt_flight_parse_ms(const char *text, double *ms);

/* Set up the flight ring (s->flight, for the capture to fill: the drain's
 * lt_drain_to_flight, attach's writers).  Returns 0 or -ENOMEM. */
int lt_flight_session_start(struct lt_flight_session *s, const struct lt_flight_session_opts *o,
			    const struct lt_flight_source *src);
/* After the command started: publish for `dump -p` (a failure is said
 * once; SIGUSR2 still works). */
void lt_flight_session_publish(struct lt_flight_session *s, pid_t command);

/* Once per poll, after lt_drain_poll: expire, look at triggers (requested:
 * a SIGUSR2 came since the last tick) and start a dump if one is due. */
void lt_flight_session_tick(struct lt_flight_session *s, int requested);

/* For a caller that does not reap every child itself: reap a finished
 * dump (waitpid of the dump's child only). */
void lt_flight_session_poll(struct lt_flight_session *s);

/* waitpid reaped `pid`: 1 when it was a dump (said and published), else 0. */
int lt_flight_session_reaped(struct lt_flight_session *s, pid_t pid, int status);

/* The command exited with `exit_status` (-1: unknown, no exit_status in
 * meta): wait for a running dump, then write the exit dump (after the
 * capture's last records, before its streams go).
 * Returns 0, or -1 when some dump could not be written. */
int lt_flight_session_finish(struct lt_flight_session *s, int exit_status);

void lt_flight_session_close(struct lt_flight_session *s);

#endif
