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
	char out_dir[4096];
	struct lt_drain_ring *rings;
	size_t n, cap;
	int error; /* first -errno met while writing, 0 if none */
};

void lt_drain_init(struct lt_drain *d, const char *ring_dir, const char *out_dir);

/* Drain what the writers finished; with `final`, everything up to each
 * cursor.  Returns 0 or the first -errno met (the drain goes on for the
 * other rings). */
int lt_drain_poll(struct lt_drain *d, int final);

/* Bytes of records written so far by all writers (for progress). */
uint64_t lt_drain_written_bytes(const struct lt_drain *d);

void lt_drain_close(struct lt_drain *d);

#endif
