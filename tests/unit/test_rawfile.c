/*
 * test_rawfile.c — reading capture files: valid, cut short, damaged, foreign.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "rawgen.h"
#include "recorder/drain.h"
#include "recorder/raw_writer.h"
#include "recorder/rawfile.h"
#include "testutil.h"

static char path[8192];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "%s/1-1.ltr", test_tmpdir());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char dir[8192];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	test_rmdir(dir);
	return 0;
}

static void write_sample(void)
{
	struct rawgen g;
	rawgen_init(&g, 1, 1, 1000000);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_output(&g, 1, "hello\n", 10);
	rawgen_main_end(&g, 20);
	assert_int_equal(rawgen_write(&g, path), 0);
	rawgen_free(&g);
}

static void reads_records_in_order(void **state)
{
	(void)state;
	write_sample();
	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, path), 0);
	const uint32_t *r;
	unsigned kinds[8], n = 0;
	int rc;
	while ((rc = lt_raw_next(&f, &r)) == 1 && n < 8)
		kinds[n++] = lt_record_kind(r[0]);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 4);
	assert_int_equal(kinds[0], LT_STRING);
	assert_int_equal(kinds[1], LT_JS_START);
	assert_int_equal(kinds[2], LT_OUTPUT);
	assert_int_equal(kinds[3], LT_MAIN_END);
	assert_true(lt_raw_written_bytes(&f) > 0);
	lt_raw_close(&f);
}

static void skips_padding_across_chunks(void **state)
{
	(void)state;
	struct rawgen g;
	rawgen_init(&g, 1, 1, 1000000);
	/* Enough output records to cross into a second chunk. */
	char line[1000];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	size_t records = 0;
	while (g.n < LT_CHUNK_WORDS + 1000) {
		rawgen_output(&g, 1, line, records);
		records++;
	}
	assert_int_equal(rawgen_write(&g, path), 0);
	rawgen_free(&g);
	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, path), 0);
	const uint32_t *r;
	size_t n = 0;
	while (lt_raw_next(&f, &r) == 1) {
		assert_int_equal(lt_record_kind(r[0]), LT_OUTPUT);
		n++;
	}
	assert_int_equal(n, records);
	lt_raw_close(&f);
}

static void rejects_foreign_file(void **state)
{
	(void)state;
	FILE *fp = fopen(path, "w");
	for (int i = 0; i < 2000; i++)
		fputs("not a capture ", fp);
	fclose(fp);
	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, path), -EPROTO);
}

static void rejects_short_file(void **state)
{
	(void)state;
	FILE *fp = fopen(path, "w");
	fputs("LTRACE", fp);
	fclose(fp);
	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, path), -EPROTO);
}

static void rejects_other_version(void **state)
{
	(void)state;
	write_sample();
	FILE *fp = fopen(path, "r+");
	uint32_t v = LT_WIRE_VERSION + 1;
	fseek(fp, offsetof(struct lt_file_header, version), SEEK_SET);
	fwrite(&v, sizeof(v), 1, fp);
	fclose(fp);
	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, path), -EPROTONOSUPPORT);
}

static void reports_damaged_record(void **state)
{
	(void)state;
	write_sample();
	/* A record header claiming more words than the chunk holds. */
	FILE *fp = fopen(path, "r+");
	uint32_t bad = lt_record_header(LT_OUTPUT, 1, 0xffff);
	/* Real zeros up to it (a hole would end the data for the reader). */
	static uint32_t zeros[LT_CHUNK_WORDS];
	fseek(fp, LT_HEADER_BYTES + 64 * 4, SEEK_SET);
	fwrite(zeros, 4, LT_CHUNK_WORDS - 10 - 64, fp);
	fwrite(&bad, sizeof(bad), 1, fp);
	/* and make the data run up to it: zero words are the end otherwise */
	fclose(fp);
	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, path), 0);
	const uint32_t *r;
	int rc;
	while ((rc = lt_raw_next(&f, &r)) == 1)
		;
	assert_int_equal(rc, 0); /* stops at the first zero word, before the damage */
	f.pos = LT_CHUNK_WORDS - 10;
	assert_int_equal(lt_raw_next(&f, &r), -EBADMSG);
	lt_raw_close(&f);
}

