/*
 * test_import.c — capture streams into dispatches, promises, output and
 * iterations: queues, nesting, phases, merge order, cut-short streams, size.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/store.h"
#include "analyzer/store_check.h"
#include "rawgen.h"
#include "recorder/import.h"
#include "testutil.h"

#define MS 1000000ull

struct fixture {
	char dir[4096];
	char db_path[8192];
	sqlite3 *db;
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "%s", test_tmpdir());
	snprintf(f.db_path, sizeof(f.db_path), "%s/trace.db", f.dir);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->db)
		sqlite3_close(f->db);
	test_rmdir(f->dir);
	return 0;
}

static void import(struct fixture *f, struct lt_import_stats *st)
{
	char err[512] = "";
	assert_int_equal(lt_store_create(f->db_path, &f->db), 0);
	int rc = lt_import_dir(f->db, f->dir, st, err, sizeof(err));
	if (rc != 0)
		fail_msg("import: %s", err);
	assert_int_equal(lt_store_finish(f->db), 0);
	/* What the importer vouches for, the reader's check passes
	 * (import_vouch.h); and it vouches or names a column, never neither. */
	if (st->vouched) {
		assert_null(st->unvouched);
		if (lt_store_check(f->db, NULL, err, sizeof(err)) != 0)
			fail_msg("vouched for, yet the check says: %s", err);
	} else {
		assert_non_null(st->unvouched);
	}
}

static void write_stream(struct fixture *f, struct rawgen *g)
{
	char path[8192];
	snprintf(path, sizeof(path), "%s/%d-%d.ltr", f->dir, g->pid, g->tid);
	assert_int_equal(rawgen_write(g, path), 0);
	rawgen_free(g);
}

/* main -> nextTick -> microtask -> timer -> poll -> io (with a nested
 * dispatch) -> immediate -> close -> timer of the next iteration. */
static void one_program(struct rawgen *g)
{
	rawgen_js_start(g, "/app/main.js");
	rawgen_output(g, 1, "A\n", 1 * MS);
	rawgen_r_init(g, 5, 1, "TickObject", 2 * MS, -1);
	rawgen_r_init(g, 6, 1, "Timeout", 2 * MS, 0);
	rawgen_r_init(g, 7, 1, "FSREQCALLBACK", 2 * MS, -1);
	rawgen_r_init(g, 9, 1, "Immediate", 2 * MS, -1);
	rawgen_r_init(g, 10, 1, "TCPWRAP", 2 * MS, -1);
	rawgen_r_init(g, 11, 1, "Timeout", 2 * MS, 10);
	rawgen_p_init(g, 1, 0, 3 * MS);
	rawgen_p_init(g, 2, 1, 3 * MS);
	rawgen_p_event(g, LT_P_SETTLE, 1, 3 * MS);
	rawgen_output(g, 1, "B\n", 4 * MS);
	rawgen_main_end(g, 5 * MS);

	rawgen_r_before(g, 5, 6 * MS, 0);
	rawgen_output(g, 1, "tick\n", 6 * MS);
	rawgen_r_after(g, 5, 7 * MS);
	rawgen_p_event(g, LT_P_BEFORE, 2, 8 * MS);
	rawgen_output(g, 1, "promise\n", 8 * MS);
	rawgen_p_event(g, LT_P_SETTLE, 2, 8 * MS);
	rawgen_p_event(g, LT_P_AFTER, 2, 9 * MS);

	rawgen_r_before(g, 6, 10 * MS, 0);
	rawgen_output(g, 1, "timeout\n", 10 * MS);
	rawgen_r_after(g, 6, 11 * MS);
	rawgen_poll(g, 12 * MS, 20 * MS, 5, 1);
	rawgen_r_before(g, 7, 21 * MS, 0);
	rawgen_r_init(g, 8, 7, "HTTPINCOMINGMESSAGE", 21 * MS, -1);
	rawgen_r_before(g, 8, 22 * MS, 0);
	rawgen_output(g, 2, "nested\n", 22 * MS);
	rawgen_r_after(g, 8, 23 * MS);
	rawgen_r_after(g, 7, 24 * MS);
	rawgen_r_before(g, 9, 25 * MS, 0);
	rawgen_r_after(g, 9, 26 * MS);
	rawgen_r_before(g, 10, 27 * MS, 1);
	rawgen_output(g, 1, "closed\n", 27 * MS);
	rawgen_r_after(g, 10, 28 * MS);
	rawgen_r_before(g, 11, 40 * MS, 0);
	rawgen_r_after(g, 11, 41 * MS);
}

