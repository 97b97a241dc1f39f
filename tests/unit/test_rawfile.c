/*
 * test_rawfile.c — reading capture files: valid, cut short, damaged, foreign.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rawgen.h"
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