static void missing_file_is_enoent(void **state)
{
	(void)state;
	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, "/nonexistent/looptrace.ltr"), -ENOENT);
}

/* The recorder's own writer (eBPF attach): records never straddle a chunk
 * (an LT_PAD covers the rest of one), the control page says who wrote it,
 * and the reader gets back every record, LT_BLOCKING "gc" included. */
static void writer_output_reads_back(void **state)
{
	(void)state;
	struct lt_raw_writer w, other;
	assert_int_equal(lt_raw_writer_open(&w, path, 7, 7, 1, 1000), 0);
	assert_int_equal(lt_raw_writer_open(&other, path, 7, 7, 1, 1000), -EEXIST); /* never overwrites */
	/* 400k records of 3 words: more than one 1M-word chunk */
	const uint32_t n = 400000;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t p[3] = {i, 0, i};
		assert_int_equal(lt_raw_writer_add(&w, LT_POLL_ENTER, 0, p, 2), 0);
	}
	uint32_t gc[3] = {5, 0, 2000000};
	assert_int_equal(lt_raw_writer_add(&w, LT_BLOCKING, LT_CALL_GC, gc, 3), 0);
	assert_int_equal(lt_raw_writer_string(&w, 0x80000001u, "hello", 5), 0);
	assert_int_equal(lt_raw_writer_close(&w, LT_FILE_CLOSED), 0);

	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, path), 0);
	assert_int_equal(f.hdr->pid, 7);
	assert_int_equal(f.hdr->flags, LT_FILE_CLOSED | LT_FILE_MAIN_THREAD);
	assert_true(f.hdr->cursor > (int32_t)LT_CHUNK_WORDS);
	const uint32_t *r;
	uint32_t seen = 0;
	while (seen < n && lt_raw_next(&f, &r) == 1) {
		assert_int_equal(lt_record_kind(r[0]), LT_POLL_ENTER);
		assert_int_equal(r[1], seen);
		seen++;
	}
	assert_int_equal(seen, n);
	assert_int_equal(lt_raw_next(&f, &r), 1);
	assert_int_equal(lt_record_kind(r[0]), LT_BLOCKING);
	assert_int_equal(lt_record_aux(r[0]), LT_CALL_GC);
	assert_int_equal(lt_raw_next(&f, &r), 1);
	assert_int_equal(lt_record_kind(r[0]), LT_STRING);
	assert_memory_equal(r + 3, "hello", 5);
	assert_int_equal(lt_raw_next(&f, &r), 0);
	lt_raw_close(&f);
}

/* A writer killed before it closed its file (eBPF attach, or any cut): the
 * control page was written first, so the file reads up to its last whole
 * record, and a record cut in half ends it as damaged, not past its end. */
static void cut_capture_reads_to_last_record(void **state)
{
	(void)state;
	struct lt_raw_writer w;
	assert_int_equal(lt_raw_writer_open(&w, path, 9, 9, 1, 1000), 0);
	for (uint32_t i = 0; i < 1000; i++) {
		uint32_t p[3] = {i, 0, i};
		assert_int_equal(lt_raw_writer_add(&w, LT_POLL_ENTER, 0, p, 3), 0);
	}
	assert_int_equal(fflush(w.f), 0);
	/* "killed": the file as it is now, never closed */
	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, path), 0);
	assert_int_equal(f.hdr->pid, 9);
	const uint32_t *r;
	uint32_t n = 0;
	while (lt_raw_next(&f, &r) == 1)
		assert_int_equal(r[1], n++);
	assert_int_equal(n, 1000);
	lt_raw_close(&f);
	/* cut in the middle of record 500 */
	assert_int_equal(truncate(path, LT_HEADER_BYTES + 500 * 4 * 4 + 6), 0);
	assert_int_equal(lt_raw_open(&f, path), 0);
	int rc;
	n = 0;
	while ((rc = lt_raw_next(&f, &r)) == 1)
		n++;
	assert_int_equal(n, 500);
	assert_int_equal(rc, -EBADMSG);
	lt_raw_close(&f);
	fclose(w.f);
}

/* A capture whose control page is a hole (its writer met a full tmpfs) is
 * not a capture; the reader never maps a hole (SIGBUS on a full tmpfs). */