static void rebuilds_queues_order_and_output(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 100, 100, 1000 * MS);
	one_program(&g);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(st.streams, 1);
	assert_int_equal(st.damaged, 0);
	assert_int_equal(st.dispatches, 9);
	assert_int_equal(st.vouched, 1);

	sqlite3 *db = f->db;
	assert_string_equal(test_text(db, "SELECT group_concat(queue, ',') FROM (SELECT queue FROM dispatches ORDER BY seq)"),
			    "main,nextTick,microtask,timer,io,io,immediate,close,timer");
	assert_string_equal(test_text(db, "SELECT group_concat(type, ',') FROM (SELECT type FROM dispatches ORDER BY seq)"),
			    "main,TickObject,PROMISE,Timeout,FSREQCALLBACK,HTTPINCOMINGMESSAGE,Immediate,TCPWRAP,Timeout");
	/* Output belongs to the dispatch that wrote it. */
	assert_string_equal(test_text(db, "SELECT group_concat(o.text, '') FROM output o JOIN dispatches d"
					  " ON d.seq = o.dispatch_seq WHERE d.queue = 'main'"),
			    "A\nB\n");
	assert_string_equal(test_text(db, "SELECT d.type FROM output o JOIN dispatches d ON d.seq = o.dispatch_seq"
					  " WHERE o.text = 'nested\n'"),
			    "HTTPINCOMINGMESSAGE");
	assert_int_equal(test_int(db, "SELECT fd FROM output WHERE text = 'nested\n'"), 2);
	/* Nesting: the nested dispatch has its parent and depth 2, and keeps
	 * the queue the loop served (io). */
	assert_int_equal(test_int(db, "SELECT depth FROM dispatches WHERE type = 'HTTPINCOMINGMESSAGE'"), 2);
	assert_int_equal(test_int(db, "SELECT parent_seq = (SELECT seq FROM dispatches WHERE type='FSREQCALLBACK')"
				      " FROM dispatches WHERE type = 'HTTPINCOMINGMESSAGE'"),
			 1);
	/* Main's duration: from JS start to the end of the main module. */
	assert_int_equal(test_int(db, "SELECT end_ns - begin_ns FROM dispatches WHERE queue = 'main'"), 5 * MS);
	/* Triggers: the tick was scheduled during main (seq 1). */
	assert_int_equal(test_int(db, "SELECT trigger_seq FROM dispatches WHERE type = 'TickObject'"), 1);
	/* Iterations and phases. */
	assert_string_equal(test_text(db, "SELECT group_concat(iteration || ':' || phase, ',') FROM"
					  " (SELECT iteration, phase FROM dispatches ORDER BY seq)"),
			    "0:main,0:main,0:main,1:timers,1:poll,1:poll,1:check,1:close,2:timers");
	assert_int_equal(test_int(db, "SELECT count(*) FROM iterations"), 2);
	assert_int_equal(test_int(db, "SELECT poll_end_ns - poll_begin_ns FROM iterations WHERE n = 1"), 8 * MS);
	assert_int_equal(test_int(db, "SELECT timeout_ms FROM iterations WHERE n = 1"), 5);
	/* Promises: parent chain, settlement. */
	assert_int_equal(test_int(db, "SELECT count(*) FROM promises"), 2);
	assert_int_equal(test_int(db, "SELECT count(*) FROM promises WHERE state = 'settled'"), 2);
	assert_int_equal(test_int(db, "SELECT p2.parent_id = p1.id FROM promises p1, promises p2"
				      " WHERE p1.parent_id IS NULL AND p2.parent_id IS NOT NULL"),
			 1);
	/* Resources: timer delay and trigger. */
	assert_int_equal(test_int(db, "SELECT timer_delay_ms FROM resources WHERE async_id = 11"), 10);
	assert_int_equal(test_int(db, "SELECT t.async_id FROM resources r JOIN resources t ON t.id = r.trigger_id"
				      " WHERE r.async_id = 8"),
			 7);
}

