/*
 * import_process.c — process and thread life of a stream, its output, and
 * its thread row.
 */
#include "import_process.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analyzer/store.h"
#include "import_dispatch.h"
#include "import_promises.h"
#include "import_strings_stacks.h"

void lt_process_free(struct lt_stream *s)
{
	free(s->out_buf);
	s->out_buf = NULL;
	s->out_len = s->out_cap = 0;
}

void lt_on_proc_start(struct lt_stream *s, const uint32_t *r)
{
	s->argv = lt_string_of(s, r[3]);
}

void lt_on_js_start(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	s->is_js = 1;
	s->js_thread_id = r[3];
	s->main_script = lt_string_of(s, r[4]);
	if (lt_record_words(r[0]) >= 6)
		s->worker_name = lt_string_of(s, r[5]);
	/* A flight recorder's window that starts later: the main module's
	 * evaluation is not in it. */
	if (ts < im->window_from_ns)
		return;
	static const char main_type[] = "main";
	s->phase = LT_PHASE_MAIN;
	lt_open_dispatch(im, s, D_MAIN, 0, LT_QUEUE_MAIN, main_type, sizeof(main_type) - 1, NO_SEQ, ts);
	s->main_open = 1;
}

void lt_on_main_end(struct lt_importer *im, struct lt_stream *s, uint64_t ts)
{
	lt_close_dispatch(im, s, D_MAIN, 0, ts);
}

void lt_on_exit_emit(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	static const char *const types[] = {"beforeExit", "exit"};
	const char *type = types[lt_record_aux(r[0]) & 1];
	if (s->main_open && !s->has_main_end && s->depth == 1)
		lt_close_top(im, s, ts);
	s->phase = LT_PHASE_EXIT;
	lt_open_dispatch(im, s, D_EXIT, 0, LT_QUEUE_EXIT, type, (uint32_t)strlen(type), NO_SEQ, ts);
}

void lt_on_exit_done(struct lt_importer *im, struct lt_stream *s, uint64_t ts)
{
	lt_close_dispatch(im, s, D_EXIT, 0, ts);
}

static void flush_output(struct lt_importer *im, struct lt_stream *s, int fd, uint64_t ts, uint32_t seq)
{
	struct lt_import_cell *c = lt_import_op(&im->db, ST_OUTPUT);
	lt_cell_int(&c[0], s->pid);
	lt_cell_int(&c[1], s->tid);
	lt_cell_opt(&c[2], seq != NO_SEQ, seq);
	lt_cell_int(&c[3], fd);
	lt_cell_int(&c[4], (int64_t)ts);
	/* the stream's buffer is reused for the next output: a copy */
	lt_cell_text_copy(&im->db, &c[5], s->out_buf ? s->out_buf : "", (int)s->out_len);
	s->out_len = 0;
	im->stats->outputs++;
}

/* One write() the probe split into pieces is kept whole up to this size;
 * a longer one is stored in rows of at most this much. */
#define MAX_OUTPUT_ROW (16u << 20)

void lt_on_output(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	/* the reader checked that the bytes lie inside the record */
	uint32_t n = r[3];
	unsigned aux = lt_record_aux(r[0]);
	int fd = (int)(aux & 0x7fu);
	if (s->out_len && s->out_len + n > MAX_OUTPUT_ROW)
		flush_output(im, s, fd, ts, lt_ensure_dispatch(im, s, ts));
	if (s->out_len + n > s->out_cap) {
		size_t cap = (s->out_len + n) * 2;
		if (cap > MAX_OUTPUT_ROW)
			cap = s->out_len + n > MAX_OUTPUT_ROW ? s->out_len + n : MAX_OUTPUT_ROW;
		char *buf = realloc(s->out_buf, cap);
		if (!buf) {
			im->db.failed = 1;
			return;
		}
		s->out_buf = buf;
		s->out_cap = cap;
	}
	if (n)
		memcpy(s->out_buf + s->out_len, r + 4, n);
	s->out_len += n;
	if (!(aux & 0x80u))
		flush_output(im, s, fd, ts, lt_ensure_dispatch(im, s, ts));
}

