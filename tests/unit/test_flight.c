/*
 * test_flight.c — the flight recorder's memory ring (recorder/flight.h):
 * triggers from the stream, eviction by size and by age with the
 * definitions pinned, the dump file it writes, hostile records, and the
 * --ring / --trigger-lag values (recorder/flight_session.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "recorder/flight.h"
#include "recorder/flight_session.h"
#include "recorder/rawfile.h"
#include "testutil.h"

#define MIB ((uint64_t)1 << 20)

/* A chunk's worth of words, records appended with put(). */
struct chunk {
	uint32_t *w;
	size_t n;
};

static void chunk_new(struct chunk *c)
{
	c->w = calloc(LT_CHUNK_WORDS, 4);
	assert_non_null(c->w);
	c->n = 0;
}

static uint32_t *put(struct chunk *c, unsigned kind, unsigned aux, size_t payload)
{
	assert_true(c->n + 1 + payload <= LT_CHUNK_WORDS);
	uint32_t *r = c->w + c->n;
	r[0] = lt_record_header(kind, aux, (unsigned)(1 + payload));
	c->n += 1 + payload;
	return r;
}

static void put_ts(struct chunk *c, unsigned kind, uint64_t ts)
{
	uint32_t *r = put(c, kind, 0, 3);
	r[1] = (uint32_t)ts;
	r[2] = (uint32_t)(ts >> 32);
}

/* Finish the chunk as a writer does: LT_PAD records to its end. */
static void pad_out(struct chunk *c)
{
	while (c->n < LT_CHUNK_WORDS) {
		size_t left = LT_CHUNK_WORDS - c->n;
		size_t w = left > 0xffff ? 0xffff : left;
		c->w[c->n] = lt_record_header(LT_PAD, 0, (unsigned)w);
		c->n += w;
	}
}

static void put_string(struct chunk *c, uint32_t id, const char *s)
{
	size_t len = strlen(s);
	uint32_t *r = put(c, LT_STRING, 0, 2 + (len + 3) / 4);
	r[1] = id;
	r[2] = (uint32_t)len;
	memcpy(r + 3, s, len);
}

static struct lt_flight *flight(uint64_t limit, uint64_t window_ns, uint64_t lag_ns)
{
	struct lt_flight_opts o = {.limit_bytes = limit, .window_ns = window_ns, .lag_ns = lag_ns, .on_rejection = 1};
	struct lt_flight *f;
	assert_int_equal(lt_flight_new(&f, &o), 0);
	assert_int_equal(lt_flight_add_stream(f, 10, 10), 0);
	return f;
}

static void lag_over_the_threshold_triggers_once(void **state)
{
	(void)state;
	struct lt_flight *f = flight(16 * MIB, 0, 200000000u);
	struct chunk c;
	chunk_new(&c);
	put_ts(&c, LT_POLL_EXIT, 1000000000u);
	put_ts(&c, LT_POLL_ENTER, 1150000000u); /* 150 ms: under */
	put_ts(&c, LT_POLL_EXIT, 2000000000u);
	put_ts(&c, LT_POLL_ENTER, 2300000000u); /* 300 ms: over */
	lt_flight_scan(f, 0, c.w, c.n);
	uint64_t ns = 0;
	char detail[200];
	assert_int_equal(lt_flight_take_trigger(f, &ns, detail, sizeof(detail)), LT_TRIGGER_LAG);
	assert_int_equal(ns, 2300000000u);
	assert_non_null(strstr(detail, "300 ms out of epoll (pid 10, tid 10)"));
	assert_int_equal(lt_flight_take_trigger(f, &ns, detail, sizeof(detail)), LT_TRIGGER_NONE);
	/* An enter with no exit before it (the first poll) is no lag. */
	struct chunk d;
	chunk_new(&d);
	put_ts(&d, LT_POLL_ENTER, 9000000000u);
	lt_flight_scan(f, 0, d.w, d.n);
	assert_int_equal(lt_flight_take_trigger(f, &ns, detail, sizeof(detail)), LT_TRIGGER_NONE);
	free(c.w);
	free(d.w);
	lt_flight_free(f);
}