static void hole_for_header_is_not_a_capture(void **state)
{
	(void)state;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 2 << 20), 0);
	close(fd);
	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, path), -EPROTO);
}

/* A ring as the preload leaves it (probes/wire.h): `slots` slots, chunk 0
 * finished and chunk 1 written up to 10 words, loss counted; with
 * first_slots, the writer started with that many slots and grew from chunk
 * grow_at on (chunk 1 then sits where lt_ring_slot says, and the slot the
 * old mapping would give it holds records that must not be read). */
static void write_ring_grown(const char *ring, uint32_t slots, uint32_t flags, uint32_t first_slots,
			     uint32_t grow_at)
{
	size_t bytes = LT_HEADER_BYTES + (size_t)slots * LT_CHUNK_WORDS * 4;
	char *map = calloc(1, bytes);
	assert_non_null(map);
	struct lt_file_header *h = (struct lt_file_header *)map;
	memcpy(h->magic, LT_MAGIC, sizeof(h->magic));
	h->version = LT_WIRE_VERSION;
	h->header_bytes = LT_HEADER_BYTES;
	h->chunk_words = LT_CHUNK_WORDS;
	h->pid = h->tid = 5;
	h->ring_slots = slots;
	h->ring_written = 1;
	h->flags = LT_FILE_MAIN_THREAD | flags;
	h->cursor = (int32_t)(LT_CHUNK_WORDS + 10);
	h->loss.events = 7;
	h->loss.gaps = 1;
	h->loss.by_kind[LT_P_INIT] = 7;
	h->loss.gap[0] = (struct lt_gap){100, 200, 7};
	if (first_slots) {
		h->ring_first_slots = first_slots;
		h->ring_grown = 1;
		h->ring_grow_chunk[0] = grow_at;
	}
	uint32_t *c0 = (uint32_t *)(map + LT_HEADER_BYTES);
	uint32_t *c1 = c0 + (size_t)(slots ? lt_ring_slot(h, slots, 1) : 1) * LT_CHUNK_WORDS;
	if (first_slots && slots >= 2) { /* stale records where chunk 1 would have been */
		uint32_t *stale = c0 + (size_t)(1 % first_slots) * LT_CHUNK_WORDS;
		for (uint32_t i = 0; stale != c1 && stale != c0 && i < 4; i++)
			stale[i * 4] = lt_record_header(LT_POLL_ENTER, 0, 4);
	}
	for (uint32_t i = 0; slots >= 2 && i < 100; i++) { /* 100 records of 4 words, then padding */
		c0[i * 4] = lt_record_header(LT_POLL_ENTER, 0, 4);
		c0[i * 4 + 1] = i;
	}
	if (slots < 2) /* no room for the two chunks: the header alone (ASan found the test writing past it) */
		goto write;
	c0[400] = lt_record_header(LT_PAD, 0, 60000);
	for (uint32_t k = 400 + 60000; k < LT_CHUNK_WORDS; k += 60000) {
		uint32_t left = LT_CHUNK_WORDS - k;
		c0[k] = lt_record_header(LT_PAD, 0, left < 60000 ? left : 60000);
	}
	c1[0] = lt_record_header(LT_POLL_EXIT, 0, 5);
	c1[5] = lt_record_header(LT_POLL_EXIT, 0, 5);
write:;
	int fd = open(ring, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, map, bytes), (ssize_t)bytes);
	close(fd);
	free(map);
}

static void write_ring(const char *ring, uint32_t slots, uint32_t flags)
{
	write_ring_grown(ring, slots, flags, 0, 0);
}

static unsigned count_records(const char *ltr, unsigned *exits)
{
	struct lt_raw_file f;
	assert_int_equal(lt_raw_open(&f, ltr), 0);
	const uint32_t *r;
	unsigned n = 0;
	*exits = 0;
	while (lt_raw_next(&f, &r) == 1) {
		n++;
		*exits += lt_record_kind(r[0]) == LT_POLL_EXIT;
	}
	assert_int_equal(f.hdr->loss.events, 7);
	assert_int_equal(f.hdr->ring_slots, 0);
	assert_int_equal(f.hdr->flags & LT_FILE_DROPPING, 0);
	lt_raw_close(&f);
	return n;
}

