/*
 * import_reader.c — reading one capture stream for the importer.
 */
#include "import_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "import_process.h"
#include "import_promises.h"
#include "import_strings_stacks.h"
#include "import_tasks.h"

/* Widen a 32-bit microsecond clock reading to ns, next to `near` (ns). */
static uint64_t widen_coarse(uint32_t coarse, uint64_t near)
{
	uint64_t near_us = near / 1000u;
	uint64_t candidate = (near_us & ~(uint64_t)0xffffffffu) | coarse;
	if (candidate > near_us + 0x80000000u && candidate >= 0x100000000u)
		candidate -= 0x100000000u;
	else if (candidate + 0x80000000u < near_us)
		candidate += 0x100000000u;
	return candidate * 1000u;
}

static uint64_t record_ts(const struct lt_stream *s, const uint32_t *r)
{
	switch (lt_record_kind(r[0])) {
	case LT_PROC_START:
	case LT_POLL_ENTER:
	case LT_POLL_EXIT:
	case LT_OUTPUT:
	case LT_FORK:
	case LT_EXEC:
	case LT_THREAD_CREATE:
	case LT_JS_START:
		return lt_ts64(r + 1);
	case LT_EXIT_EMIT:
	case LT_EXIT_DONE:
	case LT_MAIN_END:
		return s->js_base + lt_ts64(r + 1);
	case LT_R_INIT:
		if (lt_record_aux(r[0]) & 4)
			return widen_coarse(r[5], s->last_ts);
		return s->js_base + lt_ts64(r + 5);
	case LT_R_BEFORE:
	case LT_R_AFTER:
	case LT_R_DESTROY:
		if (lt_record_aux(r[0]) & 2)
			return widen_coarse(r[2], s->last_ts);
		return s->js_base + lt_ts64(r + 2);
	case LT_REJECT:
		return s->js_base + lt_ts64(r + 4);
	case LT_P_INIT:
		return widen_coarse(r[3], s->last_ts);
	case LT_P_SETTLE:
	case LT_P_BEFORE:
	case LT_P_AFTER:
		return widen_coarse(r[2], s->last_ts);
	default:
		return s->last_ts;
	}
}

/* Words a record of this kind must hold for its handler and record_ts to
 * read (header included); lengths and counts inside it are checked against
 * its size too.  0: a malformed record. */
static int record_fits(const uint32_t *r)
{
	unsigned words = lt_record_words(r[0]), aux = lt_record_aux(r[0]);
	switch (lt_record_kind(r[0])) {
	case LT_STRING: /* id, nbytes, bytes */
		return words >= 3 && r[2] <= (words - 3u) * 4u;
	case LT_STACK: /* id, nframes, 4 words per frame */
		return words >= 3 && r[2] <= (words - 3u) / 4u;
	case LT_OUTPUT: /* ts64, nbytes, bytes */
		return words >= 4 && r[3] <= (words - 4u) * 4u;
	case LT_PROC_START:
	case LT_POLL_ENTER:
	case LT_POLL_EXIT:
	case LT_FORK:
	case LT_EXEC:
	case LT_EXIT_EMIT:
	case LT_EXIT_DONE:
	case LT_R_BEFORE:
	case LT_R_AFTER:
	case LT_R_DESTROY:
	case LT_BLOCKING:
		return words >= 4;
	case LT_THREAD_CREATE:
	case LT_MAIN_END:
	case LT_P_SETTLE:
	case LT_P_BEFORE:
	case LT_P_AFTER:
	case LT_REJECT_DETAIL:
	case LT_SAMPLING:
		return words >= 3;
	case LT_JS_START:
		return words >= 5;
	case LT_P_INIT:
		return words >= ((aux & 1) ? 5u : 4u);
	case LT_R_INIT:
		return words >= 9;
	case LT_R_REF:
		return words >= 2;
	case LT_REJECT:
		return words >= 7;
	case LT_SAMPLE:
		return words >= 5;
	case LT_WORK: /* ts64, wait, run, latency[, resource id] */
		return words >= 6;
	default:
		return 1; /* kinds the importer does not read */
	}
}

/* Pages of the mapped capture behind the reader are given back: what was
 * read is never read again (texts are copied out), and a long capture would
 * otherwise stay resident and count in the importer's memory.  Whole chunks
 * before the one holding the last record read (`upto`: words read). */
static void release_read(struct lt_stream *s, size_t upto)
{
	if (!s->raw.map || upto == 0)
		return;
	size_t chunk = (upto - 1) / LT_CHUNK_WORDS; /* of the last record read */
	if (chunk <= s->released_chunks)
		return;
	size_t from = LT_HEADER_BYTES + s->released_chunks * (size_t)LT_CHUNK_WORDS * 4u;
	size_t to = LT_HEADER_BYTES + chunk * (size_t)LT_CHUNK_WORDS * 4u;
	if (to <= s->raw.map_bytes)
		madvise((char *)s->raw.map + from, to - from, MADV_DONTNEED);
	s->released_chunks = chunk;
}

/* The next record, checked: 1, 0 at the end, -EBADMSG when malformed. */
static int next_record(struct lt_stream *s, const uint32_t **r)
{
	int rc = lt_raw_next(&s->raw, r);
	if (rc > 0 && !record_fits(*r))
		rc = -EBADMSG;
	if (rc > 0)
		release_read(s, s->raw.pos);
	return rc;
}

void lt_stream_peek(struct lt_stream *s)
{
	const uint32_t *r;
	int rc = s->done ? 0 : next_record(s, &r);
	if (rc <= 0) {
		s->done = 1;
		if (rc < 0)
			s->damaged = 1;
		s->next = NULL;
		return;
	}
	if (lt_record_kind(r[0]) == LT_JS_START)
		s->js_base = lt_ts64(r + 1);
	uint64_t ts = record_ts(s, r);
	if (ts < s->last_ts)
		ts = s->last_ts;
	s->next = r;
	s->next_ts = ts;
}

/* First pass over a stream: validate, note the largest resource and
 * promise ids (global ids are a base plus local ids) and LT_MAIN_END. */
static void stream_scan(struct lt_stream *s)
{
	const uint32_t *r;
	int rc;
	while ((rc = next_record(s, &r)) > 0) {
		switch (lt_record_kind(r[0])) {
		case LT_R_INIT:
			if (r[1] > s->max_res)
				s->max_res = r[1];
			break;
		case LT_P_INIT:
			if (r[1] > s->max_prom)
				s->max_prom = r[1];
			break;
		case LT_MAIN_END:
			s->has_main_end = 1;
			break;
		default:
			break;
		}
	}
	s->damaged = rc < 0;
	s->raw.pos = 0;
	s->released_chunks = 0;
	if (s->raw.map && s->raw.map_bytes > LT_HEADER_BYTES)
		madvise((char *)s->raw.map + LT_HEADER_BYTES, s->raw.map_bytes - LT_HEADER_BYTES, MADV_DONTNEED);
}

int lt_stream_open(struct lt_stream *s, const char *path)
{
	s->path = path;
	int rc = lt_raw_open(&s->raw, path);
	if (rc != 0)
		return rc;
	stream_scan(s);
	s->pid = s->raw.hdr->pid;
	s->tid = s->raw.hdr->tid;
	if (lt_strings_stacks_init(s) != 0 || lt_tasks_init(s) != 0 || lt_promises_init(s) != 0)
		return -ENOMEM;
	return 0;
}

void lt_stream_close(struct lt_stream *s)
{
	lt_strings_stacks_free(s);
	lt_tasks_free(s);
	lt_promises_free(s);
	lt_process_free(s);
	lt_raw_close(&s->raw);
}