static void cut_short_stream_still_imports(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 100, 100, 1000 * MS);
	/* Like a SIGKILL during a timer: no MAIN_END, no R_AFTER. */
	rawgen_js_start(&g, "/app/main.js");
	rawgen_r_init(&g, 6, 1, "Timeout", 1 * MS, 0);
	rawgen_output(&g, 1, "main\n", 1 * MS);
	rawgen_r_before(&g, 6, 3 * MS, 0);
	rawgen_output(&g, 1, "in timer\n", 4 * MS);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	sqlite3 *db = f->db;
	assert_int_equal(test_int(db, "SELECT count(*) FROM dispatches"), 2);
	/* Without MAIN_END, main ends where the loop first dispatched. */
	assert_int_equal(test_int(db, "SELECT end_ns - begin_ns FROM dispatches WHERE queue = 'main'"), 3 * MS);
	assert_string_equal(test_text(db, "SELECT d.queue FROM output o JOIN dispatches d ON d.seq = o.dispatch_seq"
					  " WHERE o.text = 'in timer\n'"),
			    "timer");
	/* The open dispatch ends at the last event seen. */
	assert_int_equal(test_int(db, "SELECT end_ns - begin_ns FROM dispatches WHERE queue = 'timer'"), 1 * MS);
}

static void merges_threads_by_time(void **state)
{
	struct fixture *f = *state;
	struct rawgen a, b;
	rawgen_init(&a, 100, 100, 1000 * MS);
	rawgen_init(&b, 100, 101, 1000 * MS);
	rawgen_js_start(&a, "/app/main.js");
	rawgen_main_end(&a, 1 * MS);
	rawgen_r_init(&a, 6, 1, "Timeout", 1 * MS, 0);
	rawgen_r_before(&a, 6, 10 * MS, 0);
	rawgen_r_after(&a, 6, 11 * MS);
	rawgen_js_start(&b, "/app/worker.js");
	rawgen_main_end(&b, 2 * MS);
	rawgen_r_init(&b, 6, 1, "Immediate", 2 * MS, -1);
	rawgen_r_before(&b, 6, 5 * MS, 0);
	rawgen_r_after(&b, 6, 6 * MS);
	write_stream(f, &a);
	write_stream(f, &b);
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(st.streams, 2);
	assert_string_equal(test_text(f->db, "SELECT group_concat(tid || type, ',') FROM"
					     " (SELECT tid, type FROM dispatches ORDER BY seq)"),
			    "100main,101main,101Immediate,100Timeout");
	/* Same async id in two threads: two resources. */
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM resources WHERE async_id = 6"), 2);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM threads"), 2);
}

static void million_dispatches(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 100, 100, 1000 * MS);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_main_end(&g, 1);
	rawgen_r_init(&g, 6, 1, "Timeout", 1, 1);
	uint64_t t = 10;
	for (int i = 0; i < 1000000; i++) {
		rawgen_r_before(&g, 6, t, 0);
		if (i % 100000 == 0)
			rawgen_output(&g, 1, "x\n", t);
		rawgen_r_after(&g, 6, t + 5);
		t += 10;
	}
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(st.dispatches, 1000001);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM dispatches WHERE queue = 'timer'"), 1000000);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM output"), 10);
	assert_int_equal(test_int(f->db, "SELECT max(seq) FROM dispatches"), 1000001);
}

static void empty_directory_gives_empty_trace(void **state)
{
	struct fixture *f = *state;
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(st.streams, 0);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM dispatches"), 0);
}