/* `looptrace import DIR` on a dead recorder's leftover: the rings become
 * flat files (finished chunks, then the unfinished one up to the cursor),
 * the loss the writer counted goes with them, the rings are removed. */
static void drain_recovers_a_ring(void **state)
{
	(void)state;
	char dir[8192], ring[8300], ltr[8300];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	snprintf(ring, sizeof(ring), "%s/5-5.ring", dir);
	snprintf(ltr, sizeof(ltr), "%s/5-5.ltr", dir);
	write_ring(ring, 2, 0);
	unsigned rings = 0, exits;
	assert_int_equal(lt_drain_recover(dir, &rings), 0);
	assert_int_equal(rings, 1);
	assert_int_equal(access(ring, F_OK), -1);
	assert_int_equal(count_records(ltr, &exits), 102);
	assert_int_equal(exits, 2);
	unlink(ltr);

	/* A writer in a gap: its cursor is in its scratch chunk, so only the
	 * finished chunk is taken. */
	write_ring(ring, 2, LT_FILE_DROPPING | LT_FILE_LOST);
	assert_int_equal(lt_drain_recover(dir, &rings), 0);
	assert_int_equal(count_records(ltr, &exits), 100);
	assert_int_equal(exits, 0);
	unlink(ltr);

	/* A ring that grew: 2 slots in use, then 4 from chunk 1 on, which sits
	 * in slot 2; slot 1 holds older records. */
	write_ring_grown(ring, 4, 0, 2, 1);
	assert_int_equal(lt_drain_recover(dir, &rings), 0);
	assert_int_equal(count_records(ltr, &exits), 102);
	assert_int_equal(exits, 2);
	unlink(ltr);

	/* A ring of no slot (tmpfs had no room): only the count survives. */
	write_ring(ring, 0, LT_FILE_DROPPING | LT_FILE_LOST);
	assert_int_equal(lt_drain_recover(dir, &rings), 0);
	assert_int_equal(count_records(ltr, &exits), 0);
}

/* Which slot holds a chunk as the ring grows (probes/wire.h): the new
 * slots take the chunks from the growth on, then the old ones in the order
 * their chunks were written; nothing a ring's page says leads outside it. */
static void ring_slots_follow_growths(void **state)
{
	(void)state;
	struct lt_file_header h;
	memset(&h, 0, sizeof(h));
	for (uint32_t k = 0; k < 20; k++) /* no first_slots: every slot from the start */
		assert_int_equal(lt_ring_slot(&h, 8, k), k % 8);
	h.ring_first_slots = 2;
	static const uint32_t before[] = {0, 1, 0};
	for (uint32_t k = 0; k < 3; k++)
		assert_int_equal(lt_ring_slot(&h, 8, k), before[k]);
	h.ring_grow_chunk[0] = 3; /* slot 1 (chunk 3's) was busy: 4 slots from chunk 3 on */
	h.ring_grown = 1;
	static const uint32_t once[] = {0, 1, 0, 2, 3, 0, 1, 2, 3, 0};
	for (uint32_t k = 0; k < 10; k++)
		assert_int_equal(lt_ring_slot(&h, 8, k), once[k]);
	h.ring_grow_chunk[1] = 8; /* then 8 from chunk 8 on */
	h.ring_grown = 2;
	static const uint32_t twice[] = {0, 1, 0, 2, 3, 0, 1, 2, 4, 5, 6, 7, 0, 1, 2, 3, 4};
	for (uint32_t k = 0; k < 17; k++)
		assert_int_equal(lt_ring_slot(&h, 8, k), twice[k]);
	/* Each chunk's slot was last held by the chunk 8 before it (once
	 * grown): the writer's drained check is the same as without growth. */
	for (uint32_t k = 17; k < 40; k++)
		assert_int_equal(lt_ring_slot(&h, 8, k), lt_ring_slot(&h, 8, k - 8));
	/* Hostile or damaged pages stay inside the ring. */
	static const uint32_t firsts[] = {0, 1, 3, 7, 9, 0xffffffffu};
	for (size_t f = 0; f < sizeof(firsts) / sizeof(firsts[0]); f++)
		for (uint32_t grown = 0; grown < 6; grown++)
			for (uint32_t cap = 0; cap <= LT_RING_SLOTS; cap++) {
				h.ring_first_slots = firsts[f];
				h.ring_grown = grown == 5 ? 0xffffffffu : grown;
				h.ring_grow_chunk[0] = 5;
				h.ring_grow_chunk[1] = 2; /* not increasing */
				h.ring_grow_chunk[2] = 0xfffffff0u;
				for (uint32_t k = 0; k < 12; k++) {
					uint32_t slot = lt_ring_slot(&h, cap, k * 0x15555555u);
					assert_true(cap == 0 ? slot == 0 : slot < cap);
				}
			}
}