static void unhandled_rejection_triggers(void **state)
{
	(void)state;
	struct lt_flight *f = flight(16 * MIB, 0, 0);
	struct chunk c;
	chunk_new(&c);
	uint32_t *js = put(&c, LT_JS_START, 0, 4);
	js[1] = 1000; /* base */
	uint32_t *r = put(&c, LT_REJECT, LT_REJECT_HANDLED_LATE, 6);
	r[4] = 5;
	lt_flight_scan(f, 0, c.w, c.n);
	uint64_t ns;
	char detail[200];
	assert_int_equal(lt_flight_take_trigger(f, &ns, detail, sizeof(detail)), LT_TRIGGER_NONE);
	r = put(&c, LT_REJECT, LT_REJECT_UNHANDLED, 6);
	r[4] = 7;
	lt_flight_scan(f, 0, r, 7);
	assert_int_equal(lt_flight_take_trigger(f, &ns, detail, sizeof(detail)), LT_TRIGGER_REJECTION);
	assert_int_equal(ns, 1007);
	free(c.w);
	lt_flight_free(f);
}

static void hostile_records_end_the_scan(void **state)
{
	(void)state;
	struct lt_flight *f = flight(16 * MIB, 0, 1);
	uint32_t words[8] = {0};
	/* A record longer than what is left, a zero-length one, short polls. */
	words[0] = lt_record_header(LT_POLL_ENTER, 0, 0xffff);
	lt_flight_scan(f, 0, words, 8);
	words[0] = lt_record_header(LT_POLL_ENTER, 0, 0);
	lt_flight_scan(f, 0, words, 8);
	words[0] = lt_record_header(LT_POLL_EXIT, 0, 1);
	words[1] = lt_record_header(LT_POLL_ENTER, 0, 2);
	words[3] = lt_record_header(LT_REJECT, LT_REJECT_UNHANDLED, 2);
	lt_flight_scan(f, 0, words, 8);
	lt_flight_scan(f, 7, words, 8); /* no such stream */
	uint64_t ns;
	char detail[8];
	assert_int_equal(lt_flight_take_trigger(f, &ns, detail, sizeof(detail)), LT_TRIGGER_NONE);
	lt_flight_free(f);
}

/* Keep chunk number k: a string (a definition) and a poll at k seconds. */
/* The control page a dump of stream 10/10 gets. */
static void stream_header(struct lt_file_header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, LT_MAGIC, sizeof(h->magic));
	h->version = LT_WIRE_VERSION;
	h->header_bytes = LT_HEADER_BYTES;
	h->chunk_words = LT_CHUNK_WORDS;
	h->pid = h->tid = 10;
}

static void keep_chunk(struct lt_flight *f, unsigned k)
{
	struct chunk c;
	chunk_new(&c);
	char text[32];
	snprintf(text, sizeof(text), "string-%u", k);
	put_string(&c, 100 + k, text);
	put_ts(&c, LT_POLL_EXIT, (uint64_t)k * 1000000000u);
	pad_out(&c);
	lt_flight_scan(f, 0, c.w, c.n);
	assert_int_equal(lt_flight_keep(f, 0, c.w), 0);
	free(c.w);
}

