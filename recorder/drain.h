/*
 * drain.h — copy the probes' per-thread rings into flat capture files.
 *
 * While the command runs, lt_drain_poll finds new <pid>-<tid>.ring files in
 * the ring directories, copies every chunk the writer finished into
 * <out_dir>/<pid>-<tid>.ltr and hands the slot back (ring_drained).  The
 * final poll also copies each ring's unfinished chunk up to its cursor and
 * rewrites the flat file's control page, after which the .ltr files are
 * what recorder/import.h reads.
 *
 * Cut at any point, a flat file is still a capture: its control page is
 * written first (when the ring is adopted) and its cursor is committed after
 * every chunk copied, so `looptrace import` reads it up to the last chunk
 * written.  A chunk that cannot be written (full file system) ends that
 * file: it and every later chunk of the ring are counted as dropped (by
 * kind, with the time of the failure) and the count goes into the flat
 * file's struct lt_loss with the writer's own.
 *
 * Staging: the flat files can be written to tmpfs first (out_dir) and moved
 * to spill_dir, on disk, once they hold more than limit_bytes — disk
 * writeback while the program runs costs it throughput on a small machine,
 * RAM is the cheaper place for a capture of moderate size.
 *
 * Recovery: lt_drain_recover turns the rings left in a directory by a
 * recorder that died into flat files beside them (continuing the flat files
 * already there), so the directory imports like a finished capture.
 *
 * Ownership: struct lt_drain owns the ring mappings, the output fds and
 * the directory fds; lt_drain_close releases them and removes the ring
 * files.
 */
#ifndef LOOPTRACE_DRAIN_H
#define LOOPTRACE_DRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "../probes/wire.h"

struct lt_drain_ring;
struct lt_flight;

#define LT_DRAIN_RING_DIRS 2

struct lt_drain {
	char ring_dirs[LT_DRAIN_RING_DIRS][4096]; /* "" = unused */
	char out_dir[4096];   /* where the flat files are now */
	char spill_dir[4096]; /* where they move past limit_bytes ("" = never) */
	/* The same directories, opened once (O_NOFOLLOW): files are created and
	 * removed relative to them, never through a path that could change. */
	int ring_dfd[LT_DRAIN_RING_DIRS], out_dfd, spill_dfd;
	uint64_t limit_bytes;
	uint64_t written;     /* bytes written to the flat files */
	struct lt_drain_ring *rings;
	size_t n, cap;
	int error; /* first -errno met while writing, 0 if none */
	unsigned polls; /* the ring directories are rescanned every RESCAN_EVERY polls */
	/* Flight recorder (record --ring): finished chunks go into this memory
	 * ring instead of flat files, and every record is shown to it as it
	 * arrives (lt_flight_scan); NULL for a plain recording. */
	struct lt_flight *flight;
};

/* What every ring dropped, summed (after the final poll). */
struct lt_drain_loss {
	uint64_t events;         /* records dropped, writers' and the drain's */
	uint64_t first_ns, last_ns;
	uint64_t origin_ns;      /* the earliest ring's start (the trace's origin) */
	uint32_t streams;        /* threads that dropped something */
	uint32_t reasons;        /* enum lt_loss_reason bits, | LT_DRAIN_LOSS_WRITE */
	uint32_t no_ring;        /* threads that had no ring slot at all */
	uint32_t on_disk;        /* threads whose ring went to disk */
};
#define LT_DRAIN_LOSS_WRITE (1u << 8) /* the recorder could not write a chunk */

void lt_drain_init(struct lt_drain *d, const char *ring_dir, const char *out_dir);
/* Also look for rings in `dir` (where the probes put rings that did not fit
 * on tmpfs). */
void lt_drain_add_ring_dir(struct lt_drain *d, const char *dir);
/* Stage in out_dir until limit_bytes, then move to spill_dir. */
void lt_drain_spill_to(struct lt_drain *d, const char *spill_dir, uint64_t limit_bytes);

/* Keep the capture in `flight` (flight.h; borrowed, not owned) instead of
 * flat files: call before the first poll. */
void lt_drain_to_flight(struct lt_drain *d, struct lt_flight *flight);

/* Flight mode: rings adopted so far, and ring i's state for a dump: its
 * control page made flat (ring fields cleared, the drain's loss added) and
 * its unfinished chunk up to the cursor (*words points into the ring: copy
 * it before the writer goes on; *n is 0 while the writer drops). */
size_t lt_drain_rings(const struct lt_drain *d);
void lt_drain_ring_view(const struct lt_drain *d, size_t i, struct lt_file_header *flat,
			const uint32_t **words, size_t *n);
/* The same with the drain as a void * (flight_session.h's source). */
void lt_drain_flight_view(void *drain, size_t i, struct lt_file_header *flat, const uint32_t **words,
			  size_t *n);

/* Drain what the writers finished; with `final`, everything up to each
 * cursor.  New rings are looked for on the first poll, every 32nd, and the
 * final one.  Returns 0 or the first -errno met (the drain goes on for the
 * other rings). */
int lt_drain_poll(struct lt_drain *d, int final);

/* Bytes of records written so far by all writers (for progress). */
uint64_t lt_drain_written_bytes(const struct lt_drain *d);

/* The loss of every ring so far (complete after the final poll). */
void lt_drain_loss(const struct lt_drain *d, struct lt_drain_loss *out);

void lt_drain_close(struct lt_drain *d);

/* Turn the rings in `dir` into flat files there (a dead recorder's
 * leftover), then remove them.  *rings receives how many were recovered.
 * Returns 0 or -errno. */
int lt_drain_recover(const char *dir, unsigned *rings);

#endif
