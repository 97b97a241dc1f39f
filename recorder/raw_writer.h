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
 * Ownership: struct lt_raw_writer is caller-owned; it owns its FILE until
 * lt_raw_writer_close.
 */
#ifndef LOOPTRACE_RAW_WRITER_H
#define LOOPTRACE_RAW_WRITER_H

#include <stdint.h>
#include <stdio.h>

#include "../probes/wire.h"

struct lt_raw_writer {
	FILE *f;
	uint64_t words;   /* data words written */
	int error;        /* first -errno met */
	struct lt_file_header hdr;
};

/* Create `path` for thread `tid` of process `pid`.  Returns 0 or -errno. */
int lt_raw_writer_open(struct lt_raw_writer *w, const char *path, int pid, int tid, int ppid,
		       uint64_t start_ns);

/* Append one record: `kind`, `aux`, and `n` payload words.  Returns 0 or
 * -errno (also remembered in w->error). */
int lt_raw_writer_add(struct lt_raw_writer *w, unsigned kind, unsigned aux, const uint32_t *payload,
		      uint32_t n);

/* Append an LT_STRING record: id (C-string ids have bit 31 set), bytes. */
int lt_raw_writer_string(struct lt_raw_writer *w, uint32_t id, const char *s, size_t len);

/* Write the control page (flags: enum lt_file_flags) and close.  Returns 0
 * or the first -errno met while writing. */
int lt_raw_writer_close(struct lt_raw_writer *w, uint32_t flags);

#endif
