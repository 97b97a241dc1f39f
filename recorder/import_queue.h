/*
 * import_queue.h — the hand-off from the importer's replay to its SQLite
 * writer: a bounded ring of chunks of cells, filled by one thread (the
 * replay) and run in order by another (the writer), so that decoding the
 * capture and writing the trace use both cores.
 *
 * A chunk holds a sequence of cells (struct lt_import_cell, see
 * import_db.h: an operation's head cell and its value cells) and an arena
 * for texts that must be copied.  The producer fills the current chunk and
 * submits it when full; the consumer (a callback given at start) runs each
 * submitted chunk in submission order, then the chunk is reused.  At most
 * LT_IMPORT_QUEUE_CHUNKS chunks exist: a fast producer waits for the
 * writer, memory stays bounded.
 *
 * Without a second thread (pthread_create failed) every submitted chunk is
 * run at once by the producer: same operations, same order.
 *
 * Ownership: the queue owns its chunks and its thread from
 * lt_import_queue_start to lt_import_queue_stop (which runs what is left
 * and joins).  The consumer must not touch the queue.  Errors: start
 * returns 0 or -ENOMEM.
 */
#ifndef LOOPTRACE_IMPORT_QUEUE_H
#define LOOPTRACE_IMPORT_QUEUE_H

#include <pthread.h>
#include <stddef.h>

#include "import_db.h"

#define LT_IMPORT_QUEUE_CHUNKS 4
#define LT_IMPORT_CHUNK_CELLS 16384
#define LT_IMPORT_CHUNK_TEXT 65536

struct lt_import_chunk {
	struct lt_import_cell cells[LT_IMPORT_CHUNK_CELLS];
	size_t n_cells;
	char text[LT_IMPORT_CHUNK_TEXT];
	size_t text_used;
};

typedef void (*lt_import_consume_fn)(void *ctx, struct lt_import_chunk *chunk);

struct lt_import_queue {
	struct lt_import_chunk *chunks[LT_IMPORT_QUEUE_CHUNKS];
	size_t submitted; /* chunks handed over so far; chunks[submitted % N] is being filled */
	size_t consumed;  /* chunks run so far */
	int stopping, threaded;
	pthread_t writer;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	lt_import_consume_fn consume;
	void *ctx;
};

int lt_import_queue_start(struct lt_import_queue *q, lt_import_consume_fn consume, void *ctx);
/* The chunk being filled. */
static inline struct lt_import_chunk *lt_import_queue_current(struct lt_import_queue *q)
{
	return q->chunks[q->submitted % LT_IMPORT_QUEUE_CHUNKS];
}
/* Hand the current chunk over (waiting for a free one). */
void lt_import_queue_submit(struct lt_import_queue *q);
/* Submit what is filled, wait until every chunk has run, end the writer
 * thread and free the chunks.  Safe on a queue whose start failed. */
void lt_import_queue_stop(struct lt_import_queue *q);

#endif