static void foreign_file_is_an_error(void **state)
{
	struct fixture *f = *state;
	char path[8192], err[512] = "";
	snprintf(path, sizeof(path), "%s/1-1.ltr", f->dir);
	FILE *fp = fopen(path, "w");
	for (int i = 0; i < 2000; i++)
		fputs("garbage ", fp);
	fclose(fp);
	assert_int_equal(lt_store_create(f->db_path, &f->db), 0);
	struct lt_import_stats st;
	assert_int_equal(lt_import_dir(f->db, f->dir, &st, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "not a looptrace capture file"));
}


static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	int64_t v = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -2 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void query_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	out[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* A sample is written at the agent's next resource event, after the
 * dispatch it was taken in may have ended: it belongs to the dispatch that
 * was running at its time. */
static void samples_belong_to_the_dispatch_running_then(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 40, 40, 1000 * MS);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_sampling(&g, LT_SAMPLING_ON, 115);
	uint32_t in_main = rawgen_stack(&g, "", "/app/main.js", 3, 1);
	uint32_t in_timer = rawgen_stack(&g, "parse", "/app/main.js", 9, 5);
	rawgen_r_init(&g, 6, 1, "Timeout", 1 * MS, 0);
	rawgen_r_init(&g, 7, 1, "Immediate", 1 * MS, -1);
	rawgen_sample(&g, 1 * MS + 500000, in_main, 41 * MS);
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 6, 10 * MS, 0);
	rawgen_r_after(&g, 6, 100 * MS);
	rawgen_sample(&g, 50 * MS, in_timer, 40 * MS); /* flushed at the next before */
	rawgen_r_before(&g, 7, 110 * MS, 0);
	rawgen_r_after(&g, 7, 111 * MS);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM samples"), 2);
	assert_int_equal(query_int(f->db, "SELECT d.type = 'main' FROM samples s JOIN dispatches d"
					  " ON d.seq = s.dispatch_seq WHERE s.ts_ns = 1001500000"), 1);
	char text[256];
	query_text(f->db, "SELECT d.type || ' ' || st.function || ' ' || st.line FROM samples s"
			  " JOIN dispatches d ON d.seq = s.dispatch_seq JOIN stacks st ON st.stack_id = s.stack_id"
			  " WHERE s.ts_ns = 1050000000", text, sizeof(text));
	assert_string_equal(text, "Timeout parse 9");
	query_text(f->db, "SELECT value FROM meta WHERE key = 'in_dispatch_samples'", text, sizeof(text));
	assert_string_equal(text, "on");
}

/* LT_WORK records (libuv programs' threadpool) summed up in meta: every
 * item by kind and submitted -> done, wait and run of the items that ran in
 * a wrapped work callback (uv_queue_work) only. */
static void threadpool_work_in_meta(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 41, 41, 1000 * MS);
	rawgen_js_start(&g, "/usr/bin/prog");
	rawgen_r_init(&g, 5, 0, "uv_work", 1 * MS, -1);
	rawgen_work(&g, LT_POOL_QUEUE, 1001 * MS, 2 * MS, 20 * MS, 23 * MS, 5);
	rawgen_work(&g, LT_POOL_QUEUE, 1001 * MS, 22 * MS, 20 * MS, 43 * MS, 6);
	rawgen_work(&g, LT_POOL_FS, 1002 * MS, LT_WORK_UNSEEN, LT_WORK_UNSEEN, 1 * MS, 7);
	rawgen_work(&g, LT_POOL_DNS, 1002 * MS, LT_WORK_UNSEEN, LT_WORK_UNSEEN, 4 * MS, 8);
	rawgen_work(&g, LT_POOL_FS, 1002 * MS, LT_WORK_UNSEEN, 5, 2 * MS, 9); /* half seen: not timed */
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	const char *want[][2] = {
		{"threadpool_items", "5"},
		{"threadpool_items_by_kind", "fs 2, work 2, dns 1, random 0"},
		{"threadpool_timed_items", "2"},
		{"threadpool_queue_wait_ms", "p50 22.000 p99 22.000 max 22.000"},
		{"threadpool_run_ms", "p50 20.000 p99 20.000 max 20.000"},
		{"threadpool_done_ms", "p50 4.000 p99 43.000 max 43.000"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char sql[256], text[256];
		snprintf(sql, sizeof(sql), "SELECT value FROM meta WHERE key = '%s'", want[i][0]);
		query_text(f->db, sql, text, sizeof(text));
		assert_string_equal(text, want[i][1]);
	}
}

