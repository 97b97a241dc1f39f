/*
 * flight.h — the flight recorder's memory: the most recent window of every
 * thread's capture, kept as whole chunks in a bounded in-memory ring instead
 * of being appended to a flat file, and the triggers seen in the stream.
 *
 * The drain (drain.h) hands over each chunk a writer finished
 * (lt_flight_keep) and shows every record once as it arrives, up to the
 * writer's cursor (lt_flight_scan), so a trigger is seen within a poll of
 * the record, not when its 4 MiB chunk fills.  Triggers seen here: a loop
 * that stayed out of epoll longer than lag_ns (LT_POLL_EXIT to the next
 * LT_POLL_ENTER of one thread), an unhandled rejection (LT_REJECT).
 *
 * Memory: chunks are evicted oldest first (by the time of their last
 * record, across threads) while more than limit_bytes are kept, and, with
 * window_ns, once their last record is older than the window.  The records
 * later ones refer to (strings, stacks, process and thread starts, JS start,
 * sampling mode) and the creation records of listening sockets (a
 * service's server, made long before the window) are copied out of an
 * evicted chunk into the thread's "pinned" records, which count against limit_bytes too and may use at most
 * a quarter of it (beyond, they are dropped and counted).
 *
 * A dump writes each thread as a flat capture file (probes/wire.h): the
 * control page, the pinned records, the kept chunks, then the unfinished
 * chunk the caller copied from the ring (lt_flight_write_stream).
 *
 * Every value read from a record is the traced program's (untrusted): a
 * record that does not fit its chunk ends the scan of that chunk.
 *
 * Ownership: struct lt_flight owns its chunks and pinned records;
 * lt_flight_free releases them.  Stream i is the drain's ring i.
 */
#ifndef LOOPTRACE_FLIGHT_H
#define LOOPTRACE_FLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "../probes/wire.h"

enum lt_flight_trigger {
	LT_TRIGGER_NONE = 0,
	LT_TRIGGER_SIGNAL,    /* SIGUSR2 or `looptrace dump` */
	LT_TRIGGER_LAG,       /* --trigger-lag */
	LT_TRIGGER_REJECTION, /* an unhandled rejection */
	LT_TRIGGER_EXIT,      /* the command exited */
};

struct lt_flight_opts {
	uint64_t limit_bytes; /* memory for chunks and pinned records (>= one chunk) */
	uint64_t window_ns;   /* 0: the window is what limit_bytes holds */
	uint64_t lag_ns;      /* 0: no lag trigger */
	int on_rejection;     /* trigger on an unhandled rejection */
};

struct lt_flight;

/* Returns 0 or -ENOMEM. */
int lt_flight_new(struct lt_flight **out, const struct lt_flight_opts *o);
void lt_flight_free(struct lt_flight *f);

/* A new stream (the drain adopted a ring): its index, or -ENOMEM. */
int lt_flight_add_stream(struct lt_flight *f, int pid, int tid);

/* Show n words of stream i not seen before, starting at a record boundary
 * and ending at one (the writer's cursor) or at the end of a chunk. */
void lt_flight_scan(struct lt_flight *f, size_t i, const uint32_t *words, size_t n);

/* Keep a copy of one finished chunk of stream i (LT_CHUNK_WORDS words),
 * evicting older ones past the budget.  Returns 0 or -ENOMEM (the chunk is
 * then lost, counted). */
int lt_flight_keep(struct lt_flight *f, size_t i, const uint32_t *chunk);

/* Stream i has ended (attach: its writer closed): keep its flat control
 * page and its unfinished chunk (n words, copied) for the dumps to come.
 * Returns 0 or -ENOMEM. */
int lt_flight_close_stream(struct lt_flight *f, size_t i, const struct lt_file_header *flat,
			   const uint32_t *tail, size_t n);
/* Streams so far, and whether stream i was closed (then *flat, *tail and
 * *n are what lt_flight_close_stream kept). */
size_t lt_flight_streams(const struct lt_flight *f);
int lt_flight_closed(const struct lt_flight *f, size_t i, struct lt_file_header *flat, const uint32_t **tail,
		     size_t *n);

/* Evict what fell out of the window (window_ns) as of now_ns. */
void lt_flight_expire(struct lt_flight *f, uint64_t now_ns);

/* The trigger seen since the last call, if any (kind, time, one-line
 * detail), and forget it. */
enum lt_flight_trigger lt_flight_take_trigger(struct lt_flight *f, uint64_t *ns, char *detail, size_t n);

/* Where a dump taken at end_ns starts: the latest time before which some
 * thread's records were evicted (or end_ns - window_ns when later); 0 when
 * nothing was evicted and there is no window. */
uint64_t lt_flight_window_start(const struct lt_flight *f, uint64_t end_ns);

/* Figures for meta and messages. */
struct lt_flight_stats {
	uint64_t bytes;          /* kept now: chunks + pinned */
	uint64_t chunks;         /* kept now */
	uint64_t evicted_chunks; /* since the start */
	uint64_t pinned_bytes;
	uint64_t pinned_dropped; /* definitions not pinned (over a quarter of the budget) */
	uint64_t lost_chunks;    /* not kept for want of memory */
};
void lt_flight_stats(const struct lt_flight *f, struct lt_flight_stats *out);

/* Write stream i as a flat capture file `name` in directory dfd: the
 * control page `hdr` (a flat file's: no ring fields) with its cursor set,
 * the pinned records, the kept chunks, then `partial` (n words of the
 * unfinished chunk).  Returns 0 or -errno. */
int lt_flight_write_stream(const struct lt_flight *f, size_t i, int dfd, const char *name,
			   const struct lt_file_header *hdr, const uint32_t *partial, size_t n);

/* "lag", "signal", ... */
const char *lt_flight_trigger_name(enum lt_flight_trigger t);

#endif
