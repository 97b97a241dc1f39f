/*
 * test_attach_events.c — eBPF loop events become capture files the importer
 * turns into the usual schema: iterations (the wait ends at the next
 * callback), dispatches by callback type (I/O callbacks probed at entry
 * only end at the loop's next step), nested microtask drains (short
 * empty ones dropped), handles opened and closed, rejections unhandled or
 * handled late, GC pauses, and nothing after the end of the window.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/store.h"
#include "recorder/attach_events.h"
#include "recorder/import.h"
#include "testutil.h"

#define MS 1000000ull
#define PID 4242
#define T0 (1000 * MS)

struct fixture {
	struct test_trace t; /* first: test_trace_setup */
	struct lt_attach_events ae;
};

static int setup(void **state)
{
	static struct fixture f;
	test_trace_setup(state, &f, sizeof(f));
	lt_attach_events_init(&f.ae, f.t.dir, T0);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	test_trace_teardown(&f->t);
	return 0;
}

static void ev(struct fixture *f, uint64_t ts, unsigned kind, unsigned aux, int32_t arg, uint64_t ptr)
{
	struct lt_bpf_event e = {.ts = ts, .ptr = ptr, .tgid = PID, .tid = PID,
				 .kind = (__u16)kind, .aux = (__u16)aux, .arg = arg};
	assert_int_equal(lt_attach_events_add(&f->ae, &e), 0);
}

static void finish(struct fixture *f, uint64_t end)
{
	struct lt_import_stats st;
	char err[512] = "";
	assert_int_equal(lt_attach_events_close(&f->ae, end), 0);
	assert_int_equal(lt_store_create(f->t.db_path, &f->t.db), 0);
	if (lt_import_dir(f->t.db, f->t.dir, &st, err, sizeof(err)) != 0)
		fail_msg("import: %s", err);
	assert_int_equal(lt_store_finish(f->t.db), 0);
	assert_int_equal(st.damaged, 0);
}

/* Two iterations: a poll that waits 10 ms and then runs a 60 ms TCP read
 * callback with a 30 us microtask drain inside, then the check phase with an
 * immediate; the second poll is ended by a timer callback. */
static void test_iterations_and_dispatches(void **state)
{
	struct fixture *f = *state;
	ev(f, T0 + 1 * MS, LT_EV_POLL_BEGIN, 0, 10, 0);
	ev(f, T0 + 11 * MS, LT_EV_CB_BEGIN, LT_CB_IO, 12, 0);
	ev(f, T0 + 20 * MS, LT_EV_MICRO_BEGIN, 0, 0, 0);
	ev(f, T0 + 20 * MS + 30000, LT_EV_MICRO_END, 0, 0, 0);
	ev(f, T0 + 71 * MS, LT_EV_CB_END, LT_CB_IO, 0, 0);
	ev(f, T0 + 72 * MS, LT_EV_CHECK, 0, 0, 0);
	ev(f, T0 + 73 * MS, LT_EV_CB_BEGIN, LT_CB_IMMEDIATE, -1, 0);
	ev(f, T0 + 74 * MS, LT_EV_CB_END, LT_CB_IMMEDIATE, 0, 0);
	ev(f, T0 + 75 * MS, LT_EV_POLL_BEGIN, 0, 5, 0);
	ev(f, T0 + 80 * MS, LT_EV_CB_BEGIN, LT_CB_TIMERS, -1, 0);
	ev(f, T0 + 81 * MS, LT_EV_CB_END, LT_CB_TIMERS, 0, 0);
	finish(f, T0 + 90 * MS);

	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM dispatches WHERE depth = 1"), 3);
	assert_string_equal(test_text(f->t.db, "SELECT queue || ' ' || type || ' ' || phase FROM dispatches"
					     " WHERE seq = 1"), "io TCPWRAP poll");
	assert_int_equal(test_int(f->t.db, "SELECT (end_ns - begin_ns) / 1000000 FROM dispatches WHERE seq = 1"), 60);
	/* the drain nests in the callback that ran it */
	assert_string_equal(test_text(f->t.db, "SELECT type || ' ' || depth || ' ' || parent_seq FROM dispatches"
					     " WHERE seq = 2"), "Microtask 2 1");
	assert_string_equal(test_text(f->t.db, "SELECT queue || ' ' || phase FROM dispatches WHERE type = 'Immediate'"),
			    "immediate check");
	assert_string_equal(test_text(f->t.db, "SELECT queue FROM dispatches WHERE type = 'Timeout'"), "timer");
	/* the first wait: from uv__io_poll's entry to the callback */
	assert_int_equal(test_int(f->t.db, "SELECT (poll_end_ns - poll_begin_ns) / 1000000 FROM iterations"
					 " WHERE timeout_ms = 10"), 10);
	assert_int_equal(test_int(f->t.db, "SELECT (poll_end_ns - poll_begin_ns) / 1000000 FROM iterations"
					 " WHERE timeout_ms = 5"), 5);
	/* dispatch types are not handles: never leak candidates */
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM resources WHERE ref = 1"), 0);
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM threads WHERE pid = 4242 AND is_main_thread = 1"), 1);
}