/* No threadpool request: no threadpool keys (a Node trace stays as it was). */
static void no_threadpool_no_meta(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 42, 42, 1000 * MS);
	one_program(&g);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM meta WHERE key LIKE 'threadpool%'"), 0);
}

static void sampling_unavailable_is_said(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 40, 40, 1000 * MS);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_sampling(&g, LT_SAMPLING_UNAVAILABLE, 999);
	rawgen_main_end(&g, 2 * MS);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	char text[256];
	query_text(f->db, "SELECT value FROM meta WHERE key = 'in_dispatch_samples'", text, sizeof(text));
	assert_string_equal(text, "unavailable (no watchdog for Node ABI 999)");
}

/* A wait in epoll that a signal cut short (EINTR: V8's profiler samples
 * by SIGPROF) and that libuv entered again at once is one wait of one
 * iteration; a wait cut short that libuv left is an iteration's end. */
static void interrupted_poll_is_one_wait(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 40, 40, 1000 * MS);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_main_end(&g, 2 * MS);
	rawgen_poll(&g, 3 * MS, 10 * MS, 100, -EINTR);
	rawgen_poll(&g, 10 * MS, 20 * MS, 93, -EINTR);
	rawgen_poll(&g, 20 * MS, 103 * MS, 83, 0);
	rawgen_poll(&g, 104 * MS, 110 * MS, 50, -EINTR);
	rawgen_r_init(&g, 6, 1, "Timeout", 111 * MS, 10);
	rawgen_poll(&g, 112 * MS, 120 * MS, 5, 0);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM iterations WHERE poll_begin_ns IS NOT NULL"), 3);
	assert_int_equal(test_int(f->db, "SELECT poll_end_ns - poll_begin_ns FROM iterations WHERE n = 1"), 100 * MS);
	assert_int_equal(test_int(f->db, "SELECT timeout_ms FROM iterations WHERE n = 1"), 100);
}

/* Clearing a timer or an immediate sets cleared_ns; closing a libuv handle
 * destroyed_ns. */
static void cleared_timers_and_closed_handles(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 40, 40, 1000 * MS);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_r_init(&g, 6, 1, "Timeout", 1 * MS, 10000);
	rawgen_r_init(&g, 7, 1, "Immediate", 1 * MS, -1);
	rawgen_r_init(&g, 8, 1, "TCPSERVERWRAP", 1 * MS, -1);
	rawgen_r_init(&g, 9, 1, "Timeout", 1 * MS, 10000);
	rawgen_destroy(&g, 6, 5 * MS);
	rawgen_destroy(&g, 7, 5 * MS);
	rawgen_destroy(&g, 8, 6 * MS);
	rawgen_main_end(&g, 7 * MS);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(query_int(f->db, "SELECT cleared_ns FROM resources WHERE async_id = 6"), 1005 * MS);
	assert_int_equal(query_int(f->db, "SELECT destroyed_ns FROM resources WHERE async_id = 6"), -2);
	assert_int_equal(query_int(f->db, "SELECT cleared_ns FROM resources WHERE async_id = 7") > 0, 1);
	assert_int_equal(query_int(f->db, "SELECT destroyed_ns FROM resources WHERE async_id = 8"), 1006 * MS);
	assert_int_equal(query_int(f->db, "SELECT cleared_ns FROM resources WHERE async_id = 8"), -2);
	assert_int_equal(query_int(f->db, "SELECT cleared_ns FROM resources WHERE async_id = 9"), -2);
}

/* exec: a failed attempt is dropped; the last one, when nothing follows, is
 * what the process became; an exec'd image traced in its turn (a second
 * capture of the same pid and tid) describes the thread. */