static void size_evicts_oldest_and_pins_definitions(void **state)
{
	(void)state;
	struct lt_flight *f = flight(8 * MIB + 64 * 1024, 0, 0);
	for (unsigned k = 1; k <= 4; k++)
		keep_chunk(f, k);
	struct lt_flight_stats st;
	lt_flight_stats(f, &st);
	assert_int_equal(st.chunks, 2);
	assert_int_equal(st.evicted_chunks, 2);
	assert_true(st.pinned_bytes > 0);
	assert_true(st.bytes <= 8 * MIB + 64 * 1024);
	/* Chunks 1 and 2 went: the window starts after chunk 2's last record. */
	assert_int_equal(lt_flight_window_start(f, 10000000000u), 2000000000u);

	/* The dump: the pinned strings first, then the kept chunks, then the
	 * unfinished one, a capture the reader walks to its end. */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	struct lt_file_header h;
	stream_header(&h);
	struct chunk tail;
	chunk_new(&tail);
	put_string(&tail, 999, "tail");
	unlinkat(dfd, "10-10-0.ltr", 0);
	assert_int_equal(lt_flight_write_stream(f, 0, dfd, "10-10-0.ltr", &h, tail.w, tail.n), 0);
	/* Never over an existing file. */
	assert_int_equal(lt_flight_write_stream(f, 0, dfd, "10-10-0.ltr", &h, tail.w, tail.n), -EEXIST);
	char path[4200];
	snprintf(path, sizeof(path), "%s/10-10-0.ltr", dir);
	struct lt_raw_file rf;
	assert_int_equal(lt_raw_open(&rf, path), 0);
	const uint32_t *rec;
	unsigned strings[8], n = 0, polls = 0;
	int rc;
	while ((rc = lt_raw_next(&rf, &rec)) == 1) {
		if (lt_record_kind(rec[0]) == LT_STRING && n < 8)
			strings[n++] = rec[1];
		polls += lt_record_kind(rec[0]) == LT_POLL_EXIT;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 5);
	assert_int_equal(strings[0], 101); /* pinned, oldest first */
	assert_int_equal(strings[1], 102);
	assert_int_equal(strings[2], 103); /* kept chunks */
	assert_int_equal(strings[3], 104);
	assert_int_equal(strings[4], 999); /* the unfinished chunk */
	assert_int_equal(polls, 2);         /* evicted events are gone */
	lt_raw_close(&rf);
	unlinkat(dfd, "10-10-0.ltr", 0);
	close(dfd);
	free(tail.w);
	lt_flight_free(f);
}

/* A listening socket's creation outlives its chunk; other resources' do not. */
static void evicted_server_sockets_are_pinned(void **state)
{
	(void)state;
	struct lt_flight *f = flight(4 * MIB + 64 * 1024, 0, 0);
	struct chunk c;
	chunk_new(&c);
	put_string(&c, 7, "TCPSERVERWRAP");
	put_string(&c, 8, "Timeout");
	put_string(&c, 9, "TCPSERVERWRAPX"); /* not the name: no prefix match */
	for (uint32_t type = 7; type <= 9; type++) {
		uint32_t *r = put(&c, LT_R_INIT, 0, 9);
		r[1] = 40 + type; /* async id */
		r[3] = type;
	}
	put_ts(&c, LT_POLL_EXIT, 1000000000u);
	pad_out(&c);
	lt_flight_scan(f, 0, c.w, c.n);
	assert_int_equal(lt_flight_keep(f, 0, c.w), 0);
	free(c.w);
	keep_chunk(f, 2); /* evicts the first chunk */
	struct lt_flight_stats st;
	lt_flight_stats(f, &st);
	assert_int_equal(st.evicted_chunks, 1);

	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	struct lt_file_header h;
	stream_header(&h);
	unlinkat(dfd, "10-10-srv.ltr", 0);
	assert_int_equal(lt_flight_write_stream(f, 0, dfd, "10-10-srv.ltr", &h, NULL, 0), 0);
	char path[4200];
	snprintf(path, sizeof(path), "%s/10-10-srv.ltr", dir);
	struct lt_raw_file rf;
	assert_int_equal(lt_raw_open(&rf, path), 0);
	const uint32_t *rec;
	unsigned inits = 0, server = 0;
	int rc;
	while ((rc = lt_raw_next(&rf, &rec)) == 1)
		if (lt_record_kind(rec[0]) == LT_R_INIT) {
			inits++;
			server = rec[1];
		}
	assert_int_equal(rc, 0);
	assert_int_equal(inits, 1);
	assert_int_equal(server, 47);
	lt_raw_close(&rf);
	unlinkat(dfd, "10-10-srv.ltr", 0);
	close(dfd);
	lt_flight_free(f);
}