/* Fallback mode (a libuv without its internal symbols): the wait's end is
 * reported, and the stretch from there to the next probe stands for the poll
 * phase's callbacks. */
static void test_fallback_poll_phase(void **state)
{
	struct fixture *f = *state;
	ev(f, T0 + 1 * MS, LT_EV_POLL_BEGIN, 0, -1, 0);
	ev(f, T0 + 5 * MS, LT_EV_POLL_END, 0, 2, 0);
	ev(f, T0 + 105 * MS, LT_EV_POLL_BEGIN, 0, 0, 0);
	ev(f, T0 + 106 * MS, LT_EV_POLL_END, 0, 0, 0); /* nothing ready: no dispatch */
	ev(f, T0 + 107 * MS, LT_EV_POLL_BEGIN, 0, 0, 0);
	finish(f, T0 + 110 * MS);
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM dispatches"), 1);
	assert_string_equal(test_text(f->t.db, "SELECT queue || ' ' || type || ' ' || phase || ' ' ||"
					     " ((end_ns - begin_ns) / 1000000) FROM dispatches"), "io io poll 100");
	assert_int_equal(test_int(f->t.db, "SELECT events FROM iterations WHERE n = 1"), 2);
	assert_int_equal(test_int(f->t.db, "SELECT (poll_end_ns - poll_begin_ns) / 1000000 FROM iterations WHERE n = 1"), 4);
}

/* I/O watcher callbacks probed at entry only (LT_CB_OPEN_ENDED): each ends
 * where the loop is next seen elsewhere: the next I/O callback, the check
 * phase, the next poll; an end event (of a callback nested in it) does not
 * end it early. */
static void test_open_ended_io_callbacks(void **state)
{
	struct fixture *f = *state;
	ev(f, T0 + 1 * MS, LT_EV_POLL_BEGIN, 0, 10, 0);
	ev(f, T0 + 11 * MS, LT_EV_CB_BEGIN, LT_CB_IO, 12 | LT_CB_OPEN_ENDED, 0);
	ev(f, T0 + 15 * MS, LT_EV_CB_END, LT_CB_IO, 0, 0);
	ev(f, T0 + 31 * MS, LT_EV_CB_BEGIN, LT_CB_IO, 12 | 0x100 | LT_CB_OPEN_ENDED, 0);
	ev(f, T0 + 36 * MS, LT_EV_CHECK, 0, 0, 0);
	ev(f, T0 + 40 * MS, LT_EV_POLL_BEGIN, 0, 0, 0);
	ev(f, T0 + 41 * MS, LT_EV_CB_BEGIN, LT_CB_IO, 7 | LT_CB_OPEN_ENDED, 0);
	ev(f, T0 + 141 * MS, LT_EV_POLL_BEGIN, 0, 0, 0);
	finish(f, T0 + 150 * MS);

	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM dispatches"), 3);
	assert_string_equal(test_text(f->t.db, "SELECT group_concat(type || ' ' || phase || ' ' ||"
					     " ((end_ns - begin_ns) / 1000000), ', ') FROM"
					     " (SELECT * FROM dispatches ORDER BY seq)"),
			    "TCPWRAP poll 20, TCPSERVERWRAP poll 5, PIPEWRAP poll 100");
	assert_int_equal(test_int(f->t.db, "SELECT max(depth) FROM dispatches"), 1);
}

