/*
 * import_reader.c — reading one capture stream for the importer.
 */
#include "import_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

void lt_stream_peek(struct lt_stream *s)
{
	const uint32_t *r;
	int rc = lt_raw_next(&s->raw, &r);
	if (rc <= 0) {
		s->done = 1;
		s->damaged = rc < 0;
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

/* First pass over a stream: validate, note the largest ids and LT_MAIN_END. */
static void stream_scan(struct lt_stream *s)
{
	const uint32_t *r;
	int rc;
	while ((rc = lt_raw_next(&s->raw, &r)) > 0) {
		switch (lt_record_kind(r[0])) {
		case LT_STRING:
			if (r[1] & 0x80000000u) {
				if ((r[1] & 0x7fffffffu) > s->max_c_string)
					s->max_c_string = r[1] & 0x7fffffffu;
			} else if (r[1] > s->max_js_string) {
				s->max_js_string = r[1];
			}
			break;
		case LT_STACK:
			if (r[1] > s->max_stack)
				s->max_stack = r[1];
			break;
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
