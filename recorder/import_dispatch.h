/*
 * import_dispatch.h — a stream's dispatches and loop iterations: the stack
 * of open dispatches (main, resource callbacks, promise reactions, exit
 * emits, the synthetic "unhooked" one), the loop phase of each top-level
 * dispatch, iterations from poll enter/exit, and what is placed by time in
 * them (blocking calls, samples).
 *
 * Ownership: works on the stream's fixed-size dispatch stack and iteration
 * fields (no allocation); rows go through the importer's statements.
 */
#ifndef LOOPTRACE_IMPORT_DISPATCH_H
#define LOOPTRACE_IMPORT_DISPATCH_H

#include "import_state.h"

/* The seq of the innermost open dispatch (or the synthetic one), NO_SEQ. */
uint32_t lt_current_seq(const struct lt_stream *s);

void lt_open_dispatch(struct lt_importer *im, struct lt_stream *s, enum lt_dispatch_kind kind,
		      uint32_t id, enum lt_queue queue, const char *type, uint32_t type_len,
		      uint32_t trigger_seq, uint64_t ts);
/* Close dispatches down to and including the innermost one of `kind`/`id`.
 * Returns 0 when none matched (nothing is closed then). */
int lt_close_dispatch(struct lt_importer *im, struct lt_stream *s, enum lt_dispatch_kind kind,
		      uint32_t id, uint64_t ts);
void lt_close_top(struct lt_importer *im, struct lt_stream *s, uint64_t ts);
/* A synthetic dispatch for JS that ran outside any hooked one; its seq. */
uint32_t lt_ensure_dispatch(struct lt_importer *im, struct lt_stream *s, uint64_t ts);
void lt_close_all(struct lt_importer *im, struct lt_stream *s, uint64_t end);

void lt_on_poll(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_blocking(struct lt_importer *im, struct lt_stream *s, const uint32_t *r);
void lt_on_sample(struct lt_importer *im, struct lt_stream *s, const uint32_t *r);

#endif