static void test_short_empty_drains_dropped(void **state)
{
	struct fixture *f = *state;
	ev(f, T0 + 1 * MS, LT_EV_CB_BEGIN, LT_CB_IO, 12, 0);
	ev(f, T0 + 2 * MS, LT_EV_MICRO_BEGIN, 0, 0, 0);
	ev(f, T0 + 2 * MS + 1000, LT_EV_MICRO_END, 0, 0, 0);
	ev(f, T0 + 3 * MS, LT_EV_CB_END, LT_CB_IO, 0, 0);
	finish(f, T0 + 5 * MS);
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM dispatches"), 1);
}

static void test_handles(void **state)
{
	struct fixture *f = *state;
	ev(f, T0 + 1 * MS, LT_EV_HANDLE_INIT, 0, 12, 0x1000);
	ev(f, T0 + 2 * MS, LT_EV_HANDLE_INIT, 0, 7, 0x2000);
	ev(f, T0 + 3 * MS, LT_EV_HANDLE_CLOSE, 0, 12, 0x1000);
	ev(f, T0 + 4 * MS, LT_EV_HANDLE_CLOSE, 0, 15, 0x3000); /* opened before the window */
	ev(f, T0 + 5 * MS, LT_EV_HANDLE_INIT, 0, 12, 0x1000);  /* memory reused */
	finish(f, T0 + 6 * MS);
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM resources WHERE type = 'TCPWRAP'"), 2);
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM resources WHERE type = 'TCPWRAP'"
					 " AND destroyed_ns IS NOT NULL"), 1);
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM resources WHERE type = 'PIPEWRAP'"
					 " AND destroyed_ns IS NULL AND ref = 1"), 1);
}

/* V8 tells rejections without a handler (event 0) and handlers added
 * afterwards (event 1); Node reports what is still unhandled when the
 * callback ends. */
static void test_rejections(void **state)
{
	struct fixture *f = *state;
	ev(f, T0 + 1 * MS, LT_EV_CB_BEGIN, LT_CB_IO, 12, 0);
	ev(f, T0 + 2 * MS, LT_EV_REJECT, 0, 0, 0xa1); /* handled in the same callback */
	ev(f, T0 + 3 * MS, LT_EV_REJECT, 0, 1, 0xa1);
	ev(f, T0 + 4 * MS, LT_EV_REJECT, 0, 0, 0xb2); /* never handled in time */
	ev(f, T0 + 5 * MS, LT_EV_CB_END, LT_CB_IO, 0, 0);
	ev(f, T0 + 6 * MS, LT_EV_CB_BEGIN, LT_CB_TIMERS, -1, 0);
	ev(f, T0 + 7 * MS, LT_EV_REJECT, 0, 1, 0xb2); /* handled late */
	ev(f, T0 + 8 * MS, LT_EV_CB_END, LT_CB_TIMERS, 0, 0);
	finish(f, T0 + 10 * MS);
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM rejections"), 2);
	assert_int_equal(test_int(f->t.db, "SELECT dispatch_seq FROM rejections WHERE kind = 'unhandled'"), 1);
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM rejections WHERE kind = 'handled-late'"), 1);
}

static void test_gc_and_window_end(void **state)
{
	struct fixture *f = *state;
	ev(f, T0 + 1 * MS, LT_EV_CB_BEGIN, LT_CB_IO, 12, 0);
	ev(f, T0 + 2 * MS, LT_EV_GC_BEGIN, 0, 0, 0);
	ev(f, T0 + 5 * MS, LT_EV_GC_END, 0, 0, 0);
	ev(f, T0 + 6 * MS, LT_EV_GC_BEGIN, 0, 0, 0);
	ev(f, T0 + 6 * MS + 100, LT_EV_GC_END, 0, 0, 0); /* under 1 ms: not a pause worth a row */
	f->ae.stop_ns = T0 + 20 * MS;
	ev(f, T0 + 30 * MS, LT_EV_CB_END, LT_CB_IO, 0, 0); /* while detaching: dropped */
	finish(f, T0 + 20 * MS);
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM blocking_calls WHERE call = 'gc'"), 1);
	assert_int_equal(test_int(f->t.db, "SELECT (end_ns - begin_ns) / 1000000 FROM blocking_calls"), 3);
	/* still running at the end of the window: it ran until then */
	assert_int_equal(test_int(f->t.db, "SELECT (end_ns - begin_ns) / 1000000 FROM dispatches"), 19);
}

