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
	fseek(fp, LT_HEADER_BYTES + (LT_CHUNK_WORDS - 10) * 4, SEEK_SET);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