static void duration_evicts_what_left_the_window(void **state)
{
	(void)state;
	struct lt_flight *f = flight(64 * MIB, 2000000000u, 0);
	for (unsigned k = 1; k <= 5; k++)
		keep_chunk(f, k);
	lt_flight_expire(f, 5500000000u); /* window [3.5 s, 5.5 s] */
	struct lt_flight_stats st;
	lt_flight_stats(f, &st);
	assert_int_equal(st.chunks, 2); /* chunks ending at 4 s and 5 s */
	assert_int_equal(lt_flight_window_start(f, 5500000000u), 3500000000u);
	lt_flight_free(f);
}

static void closed_streams_keep_their_last_chunk(void **state)
{
	(void)state;
	struct lt_flight *f = flight(16 * MIB, 0, 0);
	struct lt_file_header h = {.pid = 10, .tid = 10, .flags = LT_FILE_CLOSED};
	uint32_t tail[3] = {lt_record_header(LT_POLL_EXIT, 0, 3), 5, 0};
	const uint32_t *got;
	size_t n;
	struct lt_file_header back;
	assert_int_equal(lt_flight_closed(f, 0, &back, &got, &n), 0);
	assert_int_equal(lt_flight_close_stream(f, 0, &h, tail, 3), 0);
	assert_int_equal(lt_flight_closed(f, 0, &back, &got, &n), 1);
	assert_int_equal(n, 3);
	assert_memory_equal(got, tail, sizeof(tail));
	assert_int_equal(back.flags, LT_FILE_CLOSED);
	assert_int_equal(lt_flight_close_stream(f, 3, &h, tail, 3), -EINVAL);
	lt_flight_free(f);
}

static void ring_and_lag_values(void **state)
{
	(void)state;
	uint64_t bytes;
	double secs, ms;
	char err[160];
	assert_int_equal(lt_flight_parse_ring("64M", &bytes, &secs, err, sizeof(err)), 0);
	assert_int_equal(bytes, 64 * MIB);
	assert_true(secs == 0);
	assert_int_equal(lt_flight_parse_ring("1GiB", &bytes, &secs, err, sizeof(err)), 0);
	assert_int_equal(bytes, 1024 * MIB);
	assert_int_equal(lt_flight_parse_ring("2s", &bytes, &secs, err, sizeof(err)), 0);
	assert_true(secs == 2.0);
	assert_int_equal(bytes, LT_FLIGHT_DURATION_BYTES);
	assert_int_equal(lt_flight_parse_ring("10min", &bytes, &secs, err, sizeof(err)), 0);
	assert_true(secs == 600.0);
	assert_int_equal(lt_flight_parse_ring("500ms", &bytes, &secs, err, sizeof(err)), 0);
	assert_true(secs == 0.5);
	static const char *const bad[] = {"", "64", "3M", "10m", "-2s", "+2s", "2x", "nanM", "1e300s", "2048G", "s"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(lt_flight_parse_ring(bad[i], &bytes, &secs, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "--ring"));
	}
	assert_int_equal(lt_flight_parse_ms("200ms", &ms), 0);
	assert_true(ms == 200);
	assert_int_equal(lt_flight_parse_ms("0.5s", &ms), 0);
	assert_true(ms == 500);
	assert_int_equal(lt_flight_parse_ms("250", &ms), 0);
	assert_true(ms == 250);
	assert_int_equal(lt_flight_parse_ms("0", &ms), -EINVAL);
	assert_int_equal(lt_flight_parse_ms("5M", &ms), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lag_over_the_threshold_triggers_once),
		cmocka_unit_test(unhandled_rejection_triggers),
		cmocka_unit_test(hostile_records_end_the_scan),
		cmocka_unit_test(size_evicts_oldest_and_pins_definitions),
		cmocka_unit_test(evicted_server_sockets_are_pinned),
		cmocka_unit_test(duration_evicts_what_left_the_window),
		cmocka_unit_test(closed_streams_keep_their_last_chunk),
		cmocka_unit_test(ring_and_lag_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