/* A stack sampled in a long callback: its JavaScript frames are named from
 * the process's perf map (other frames, and names that are not JS, are
 * left out), and the sample is placed in the callback it was taken in. */
static void test_js_stack_samples(void **state)
{
	struct fixture *f = *state;
	char path[8300];
	snprintf(f->ae.perf_map_dir, sizeof(f->ae.perf_map_dir), "%s", f->t.dir);
	snprintf(path, sizeof(path), "%s/perf-%d.map", f->t.dir, PID);
	FILE *m = fopen(path, "w");
	assert_non_null(m);
	fputs("1000 100 JS:+'busyWait /srv/app.js:3:18\n" /* V8 13: context-specialized Maglev */
	      "2000 80 Builtin:CallFunction\n"
	      "3000 40 JS:~handle file:///srv/app.js:10:1\n"
	      "4000 10 JS:*' /srv/anon.js:1:1\n"
	      "5000 zz not a line\n", m);
	fclose(m);
	ev(f, T0 + 1 * MS, LT_EV_CB_BEGIN, LT_CB_IO, 12, 0);
	struct lt_bpf_stack_event se = {.hdr = {.ts = T0 + 30 * MS, .tgid = PID, .tid = PID, .kind = LT_EV_STACK, .arg = 5}};
	se.ips[0] = 0x1010; /* busyWait */
	se.ips[1] = 0x2004; /* a builtin: not JS */
	se.ips[2] = 0x3020; /* handle */
	se.ips[3] = 0x9999; /* unknown */
	se.ips[4] = 0x4001; /* anonymous */
	assert_int_equal(lt_attach_events_add(&f->ae, &se.hdr), 0);
	ev(f, T0 + 60 * MS, LT_EV_CB_END, LT_CB_IO, 0, 0);
	se.hdr.ts = T0 + 70 * MS; /* outside any callback: ignored */
	assert_int_equal(lt_attach_events_add(&f->ae, &se.hdr), 0);
	finish(f, T0 + 80 * MS);
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM stacks"), 3);
	assert_string_equal(test_text(f->t.db, "SELECT group_concat(function || '@' || file || ':' || line || ':' || column, ' ')"
					     " FROM (SELECT * FROM stacks ORDER BY depth)"),
			    "busyWait@/srv/app.js:3:18 handle@/srv/app.js:10:1 @/srv/anon.js:1:1");
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM resources WHERE type = 'JS sample' AND created_seq = 1"
					 " AND ref = 0 AND stack_id IS NOT NULL"), 1);
	assert_int_equal(f->ae.stacks, 2);
}

/* Threadpool items: submitted on the loop, run on a pool thread, completed
 * on the loop; pool threads get no stream. */