static void write_lineage(struct lt_importer *im, struct lt_stream *s, unsigned kind, uint64_t ts,
			  uint32_t child_pid, struct lt_text exec_path)
{
	struct lt_import_cell *c = lt_import_op(&im->db, ST_LINEAGE);
	lt_cell_int(&c[0], s->pid);
	lt_cell_int(&c[1], s->tid);
	lt_cell_text(&c[2], kind == LT_FORK ? "fork" : kind == LT_EXEC ? "exec" : "thread", -1);
	lt_cell_int(&c[3], (int64_t)ts);
	lt_cell_opt(&c[4], kind == LT_FORK, child_pid);
	if (kind == LT_EXEC)
		lt_cell_text(&c[5], exec_path.s, (int)exec_path.n);
	else
		lt_cell_null(&c[5]);
}

/* An exec attempt is kept pending: a record saying it failed drops it, any
 * other record means the process went on (it is written as an exec then, as
 * an older capture without failure records would have it), and one still
 * pending at the end of the stream is what the process became. */
void lt_flush_exec(struct lt_importer *im, struct lt_stream *s)
{
	if (!s->exec_pending)
		return;
	s->exec_pending = 0;
	write_lineage(im, s, LT_EXEC, s->exec_ts, 0, s->exec_path);
}

void lt_on_exec(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	if (lt_record_aux(r[0]) & LT_EXEC_FAILED) {
		s->exec_pending = 0;
		return;
	}
	lt_flush_exec(im, s);
	s->exec_pending = 1;
	s->exec_path = lt_string_of(s, r[3]);
	s->exec_ts = ts;
}

void lt_on_lineage(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	struct lt_text none = {"", 0};
	unsigned kind = lt_record_kind(r[0]);
	write_lineage(im, s, kind, ts, kind == LT_FORK ? r[3] : 0, none);
}

void lt_on_sampling(struct lt_importer *im, const uint32_t *r)
{
	switch (lt_record_aux(r[0])) {
	case LT_SAMPLING_ON:
		im->sampling_on++;
		break;
	case LT_SAMPLING_OFF:
		im->sampling_off++;
		break;
	case LT_SAMPLING_UNAVAILABLE:
		if (!im->sampling_unavailable++)
			im->unavailable_abi = r[1];
		break;
	default:
		break;
	}
}

/* meta in_dispatch_samples: "on" when every JS thread sampled, "off" when
 * sampling was turned off, "unavailable (no watchdog for Node ABI N)" when
 * the module for that Node was missing (with "partly" when some threads of
 * the trace did sample). */
int lt_write_sampling_meta(struct lt_importer *im)
{
	char text[128];
	/* ABI 0: a native program's thread (probes/preload/native_sampler.c). */
	if (im->sampling_unavailable && !im->unavailable_abi)
		snprintf(text, sizeof(text), "%sunavailable (SIGPROF is the program's, or no CPU-time timer)",
			 im->sampling_on ? "partly " : "");
	else if (im->sampling_unavailable)
		snprintf(text, sizeof(text), "%sunavailable (no watchdog for Node ABI %u)",
			 im->sampling_on ? "partly " : "", im->unavailable_abi);
	else if (im->sampling_on)
		snprintf(text, sizeof(text), "on");
	else if (im->sampling_off)
		snprintf(text, sizeof(text), "off");
	else
		return 0;
	return lt_store_set_meta(im->db.db, "in_dispatch_samples", text);
}

/* Stream i ended by an exec and a later capture of the same pid and tid
 * exists: the exec'd image, traced in its turn (not a reused pid). */
static int superseded(const struct lt_stream *streams, size_t n, size_t i)
{
	const struct lt_file_header *h = streams[i].raw.hdr;
	if (!streams[i].exec_pending)
		return 0;
	for (size_t j = 0; j < n; j++) {
		const struct lt_file_header *o = streams[j].raw.hdr;
		if (j != i && o->pid == h->pid && o->tid == h->tid && o->start_ns > h->start_ns)
			return 1;
	}
	return 0;
}

