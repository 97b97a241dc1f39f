/*
 * import_reader.h — one capture stream's records, in order, with their
 * times: opening and the first pass (largest ids, LT_MAIN_END), peeking the
 * next record with a timestamp made monotonic within the stream, closing.
 *
 * Ownership: the stream is caller-owned (an element of import.c's array);
 * lt_stream_open fills it, lt_stream_close releases everything it holds
 * (the file and every per-stream table).  Errors: open returns 0, -errno,
 * -EPROTO or -EPROTONOSUPPORT (rawfile.h); a malformed record ends the
 * stream with `damaged` set.
 */
#ifndef LOOPTRACE_IMPORT_READER_H
#define LOOPTRACE_IMPORT_READER_H

#include "import_state.h"

int lt_stream_open(struct lt_stream *s, const char *path);
/* Read the next record into s->next / s->next_ts; sets s->done at the end. */
void lt_stream_peek(struct lt_stream *s);
void lt_stream_close(struct lt_stream *s);

#endif
