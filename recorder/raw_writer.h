/*
 * raw_writer.h — write one flat capture file (probes/wire.h) from the
 * recorder itself, for capture paths whose events arrive in the recorder
 * (eBPF attach) rather than in a ring the traced program writes.
 *
 * Records are appended through a stdio buffer; a record that would straddle
 * a chunk is preceded by an LT_PAD to the chunk's end.  The control page is
 * written when the file is created and rewritten (flags, cursor) by
 * lt_raw_writer_close, so a file cut short is still a capture.
 *
 * Ownership: struct lt_raw_writer is caller-owned; it owns its FILE (or, in
 * flight mode, its chunk; the flight recorder is borrowed) until
 * lt_raw_writer_close.
 */
#ifndef LOOPTRACE_RAW_WRITER_H
#define LOOPTRACE_RAW_WRITER_H

#include <stdint.h>
#include <stdio.h>

#include "../probes/wire.h"

struct lt_flight;

struct lt_raw_writer {
	FILE *f;
	uint64_t words;   /* data words written */
	int error;        /* first -errno met */
	struct lt_file_header hdr;
	/* Flight mode (attach --ring): records go into `chunk`, each shown to
	 * the flight recorder as it is written, and a full chunk is handed to
	 * it (flight.h); nothing is written to a file. */
	struct lt_flight *flight;
	int flight_id;
	uint32_t *chunk;  /* LT_CHUNK_WORDS words */
};

/* Create `path` for thread `tid` of process `pid`.  Returns 0 or -errno. */
int lt_raw_writer_open(struct lt_raw_writer *w, const char *path, int pid, int tid, int ppid,
		       uint64_t start_ns);

/* Flight mode: the same writer, its records kept by `flight` as stream
 * of the returned id (w->flight_id).  Returns 0 or -errno. */
int lt_raw_writer_open_flight(struct lt_raw_writer *w, struct lt_flight *flight, int pid, int tid, int ppid,
			      uint64_t start_ns);

/* Append one record: `kind`, `aux`, and `n` payload words.  Returns 0 or
 * -errno (also remembered in w->error). */
int lt_raw_writer_add(struct lt_raw_writer *w, unsigned kind, unsigned aux, const uint32_t *payload,
		      uint32_t n);

/* Append an LT_STRING record: id (C-string ids have bit 31 set), bytes. */
int lt_raw_writer_string(struct lt_raw_writer *w, uint32_t id, const char *s, size_t len);

/* Flight mode: the control page a dump writes now (flags as for close),
 * and the unfinished chunk is w->chunk, w->words % LT_CHUNK_WORDS words. */
void lt_raw_writer_flat_header(const struct lt_raw_writer *w, uint32_t flags, struct lt_file_header *h);

/* Write the control page (flags: enum lt_file_flags) and close.  Returns 0
 * or the first -errno met while writing.  In flight mode the control page
 * and the unfinished chunk go to the flight recorder
 * (lt_flight_close_stream) and the chunk is freed. */
int lt_raw_writer_close(struct lt_raw_writer *w, uint32_t flags);

#endif
