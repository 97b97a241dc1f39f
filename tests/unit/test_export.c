/*
 * test_export.c — the Chrome export's timestamp formatter (fixed notation,
 * nanoseconds kept, never %g), the JSON writer's preformatted numbers, and
 * the gzip stream (what it writes inflates back to the bytes written).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "reports/chrome_export.h"
#include "reports/gzip_stream.h"
#include "reports/json.h"

static void ts(int64_t ns, const char *want)
{
	char buf[LT_CHROME_TS_MAX];
	assert_string_equal(lt_chrome_ts(ns, buf), want);
}

static void timestamps_keep_every_nanosecond(void **state)
{
	(void)state;
	ts(0, "0.000");
	ts(1, "0.001");
	ts(999, "0.999");
	ts(1000, "1.000");
	ts(1721880123, "1721880.123"); /* %g would print 1.72188e+06 */
	ts(22100000007, "22100000.007");
	ts(-1500, "-1.500");
	ts(-1, "-0.001");
	ts(INT64_MAX, "9223372036854775.807");
	ts(INT64_MIN, "-9223372036854775.808");
	char buf[LT_CHROME_TS_MAX];
	assert_true(strlen(lt_chrome_ts(INT64_MIN, buf)) < LT_CHROME_TS_MAX);
}

static void timestamps_read_back_exactly(void **state)
{
	(void)state;
	/* every ns of a 30 s run, through the text and back: what Perfetto reads */
	for (int64_t ns = 29999999000; ns < 30000001000; ns += 7) {
		char buf[LT_CHROME_TS_MAX];
		double us = strtod(lt_chrome_ts(ns, buf), NULL);
		assert_true((int64_t)(us * 1000.0 + (us >= 0 ? 0.5 : -0.5)) == ns);
	}
}

static void json_writes_number_text_as_a_value(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct lt_json j;
	lt_json_init(&j, f);
	lt_json_begin_object(&j);
	lt_json_key(&j, "a");
	lt_json_number_text(&j, "1.500");
	lt_json_key(&j, "ts");
	lt_json_number_text(&j, "1721880.123");
	lt_json_end_object(&j);
	fclose(f);
	assert_string_equal(buf, "{\"a\":1.500,\"ts\":1721880.123}");
	free(buf);
}

static void gzip_stream_inflates_to_what_was_written(void **state)
{
	(void)state;
	char *gz = NULL;
	size_t gz_len = 0;
	FILE *dest = open_memstream(&gz, &gz_len);
	FILE *f = lt_gzip_open(dest, 6);
	assert_non_null(f);
	/* more than one output chunk, in odd-sized writes */
	size_t total = 0;
	for (int i = 0; i < 200000; i++)
		total += (size_t)fprintf(f, "{\"ts\":%d.%03d,\"n\":%d}", i, i % 1000, (i * 7919) % 100003);
	assert_int_equal(fclose(f), 0);
	fclose(dest);
	assert_true(gz_len > 18);
	assert_int_equal((unsigned char)gz[0], 0x1f);
	assert_int_equal((unsigned char)gz[1], 0x8b);

	z_stream z = {0};
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	char *plain = malloc(total + 1);
	z.next_in = (unsigned char *)gz;
	z.avail_in = (uInt)gz_len;
	z.next_out = (unsigned char *)plain;
	z.avail_out = (uInt)total + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, total);
	inflateEnd(&z);
	/* the first and last records are where they were written */
	assert_memory_equal(plain, "{\"ts\":0.000,\"n\":0}", 18);
	char last[64];
	int n = snprintf(last, sizeof(last), "{\"ts\":%d.%03d,\"n\":%d}", 199999, 199999 % 1000,
			 (199999 * 7919) % 100003);
	assert_memory_equal(plain + total - (size_t)n, last, (size_t)n);
	free(plain);
	free(gz);
}

static void gzip_names(void **state)
{
	(void)state;
	assert_true(lt_gzip_wanted("trace.json.gz"));
	assert_true(lt_gzip_wanted("/tmp/x.gz"));
	assert_false(lt_gzip_wanted("trace.json"));
	assert_false(lt_gzip_wanted(".gz"));
	assert_false(lt_gzip_wanted("x.gzip"));
	assert_false(lt_gzip_wanted(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timestamps_keep_every_nanosecond),
		cmocka_unit_test(timestamps_read_back_exactly),
		cmocka_unit_test(json_writes_number_text_as_a_value),
		cmocka_unit_test(gzip_stream_inflates_to_what_was_written),
		cmocka_unit_test(gzip_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
