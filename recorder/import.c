/*
 * import.c — rebuild dispatches, promises, resources and output from raw
 * capture streams: the driver.
 *
 * Each stream (one thread) is read by import_reader.c and replayed through
 * a small state machine whose parts live by concern:
 *   import_dispatch.c        open dispatches, loop phases and iterations
 *   import_tasks.c           async resources and their callbacks
 *   import_promises.c        promises, reactions, rejections
 *   import_strings_stacks.c  strings and stacks
 *   import_process.c         process/thread life, output, the thread row
 *   import_db.c              the prepared statements
 * Streams are merged by timestamp so that `seq` is one global order; this
 * file dispatches each record to its handler.
 */
#include "import.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_dispatch.h"
#include "import_losses.h"
#include "import_process.h"
#include "import_promises.h"
#include "import_reader.h"
#include "import_state.h"
#include "import_strings_stacks.h"
#include "import_tasks.h"

/* What later records refer to, kept from before a window. */
static int is_definition(unsigned kind) { return lt_record_defines(kind) || kind == LT_PAD; }

/* Before a window: remember the callbacks that begin (LT_R_BEFORE,
 * LT_P_BEFORE) and forget those that end, so the ones still running at
 * the window's start can be begun there. */
static void track_before_window(struct lt_stream *s, unsigned kind, const uint32_t *r)
{
	if (kind == LT_R_BEFORE || kind == LT_P_BEFORE) {
		if (s->n_pre_open < LT_PRE_OPEN) {
			unsigned w = lt_record_words(r[0]) < 4 ? lt_record_words(r[0]) : 4;
			memset(s->pre_open[s->n_pre_open], 0, sizeof(s->pre_open[0]));
			memcpy(s->pre_open[s->n_pre_open], r, w * 4u);
			s->n_pre_open++;
		}
		return;
	}
	unsigned begin = kind == LT_R_AFTER ? LT_R_BEFORE : kind == LT_P_AFTER ? LT_P_BEFORE : 0;
	if (!begin)
		return;
	/* Close the innermost match and what is nested in it. */
	for (unsigned i = s->n_pre_open; i-- > 0;)
		if (lt_record_kind(s->pre_open[i][0]) == begin && s->pre_open[i][1] == r[1]) {
			s->n_pre_open = (uint8_t)i;
			return;
		}
}

/* The stream's first record in the window: begin there what was running. */
static void enter_window(struct lt_importer *im, struct lt_stream *s)
{
	s->in_window = 1;
	for (unsigned i = 0; i < s->n_pre_open; i++) {
		const uint32_t *r = s->pre_open[i];
		if (lt_record_kind(r[0]) == LT_R_BEFORE)
			lt_on_r_before(im, s, r, im->window_from_ns);
		else
			lt_on_p_before(im, s, r, im->window_from_ns);
	}
	s->n_pre_open = 0;
}

static void handle_record(struct lt_importer *im, struct lt_stream *s, const uint32_t *r, uint64_t ts)
{
	unsigned kind = lt_record_kind(r[0]);
	if (ts < im->window_from_ns && !is_definition(kind)) {
		s->last_ts = ts; /* coarse times widen against it */
		if (kind == LT_R_INIT)
			lt_on_r_init_before_window(im, s, r, ts);
		track_before_window(s, kind, r);
		return;
	}
	if (im->window_from_ns && !s->in_window && !is_definition(kind))
		enter_window(im, s);
	s->events++;
	s->last_ts = ts;
	s->it_last = ts;
	if (kind != LT_STRING && kind != LT_PAD && kind != LT_EXEC && kind != LT_PROC_START) {
		lt_flush_exec(im, s);
		s->did_something = 1;
	}
	switch (kind) {
	case LT_STRING: lt_on_string(im, s, r); break;
	case LT_STACK: lt_on_stack(im, s, r); break;
	case LT_PROC_START: lt_on_proc_start(s, r); break;
	case LT_JS_START: lt_on_js_start(im, s, r, ts); break;
	case LT_MAIN_END: lt_on_main_end(im, s, ts); break;
	case LT_EXIT_EMIT: lt_on_exit_emit(im, s, r, ts); break;
	case LT_EXIT_DONE: lt_on_exit_done(im, s, ts); break;
	case LT_R_INIT: lt_on_r_init(im, s, r, ts); break;
	case LT_R_BEFORE: lt_on_r_before(im, s, r, ts); break;
	case LT_R_AFTER: lt_on_r_after(im, s, r, ts); break;
	case LT_R_DESTROY:
	case LT_R_REF: lt_on_r_update(im, s, r, ts); break;
	case LT_P_INIT: lt_on_p_init(im, s, r, ts); break;
	case LT_P_SETTLE: lt_on_p_settle(im, s, r, ts); break;
	case LT_P_BEFORE: lt_on_p_before(im, s, r, ts); break;
	case LT_P_AFTER: lt_on_p_after(im, s, r, ts); break;
	case LT_OUTPUT: lt_on_output(im, s, r, ts); break;
	case LT_REJECT: lt_on_reject(im, s, r, ts); break;
	case LT_REJECT_DETAIL: lt_on_reject_detail(im, s, r); break;
	case LT_POLL_ENTER:
	case LT_POLL_EXIT: lt_on_poll(im, s, r, ts); break;
	case LT_EXEC: lt_on_exec(im, s, r, ts); break;
	case LT_FORK:
	case LT_THREAD_CREATE: lt_on_lineage(im, s, r, ts); break;
	case LT_BLOCKING: lt_on_blocking(im, s, r); break;
	case LT_SAMPLE: lt_on_sample(im, s, r); break;
	case LT_SAMPLING: lt_on_sampling(im, r); break;
	case LT_WORK:
		if (lt_pool_add(&im->pool, lt_record_aux(r[0]), r[3], r[4], r[5]) != 0)
			im->db.failed = 1;
		break;
	default: break;
	}
}