static void exec_endings(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 50, 50, 1000 * MS); /* a shell: exec sleep after a miss */
	rawgen_exec(&g, "/usr/local/bin/sleep", 1 * MS, 1);
	rawgen_exec(&g, "/usr/bin/sleep", 2 * MS, 0);
	write_stream(f, &g);
	rawgen_init(&g, 60, 60, 1000 * MS); /* a fork child whose exec failed */
	rawgen_exec(&g, "/no/such", 1 * MS, 1);
	write_stream(f, &g);
	rawgen_init(&g, 70, 70, 1000 * MS); /* a fork child that became node */
	rawgen_exec(&g, "/usr/bin/node", 1 * MS, 0);
	write_stream(f, &g);
	rawgen_init(&g, 70, 70, 1010 * MS);
	rawgen_js_start(&g, "/app/child.js");
	rawgen_main_end(&g, 1 * MS);
	char path[8192];
	snprintf(path, sizeof(path), "%s/70-70.1.ltr", f->dir);
	assert_int_equal(rawgen_write(&g, path), 0);
	rawgen_free(&g);
	struct lt_import_stats st;
	import(f, &st);
	char text[256];
	query_text(f->db, "SELECT exec_path || ' ' || end_reason FROM threads WHERE pid = 50", text, sizeof(text));
	assert_string_equal(text, "/usr/bin/sleep exec");
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM lineage WHERE pid = 50"), 1);
	query_text(f->db, "SELECT detail FROM lineage WHERE pid = 50 AND kind = 'exec'", text, sizeof(text));
	assert_string_equal(text, "/usr/bin/sleep");
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM threads WHERE pid = 60"), 0);
	assert_int_equal(query_int(f->db, "SELECT count(*) FROM lineage WHERE pid = 60"), 0);
	query_text(f->db, "SELECT thread_name || ' ' || main_script || ' ' || end_reason FROM threads"
			  " WHERE pid = 70", text, sizeof(text));
	assert_string_equal(text, "main /app/child.js killed");
	assert_int_equal(query_int(f->db, "SELECT exec_path FROM threads WHERE pid = 70"), -2);
	query_text(f->db, "SELECT detail FROM lineage WHERE pid = 70 AND kind = 'exec'", text, sizeof(text));
	assert_string_equal(text, "/usr/bin/node");
}

/* --- hostile captures (issue 12): each imports, the damage counted, with
 * nothing read or copied from outside its record --- */

/* A stream with output before and after `bad` (a record built by the
 * caller): the import succeeds, the stream counts as damaged, the output
 * before it is there and nothing after it is. */
static void import_damaged(struct fixture *f, const uint32_t *bad, size_t n)
{
	struct rawgen g;
	rawgen_init(&g, 100, 100, 1000 * MS);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_output(&g, 1, "before\n", 1 * MS);
	rawgen_record(&g, lt_record_kind(bad[0]), lt_record_aux(bad[0]), bad + 1, n - 1);
	/* the header as given (rawgen_record writes words = n) */
	g.words[g.n - n] = bad[0];
	rawgen_output(&g, 1, "after\n", 2 * MS);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(st.streams, 1);
	assert_int_equal(st.damaged, 1);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM output WHERE text = 'before\n'"), 1);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM output"), 1);
}

static void string_of_one_word(void **state)
{
	uint32_t bad[1] = {lt_record_header(LT_STRING, 0, 1)};
	import_damaged(*state, bad, 1);
}

static void string_longer_than_its_record(void **state)
{
	uint32_t bad[4] = {lt_record_header(LT_STRING, 0, 4), 7, 1u << 20, 0x41414141};
	import_damaged(*state, bad, 4);
}

static void stack_claiming_a_billion_frames(void **state)
{
	uint32_t bad[7] = {lt_record_header(LT_STACK, 0, 7), 3, 1u << 30, 1, 1, 1, 1};
	import_damaged(*state, bad, 7);
	assert_int_equal(test_int(((struct fixture *)*state)->db, "SELECT count(*) FROM stacks"), 0);
}

static void output_of_three_words(void **state)
{
	uint32_t bad[3] = {lt_record_header(LT_OUTPUT, 1, 3), 5, 0};
	import_damaged(*state, bad, 3);
}