/* What a writer dropped is in the trace: stream_losses by kind, the gap's
 * time range in stream_gaps, meta dropped_events and incomplete. */
static void import_stores_losses(void **state)
{
	(void)state;
	char dir[8192], err[512];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	struct rawgen g;
	rawgen_init(&g, 3, 3, 1000000);
	rawgen_js_start(&g, "/app/main.js");
	rawgen_output(&g, 1, "before\n", 10);
	rawgen_loss(&g, LT_P_INIT, 40, 20, 30);
	rawgen_loss(&g, LT_OUTPUT, 2, 40, 50);
	rawgen_output(&g, 1, "after\n", 60);
	sqlite3 *db;
	assert_int_equal(rawgen_import(&g, dir, &db, err, sizeof(err)), 0);
	assert_int_equal(test_int(db, "SELECT dropped_events FROM stream_losses WHERE pid = 3 AND tid = 3"), 42);
	assert_int_equal(test_int(db, "SELECT promise_events FROM stream_losses"), 40);
	assert_int_equal(test_int(db, "SELECT output_events FROM stream_losses"), 2);
	assert_int_equal(test_int(db, "SELECT gaps FROM stream_losses"), 2);
	assert_string_equal(test_text(db, "SELECT reasons FROM stream_losses"), "behind");
	assert_int_equal(test_int(db, "SELECT count(*) FROM stream_gaps"), 2);
	assert_int_equal(test_int(db, "SELECT min(begin_ns) FROM stream_gaps"), 1000020);
	assert_int_equal(test_int(db, "SELECT max(end_ns) FROM stream_gaps"), 1000050);
	assert_string_equal(test_text(db, "SELECT value FROM meta WHERE key = 'incomplete'"), "yes");
	assert_string_equal(test_text(db, "SELECT value FROM meta WHERE key = 'dropped_events'"), "42");
	sqlite3_close(db);
}

/* Nothing dropped: no row, and meta says the trace is complete. */
static void import_complete_trace(void **state)
{
	(void)state;
	char dir[8192], err[512];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	struct rawgen g;
	rawgen_init(&g, 3, 3, 1000000);
	rawgen_js_start(&g, "/app/main.js");
	sqlite3 *db;
	assert_int_equal(rawgen_import(&g, dir, &db, err, sizeof(err)), 0);
	assert_int_equal(test_int(db, "SELECT count(*) FROM stream_losses"), 0);
	assert_string_equal(test_text(db, "SELECT value FROM meta WHERE key = 'incomplete'"), "no");
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reads_records_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(skips_padding_across_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(rejects_foreign_file, setup, teardown),
		cmocka_unit_test_setup_teardown(rejects_short_file, setup, teardown),
		cmocka_unit_test_setup_teardown(rejects_other_version, setup, teardown),
		cmocka_unit_test_setup_teardown(reports_damaged_record, setup, teardown),
		cmocka_unit_test(missing_file_is_enoent),
		cmocka_unit_test_setup_teardown(writer_output_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(cut_capture_reads_to_last_record, setup, teardown),
		cmocka_unit_test_setup_teardown(hole_for_header_is_not_a_capture, setup, teardown),
		cmocka_unit_test_setup_teardown(drain_recovers_a_ring, setup, teardown),
		cmocka_unit_test(ring_slots_follow_growths),
		cmocka_unit_test_setup_teardown(import_stores_losses, setup, teardown),
		cmocka_unit_test_setup_teardown(import_complete_trace, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