static const char *raw_error(int rc)
{
	if (rc == -EPROTO)
		return "not a looptrace capture file";
	if (rc == -EPROTONOSUPPORT)
		return "capture file of another wire version";
	return strerror(-rc);
}

/* Merge the streams by time: serve the earliest stream, and keep serving it
 * while it stays no later than the runner-up. */
static void merge(struct lt_importer *im, struct lt_stream *streams, size_t n)
{
	for (;;) {
		struct lt_stream *best = NULL;
		uint64_t second = UINT64_MAX;
		for (size_t i = 0; i < n; i++) {
			struct lt_stream *s = &streams[i];
			if (s->done)
				continue;
			if (!best || s->next_ts < best->next_ts) {
				if (best && best->next_ts < second)
					second = best->next_ts;
				best = s;
			} else if (s->next_ts < second) {
				second = s->next_ts;
			}
		}
		if (!best)
			return;
		do {
			handle_record(im, best, best->next, best->next_ts);
			lt_stream_peek(best);
		} while (!best->done && best->next_ts <= second);
	}
}

static int import_files(sqlite3 *db, char *const *paths, size_t n, uint64_t from_ns,
			struct lt_import_stats *stats, char *err, size_t errlen)
{
	memset(stats, 0, sizeof(*stats));
	struct lt_importer im = {.stats = stats, .window_from_ns = from_ns};
	struct lt_stream *streams = calloc(n ? n : 1, sizeof(*streams));
	int rc = 0;
	size_t opened = 0;
	if (!streams) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (; opened < n; opened++) {
		struct lt_stream *s = &streams[opened];
		rc = lt_stream_open(s, paths[opened]);
		if (rc != 0) {
			if (rc == -ENOMEM)
				snprintf(err, errlen, "out of memory reading %s", paths[opened]);
			else
				snprintf(err, errlen, "%s: %s", paths[opened], raw_error(rc));
			opened++;
			goto close_streams;
		}
		s->im = &im;
		s->promise_base = im.promise_base;
		s->resource_base = im.resource_base;
		im.promise_base += (uint64_t)s->max_prom + 1;
		im.resource_base += (uint64_t)s->max_res + 1;
	}
	if (lt_import_db_prepare(&im.db, db) != 0 ||
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database error: %s", im.db.write_error[0] ? im.db.write_error : sqlite3_errmsg(db));
		rc = -EIO;
		goto finalize;
	}
	for (size_t i = 0; i < n; i++) {
		streams[i].last_ts = streams[i].raw.hdr->start_ns;
		lt_stream_peek(&streams[i]);
	}
	merge(&im, streams, n);
	for (size_t i = 0; i < n; i++)
		lt_finish_stream(&im, streams, n, i);
	/* the connection is this thread's again from here */
	lt_import_db_finish_writes(&im.db);
	im.db.failed |= lt_import_losses(db, streams, n) != 0;
	if (sqlite3_exec(db, "UPDATE threads SET end_reason = (SELECT m.end_reason FROM threads m"
			     " WHERE m.pid = threads.pid AND m.is_main_thread = 1) WHERE is_main_thread = 0",
			 NULL, NULL, NULL) != SQLITE_OK || lt_write_sampling_meta(&im) != 0 ||
	    lt_pool_write_meta(&im.pool, db) != 0)
		im.db.failed = 1;
	stats->streams = (unsigned)n;
	if (im.db.failed || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		/* the writer's first failure is the cause (a full disk) */
		snprintf(err, errlen, "database error: %s",
			 im.db.write_error[0] ? im.db.write_error : sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		rc = -EIO;
	}
	stats->unvouched = im.db.unvouched;
	stats->vouched = rc == 0 && !im.db.unvouched;
finalize:
	lt_pool_free(&im.pool);
	lt_import_db_finalize(&im.db);
	lt_user_stacks_free(&im);
close_streams:
	for (size_t i = 0; i < opened; i++)
		lt_stream_close(&streams[i]);
	free(streams);
	return rc;
}

int lt_import_files(sqlite3 *db, char *const *paths, size_t n, struct lt_import_stats *stats,
		    char *err, size_t errlen)
{
	return import_files(db, paths, n, 0, stats, err, errlen);
}

static int is_capture_name(const char *name)
{
	size_t len = strlen(name);
	return len > 4 && strcmp(name + len - 4, ".ltr") == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lt_import_dir(sqlite3 *db, const char *dir, struct lt_import_stats *stats, char *err,
		  size_t errlen)
{
	return lt_import_dir_window(db, dir, 0, stats, err, errlen);
}

int lt_import_dir_window(sqlite3 *db, const char *dir, uint64_t from_ns, struct lt_import_stats *stats,
			 char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	char **paths = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!is_capture_name(e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(paths, cap * sizeof(*paths));
			if (!grown) {
				rc = -ENOMEM;
				goto free_paths;
			}
			paths = grown;
		}
		if (asprintf(&paths[n], "%s/%s", dir, e->d_name) < 0) {
			rc = -ENOMEM;
			goto free_paths;
		}
		n++;
	}
	if (n) /* qsort's base must not be NULL, even for no element */
		qsort(paths, n, sizeof(*paths), by_name);
	rc = import_files(db, paths, n, from_ns, stats, err, errlen);
free_paths:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	closedir(d);
	return rc;
}
