/*
 * rawfile.h — reading one capture file (probes/wire.h) record by record.
 *
 * The file is mapped read-only; records are validated as they are read, so
 * a truncated or damaged capture ends cleanly (-EBADMSG) instead of being
 * read past its end.  A capture cut short by SIGKILL is not damaged: it ends
 * at its first unwritten (zero) record header.
 *
 * Ownership: lt_raw_open fills a caller-owned struct; lt_raw_close releases
 * the mapping.  Record pointers stay valid until lt_raw_close.
 */
#ifndef LOOPTRACE_RAWFILE_H
#define LOOPTRACE_RAWFILE_H

#include <stddef.h>
#include <stdint.h>

#include "../probes/wire.h"

struct lt_raw_file {
	const struct lt_file_header *hdr;
	const uint32_t *data; /* first word of the data region */
	size_t data_words;    /* words present in the file */
	size_t pos;           /* next record, in words */
	size_t map_bytes;
	void *map;
};

/* Map and validate the header.  Returns 0, -errno, -EPROTO (not a capture
 * file) or -EPROTONOSUPPORT (another wire version). */
int lt_raw_open(struct lt_raw_file *f, const char *path);

/* The next record: returns 1 with *rec set (word 0 is its header), 0 at the
 * end of the written data, -EBADMSG if the record is malformed. */
int lt_raw_next(struct lt_raw_file *f, const uint32_t **rec);

void lt_raw_close(struct lt_raw_file *f);

/* Bytes of records written (the raw capture size), from the file's cursor. */
size_t lt_raw_written_bytes(const struct lt_raw_file *f);

#endif