static void write_thread(struct lt_importer *im, struct lt_stream *s, uint64_t end)
{
	const struct lt_file_header *h = s->raw.hdr;
	struct lt_import_cell *c = lt_import_op(&im->db, ST_THREAD);
	lt_cell_int(&c[0], h->pid);
	lt_cell_int(&c[1], h->tid);
	lt_cell_int(&c[2], h->ppid);
	lt_cell_opt(&c[3], h->parent_tid != 0, h->parent_tid);
	lt_cell_int(&c[4], (h->flags & LT_FILE_MAIN_THREAD) ? 1 : 0);
	lt_cell_opt(&c[5], s->is_js, s->js_thread_id);
	/* argv is NUL-separated on the wire; store it space-separated. */
	if (s->argv.n) {
		lt_cell_text_copy(&im->db, &c[6], s->argv.s, (int)s->argv.n);
		char *argv = (char *)c[6].s;
		for (uint32_t i = 0; c[6].n >= 0 && i < s->argv.n; i++)
			if (argv[i] == '\0')
				argv[i] = ' ';
	} else {
		lt_cell_null(&c[6]);
	}
	if (s->is_js)
		lt_cell_text(&c[7], s->main_script.s, (int)s->main_script.n);
	else
		lt_cell_null(&c[7]);
	/* In a flight recorder's window, the thread is seen from the window's
	 * start (or its own, if later). */
	uint64_t start = h->start_ns > im->window_from_ns ? h->start_ns : im->window_from_ns;
	if (start > end)
		start = end;
	lt_cell_int(&c[8], (int64_t)start);
	lt_cell_int(&c[9], (int64_t)end);
	lt_cell_int(&c[10], (h->flags & LT_FILE_CLOSED) ? 1 : 0);
	lt_cell_int(&c[11], (int64_t)s->events);
	lt_cell_int(&c[12], (int64_t)lt_raw_written_bytes(&s->raw));
	char name[96];
	if (s->is_js && (s->js_thread_id == 0 || (h->flags & LT_FILE_MAIN_THREAD)))
		lt_cell_text(&c[13], "main", -1);
	else if (s->is_js && s->worker_name.n &&
		 snprintf(name, sizeof(name), "worker %u (%.*s)", s->js_thread_id,
			  (int)(s->worker_name.n < 64 ? s->worker_name.n : 64), s->worker_name.s) > 0)
		lt_cell_text_copy(&im->db, &c[13], name, -1);
	else if (s->is_js && snprintf(name, sizeof(name), "worker %u", s->js_thread_id) > 0)
		lt_cell_text_copy(&im->db, &c[13], name, -1);
	else
		lt_cell_null(&c[13]);
	if (s->ended_by_exec)
		lt_cell_text(&c[14], s->exec_path.s, (int)s->exec_path.n);
	else
		lt_cell_null(&c[14]);
	/* Other threads of the process take the main thread's reason (import.c). */
	const char *reason = s->ended_by_exec ? "exec" : (h->flags & LT_FILE_CLOSED) ? "exit" : "killed";
	if (h->flags & LT_FILE_MAIN_THREAD)
		lt_cell_text(&c[15], reason, -1);
	else
		lt_cell_null(&c[15]);
}

void lt_finish_stream(struct lt_importer *im, struct lt_stream *streams, size_t n, size_t i)
{
	struct lt_stream *s = &streams[i];
	int is_superseded = superseded(streams, n, i);
	uint64_t end = s->last_ts;
	if (s->out_len)
		flush_output(im, s, 1, end, lt_ensure_dispatch(im, s, end));
	s->ended_by_exec = s->exec_pending;
	lt_flush_exec(im, s);
	lt_close_all(im, s, end);
	lt_promises_finish(im, s);

	im->stats->events += s->events;
	im->stats->raw_bytes += lt_raw_written_bytes(&s->raw);
	if (s->damaged)
		im->stats->damaged++;
	/* A fork child whose exec failed (or that only tried) is no process of
	 * its own in the trace; one superseded by its exec'd image neither. */
	if (is_superseded || (!s->did_something && !s->ended_by_exec))
		return;
	write_thread(im, s, end);
}
