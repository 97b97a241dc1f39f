/*
 * drain.h — copy the probes' per-thread rings into flat capture files.
 *
 * While the command runs, lt_drain_poll finds new <pid>-<tid>.ring files in
 * the ring directory, copies every chunk the writer finished into
 * <out_dir>/<pid>-<tid>.ltr and hands the slot back (ring_drained).  The
 * final poll also copies each ring's unfinished chunk up to its cursor and
 * writes the flat file's control page, after which the .ltr files are what
 * recorder/import.h reads.
 *
 * Staging: the flat files can be written to tmpfs first (out_dir) and moved
 * to spill_dir, on disk, once they hold more than limit_bytes — disk
 * writeback while the program runs costs it throughput on a small machine,
 * RAM is the cheaper place for a capture of moderate size.
 *
 * Ownership: struct lt_drain owns the ring mappings and the output fds;
 * lt_drain_close releases them and removes the ring files.
 */
#ifndef LOOPTRACE_DRAIN_H
#define LOOPTRACE_DRAIN_H

#include <stddef.h>
#include <stdint.h>

struct lt_drain_ring;

struct lt_drain {
	char ring_dir[4096];
	char out_dir[4096];   /* where the flat files are now */
	char spill_dir[4096]; /* where they move past limit_bytes ("" = never) */
	uint64_t limit_bytes;
	uint64_t written;     /* bytes written to the flat files */
	struct lt_drain_ring *rings;
	size_t n, cap;
	int error; /* first -errno met while writing, 0 if none */
	unsigned polls; /* the ring directory is rescanned every RESCAN_EVERY polls */
};

void lt_drain_init(struct lt_drain *d, const char *ring_dir, const char *out_dir);
/* Stage in out_dir until limit_bytes, then move to spill_dir. */
void lt_drain_spill_to(struct lt_drain *d, const char *spill_dir, uint64_t limit_bytes);

/* Drain what the writers finished; with `final`, everything up to each
 * cursor.  New rings are looked for on the first poll, every 32nd, and the
 * final one.  Returns 0 or the first -errno met (the drain goes on for the
 * other rings). */
int lt_drain_poll(struct lt_drain *d, int final);

/* Bytes of records written so far by all writers (for progress). */
uint64_t lt_drain_written_bytes(const struct lt_drain *d);

void lt_drain_close(struct lt_drain *d);

#endif