static void output_claiming_more_bytes_than_it_holds(void **state)
{
	uint32_t bad[5] = {lt_record_header(LT_OUTPUT, 1, 5), 5, 0, 4096, 0x41414141};
	import_damaged(*state, bad, 5);
}

static void short_fixed_records(void **state)
{
	/* every kind the importer reads, one word short of its payload */
	static const struct {
		unsigned kind, aux, words;
	} shorts[] = {
		{LT_R_INIT, 0, 8}, {LT_REJECT, 0, 6}, {LT_P_INIT, 1, 4}, {LT_P_INIT, 0, 3},
		{LT_JS_START, 0, 4}, {LT_SAMPLE, 0, 4}, {LT_R_BEFORE, 0, 3}, {LT_R_REF, 0, 1},
		{LT_BLOCKING, 0, 3}, {LT_MAIN_END, 0, 2}, {LT_EXEC, 0, 3}, {LT_SAMPLING, 0, 2},
	};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++) {
		uint32_t bad[16] = {lt_record_header(shorts[i].kind, shorts[i].aux, shorts[i].words)};
		for (unsigned w = 1; w < shorts[i].words; w++)
			bad[w] = 1;
		import_damaged(f, bad, shorts[i].words);
		sqlite3_close(f->db);
		f->db = NULL;
		unlink(f->db_path);
	}
}

static void huge_promise_and_async_ids(void **state)
{
	struct fixture *f = *state;
	struct rusage before, after;
	getrusage(RUSAGE_SELF, &before);
	struct rawgen g;
	rawgen_init(&g, 100, 100, 1000 * MS);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_p_init(&g, 1u << 26, 0, 1 * MS);
	rawgen_p_init(&g, 0xfffffff0u, 1u << 26, 1 * MS);
	rawgen_p_event(&g, LT_P_SETTLE, 1u << 26, 2 * MS);
	rawgen_r_init(&g, 0xfffffffeu, 0x7fffffffu, "Timeout", 2 * MS, 5);
	rawgen_main_end(&g, 3 * MS);
	rawgen_r_before(&g, 0xfffffffeu, 4 * MS, 0);
	rawgen_r_after(&g, 0xfffffffeu, 5 * MS);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	getrusage(RUSAGE_SELF, &after);
	assert_int_equal(st.damaged, 0);
	/* memory does not follow the ids' values (the dense tables took 2.6 GB) */
	assert_true(after.ru_maxrss - before.ru_maxrss < 200 * 1024);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM promises"), 2);
	assert_int_equal(test_int(f->db, "SELECT id FROM promises WHERE state = 'settled'"), 1 << 26);
	assert_int_equal(test_int(f->db, "SELECT parent_id FROM promises WHERE state = 'pending'"), 1 << 26);
	assert_int_equal(test_int(f->db, "SELECT async_id FROM resources"), 0xfffffffeu);
	assert_string_equal(test_text(f->db, "SELECT type FROM dispatches WHERE queue = 'timer'"), "Timeout");
}

/* More promises than the bounded table keeps (LT_IMPORT_GENERATION, 2^17):
 * one left pending all along is forgotten, written pending, and its late
 * settle still lands on its row; one used now and then is kept; memory
 * does not grow with the run. */
