/*
 * import_process.h — a stream's process and thread life: process start
 * (argv), JS start and main, exit emits, exec attempts, fork and thread
 * creation (lineage), program output, the sampling state (meta), and the
 * thread row written when the stream ends.
 *
 * Ownership: the output buffer belongs to the stream (released by
 * lt_process_free); texts point into the stream's strings.
 */
#ifndef LOOPTRACE_IMPORT_PROCESS_H
#define LOOPTRACE_IMPORT_PROCESS_H

#include <stddef.h>

#include "import_state.h"

void lt_process_free(struct lt_stream *s);

void lt_on_proc_start(struct lt_stream *s, const uint32_t *r);
void lt_on_js_start(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_main_end(struct lt_importer *im, struct lt_stream *s, uint64_t ts);
void lt_on_exit_emit(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_exit_done(struct lt_importer *im, struct lt_stream *s, uint64_t ts);
void lt_on_exec(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
/* An exec attempt still pending is written once another record shows the
 * process went on. */
void lt_flush_exec(struct lt_importer *im, struct lt_stream *s);
/* LT_FORK and LT_THREAD_CREATE */
void lt_on_lineage(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_output(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts);
void lt_on_sampling(struct lt_importer *im, const uint32_t *r);

/* The end of stream i: pending output, exec, open dispatches, pending
 * promises, then its thread row (not for one superseded by the image it
 * exec'd, nor for a fork child that only tried to exec). */
void lt_finish_stream(struct lt_importer *im, struct lt_stream *streams, size_t n, size_t i);
/* meta in_dispatch_samples, from every JS thread's LT_SAMPLING. */
int lt_write_sampling_meta(struct lt_importer *im);

#endif
