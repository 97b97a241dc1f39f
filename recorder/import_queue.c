/*
 * import_queue.c — the bounded chunk ring between the importer's replay
 * and its SQLite writer thread.
 */
#include "import_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void *writer_main(void *arg)
{
	struct lt_import_queue *q = arg;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->consumed == q->submitted && !q->stopping)
			pthread_cond_wait(&q->changed, &q->lock);
		if (q->consumed == q->submitted)
			break; /* stopping, and all is run */
		struct lt_import_chunk *c = q->chunks[q->consumed % LT_IMPORT_QUEUE_CHUNKS];
		pthread_mutex_unlock(&q->lock);
		q->consume(q->ctx, c);
		c->n_cells = 0;
		c->text_used = 0;
		pthread_mutex_lock(&q->lock);
		q->consumed++;
		pthread_cond_broadcast(&q->changed);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static void free_chunks(struct lt_import_queue *q)
{
	for (size_t i = 0; i < LT_IMPORT_QUEUE_CHUNKS; i++) {
		free(q->chunks[i]);
		q->chunks[i] = NULL;
	}
}

int lt_import_queue_start(struct lt_import_queue *q, lt_import_consume_fn consume, void *ctx)
{
	memset(q, 0, sizeof(*q));
	q->consume = consume;
	q->ctx = ctx;
	for (size_t i = 0; i < LT_IMPORT_QUEUE_CHUNKS; i++) {
		/* malloc, not calloc: the cells are written before they are read */
		q->chunks[i] = malloc(sizeof(*q->chunks[i]));
		if (!q->chunks[i]) {
			free_chunks(q);
			return -ENOMEM;
		}
		q->chunks[i]->n_cells = 0;
		q->chunks[i]->text_used = 0;
	}
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		goto run_inline;
	if (pthread_cond_init(&q->changed, NULL) != 0)
		goto destroy_lock;
	if (pthread_create(&q->writer, NULL, writer_main, q) != 0)
		goto destroy_cond;
	q->threaded = 1;
	return 0;
destroy_cond:
	pthread_cond_destroy(&q->changed);
destroy_lock:
	pthread_mutex_destroy(&q->lock);
run_inline:
	q->threaded = 0;
	return 0;
}

void lt_import_queue_submit(struct lt_import_queue *q)
{
	if (!q->threaded) {
		struct lt_import_chunk *c = lt_import_queue_current(q);
		q->consume(q->ctx, c);
		c->n_cells = 0;
		c->text_used = 0;
		return;
	}
	pthread_mutex_lock(&q->lock);
	q->submitted++;
	pthread_cond_broadcast(&q->changed);
	/* the next chunk to fill must have been run */
	while (q->submitted - q->consumed >= LT_IMPORT_QUEUE_CHUNKS)
		pthread_cond_wait(&q->changed, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void lt_import_queue_stop(struct lt_import_queue *q)
{
	if (!q->chunks[0])
		return;
	if (lt_import_queue_current(q)->n_cells)
		lt_import_queue_submit(q);
	if (q->threaded) {
		pthread_mutex_lock(&q->lock);
		q->stopping = 1;
		pthread_cond_broadcast(&q->changed);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->writer, NULL);
		pthread_cond_destroy(&q->changed);
		pthread_mutex_destroy(&q->lock);
		q->threaded = 0;
	}
	free_chunks(q);
}