static void forgotten_promises_are_written_then_settled(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 100, 100, 1000 * MS);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_p_init(&g, 1, 0, 1 * MS);      /* left alone until the end */
	rawgen_p_init(&g, 2, 0, 1 * MS);      /* a parent used all along */
	const uint32_t n = 400000;
	for (uint32_t id = 3; id < n; id++) {
		rawgen_p_init(&g, id, id % 1000 == 0 ? 2 : 0, 2 * MS);
		rawgen_p_event(&g, LT_P_SETTLE, id, 2 * MS);
		if (id % 1000 == 0)
			rawgen_p_event(&g, LT_P_BEFORE, 2, 2 * MS), rawgen_p_event(&g, LT_P_AFTER, 2, 2 * MS);
	}
	rawgen_p_event(&g, LT_P_SETTLE, 1, 3 * MS);
	rawgen_p_event(&g, LT_P_BEFORE, 1, 4 * MS);
	rawgen_p_event(&g, LT_P_AFTER, 1, 4 * MS);
	rawgen_main_end(&g, 5 * MS);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(st.damaged, 0);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM promises"), n - 1);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM promises WHERE state = 'pending'"), 1);
	/* promise 1: created at 1 ms, settled at 3 ms although it was forgotten */
	assert_string_equal(test_text(f->db, "SELECT state FROM promises WHERE id = 1"), "settled");
	assert_int_equal(test_int(f->db, "SELECT settled_ns - created_ns FROM promises WHERE id = 1"), 2 * MS);
	/* its reaction is still a dispatch of that promise (its trigger is lost) */
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM dispatches WHERE promise_id = 1"
				      " AND trigger_seq IS NULL"), 1);
	/* promise 2 (never settled) stayed known: its late reactions have a trigger */
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM dispatches WHERE promise_id = 2"
				      " AND trigger_seq IS NULL"), 0);
	assert_string_equal(test_text(f->db, "SELECT state FROM promises WHERE id = 2"), "pending");
}

/* Times from the capture are values, not work: a poll that ends 1e15 ns
 * later, a resource 2^62 ns after the start and a coarse clock jumping by
 * its whole range import like any other (the importer never loops over
 * time). */
static void time_bombs_are_plain_values(void **state)
{
	struct fixture *f = *state;
	struct rawgen g;
	rawgen_init(&g, 100, 100, 1000 * MS);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_main_end(&g, 1 * MS);
	rawgen_poll(&g, 2 * MS, 2 * MS + 1000000000000000ull, 5, 1);
	rawgen_r_init(&g, 7, 1, "Timeout", 1ull << 62, 1);
	rawgen_r_before(&g, 7, 1ull << 62, 0);
	rawgen_r_after(&g, 7, (1ull << 62) + 1);
	uint32_t p[3] = {9, 0, 0xffffffffu};
	rawgen_record(&g, LT_P_INIT, 0, p, 3);
	uint32_t q[2] = {9, 0};
	rawgen_record(&g, LT_P_SETTLE, 0, q, 2);
	write_stream(f, &g);
	struct lt_import_stats st;
	import(f, &st);
	assert_int_equal(st.damaged, 0);
	assert_int_equal(test_int(f->db, "SELECT poll_end_ns - poll_begin_ns FROM iterations WHERE n = 1"),
			 1000000000000000ll);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM dispatches WHERE type = 'Timeout'"), 1);
	assert_int_equal(test_int(f->db, "SELECT count(*) FROM promises"), 1);
	/* the importer wrote them but does not vouch for them: the first
	 * open of this trace scans it, and refuses it */
	assert_int_equal(st.vouched, 0);
	char err[512];
	assert_int_equal(lt_store_check(f->db, NULL, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rebuilds_queues_order_and_output, setup, teardown),
		cmocka_unit_test_setup_teardown(cut_short_stream_still_imports, setup, teardown),
		cmocka_unit_test_setup_teardown(merges_threads_by_time, setup, teardown),
		cmocka_unit_test_setup_teardown(million_dispatches, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_directory_gives_empty_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(foreign_file_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(samples_belong_to_the_dispatch_running_then, setup, teardown),
		cmocka_unit_test_setup_teardown(threadpool_work_in_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(no_threadpool_no_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(sampling_unavailable_is_said, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupted_poll_is_one_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(cleared_timers_and_closed_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(exec_endings, setup, teardown),
		cmocka_unit_test_setup_teardown(string_of_one_word, setup, teardown),
		cmocka_unit_test_setup_teardown(string_longer_than_its_record, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_claiming_a_billion_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(output_of_three_words, setup, teardown),
		cmocka_unit_test_setup_teardown(output_claiming_more_bytes_than_it_holds, setup, teardown),
		cmocka_unit_test_setup_teardown(short_fixed_records, setup, teardown),
		cmocka_unit_test_setup_teardown(huge_promise_and_async_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(time_bombs_are_plain_values, setup, teardown),
		cmocka_unit_test_setup_teardown(forgotten_promises_are_written_then_settled, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
