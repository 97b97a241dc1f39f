/*
 * import_promises.h — a stream's promises (LT_P_*: rows written at settle,
 * or as pending at the end, reactions as dispatches) and rejections
 * (LT_REJECT, LT_REJECT_DETAIL).
 *
 * Ownership: the promise table and the rejection rows by ordinal belong to
 * the stream (lt_promises_init / lt_promises_free).
 */
#ifndef LOOPTRACE_IMPORT_PROMISES_H
#define LOOPTRACE_IMPORT_PROMISES_H

#include "import_state.h"

int lt_promises_init(struct lt_stream *s);
void lt_promises_free(struct lt_stream *s);

void lt_on_p_init(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_p_settle(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_p_before(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_p_after(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_reject(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_reject_detail(struct lt_importer *im, struct lt_stream *s, const uint32_t *r);
/* At the end of the stream: the promises never settled, as pending. */
void lt_promises_finish(struct lt_importer *im, struct lt_stream *s);

#endif