static void test_threadpool_summary(void **state)
{
	struct fixture *f = *state;
	struct lt_bpf_event e = {.tgid = PID};
	struct {
		uint64_t ts;
		unsigned kind, tid, aux;
		uint64_t ptr;
	} seq[] = {
		{T0 + 1 * MS, LT_EV_WORK_SUBMIT, PID, 0, 0x100},
		{T0 + 1 * MS, LT_EV_WORK_SUBMIT, PID, 0, 0x200},
		{T0 + 3 * MS, LT_EV_WORK_START, PID + 1, LT_WORK_FS, 0x100},   /* waited 2 ms */
		{T0 + 4 * MS, LT_EV_WORK_END, PID + 1, 0, 0},                  /* ran 1 ms */
		{T0 + 5 * MS, LT_EV_WORK_START, PID + 2, LT_WORK_QUEUE, 0x200}, /* waited 4 ms */
		{T0 + 11 * MS, LT_EV_WORK_END, PID + 2, 0, 0},                 /* ran 6 ms */
		{T0 + 12 * MS, LT_EV_WORK_DONE, PID, LT_WORK_FS, 0x100},
		{T0 + 13 * MS, LT_EV_WORK_DONE, PID, LT_WORK_QUEUE, 0x200},
		{T0 + 14 * MS, LT_EV_WORK_DONE, PID, LT_WORK_FS, 0x300},       /* never seen submitted */
	};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		e.ts = seq[i].ts;
		e.kind = (__u16)seq[i].kind;
		e.tid = seq[i].tid;
		e.aux = (__u16)seq[i].aux;
		e.ptr = seq[i].ptr;
		assert_int_equal(lt_attach_events_add(&f->ae, &e), 0);
	}
	ev(f, T0 + 15 * MS, LT_EV_POLL_BEGIN, 0, 0, 0);
	finish(f, T0 + 20 * MS);
	const struct lt_attach_threadpool *tp = &f->ae.threadpool;
	assert_int_equal(tp->items, 2);
	assert_int_equal(tp->by_kind[LT_WORK_FS], 1);
	assert_int_equal(tp->by_kind[LT_WORK_QUEUE], 1);
	assert_true(tp->wait_max > 3.99 && tp->wait_max < 4.01);
	assert_true(tp->run_max > 5.99 && tp->run_max < 6.01);
	assert_true(tp->wait_p50 > 3.99 && tp->wait_p50 < 4.01); /* nearest rank, as in the metrics */
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM threads"), 1);
}

/* Attached before node ran its main script (record --bpf): the script is a
 * `main` dispatch up to the loop's first callback, and the times that follow
 * (relative to LT_JS_START on the wire) come out right. */
static void test_main_script(void **state)
{
	struct fixture *f = *state;
	ev(f, T0 + 1 * MS, LT_EV_HANDLE_INIT, 0, 13, 0x10); /* before the script: absolute time */
	ev(f, T0 + 2 * MS, LT_EV_MAIN, 0, 0, 0);
	ev(f, T0 + 30 * MS, LT_EV_HANDLE_INIT, 0, 12, 0x20);
	ev(f, T0 + 50 * MS, LT_EV_CB_BEGIN, LT_CB_TIMERS, -1, 0);
	ev(f, T0 + 60 * MS, LT_EV_CB_END, LT_CB_TIMERS, 0, 0);
	ev(f, T0 + 61 * MS, LT_EV_MAIN, 0, 0, 0); /* the loop has run: no second main */
	finish(f, T0 + 70 * MS);
	assert_string_equal(test_text(f->t.db, "SELECT type || ' ' || ((end_ns - begin_ns) / 1000000) FROM dispatches"
					     " WHERE queue = 'main'"), "main 48");
	assert_int_equal(test_int(f->t.db, "SELECT count(*) FROM dispatches WHERE queue = 'main'"), 1);
	assert_int_equal(test_int(f->t.db, "SELECT begin_ns FROM dispatches WHERE type = 'Timeout'"), (int64_t)(T0 + 50 * MS));
	assert_int_equal(test_int(f->t.db, "SELECT created_ns FROM resources WHERE type = 'uv_timer'"), (int64_t)(T0 + 1 * MS));
	assert_int_equal(test_int(f->t.db, "SELECT created_ns FROM resources WHERE type = 'TCPWRAP'"), (int64_t)(T0 + 30 * MS));
	assert_int_equal(test_int(f->t.db, "SELECT js_thread_id FROM threads"), 0);
}

static void test_handle_names(void **state)
{
	(void)state;
	assert_string_equal(lt_attach_handle_name(12), "TCPWRAP");
	assert_string_equal(lt_attach_handle_name(16), "SIGNALWRAP");
	assert_string_equal(lt_attach_handle_name(99), "uv_handle");
	assert_string_equal(lt_attach_handle_name(-1), "uv_handle");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_iterations_and_dispatches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_poll_phase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_ended_io_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_empty_drains_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc_and_window_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_js_stack_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threadpool_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_main_script, setup, teardown),
		cmocka_unit_test(test_handle_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
