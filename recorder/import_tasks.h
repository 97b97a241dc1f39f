/*
 * import_tasks.h — a stream's async resources (timers, immediates, ticks,
 * handles, requests): LT_R_INIT rows, their callbacks as dispatches
 * (LT_R_BEFORE/LT_R_AFTER), and later changes (LT_R_DESTROY, LT_R_REF).
 *
 * Ownership: the resource table belongs to the stream (lt_tasks_init /
 * lt_tasks_free); resource types point into the stream's strings.
 */
#ifndef LOOPTRACE_IMPORT_TASKS_H
#define LOOPTRACE_IMPORT_TASKS_H

#include "import_state.h"

int lt_tasks_init(struct lt_stream *s);
void lt_tasks_free(struct lt_stream *s);

void lt_on_r_init(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_r_before(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_r_after(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
/* LT_R_DESTROY and LT_R_REF */
void lt_on_r_update(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);

/* An LT_R_INIT before a flight recorder's window: its type, queue and
 * site are remembered for its callbacks in the window; it gets no row (its
 * life is not in the trace), except a listening handle's (a server socket:
 * the process is a service), which gets its row at its own time ts. */
void lt_on_r_init_before_window(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);

#endif
