/*
 * test_json.c — the JSON writer: structure, escaping, invalid UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reports/json.h"

static char *render(void (*fn)(struct lt_json *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct lt_json j;
	lt_json_init(&j, f);
	fn(&j);
	fclose(f);
	return buf;
}

static void nested(struct lt_json *j)
{
	lt_json_begin_object(j);
	lt_json_key(j, "a");
	lt_json_int(j, 1);
	lt_json_key(j, "list");
	lt_json_begin_array(j);
	lt_json_int(j, 2);
	lt_json_null(j);
	lt_json_begin_object(j);
	lt_json_end_object(j);
	lt_json_end_array(j);
	lt_json_key(j, "s");
	lt_json_cstring(j, "x");
	lt_json_end_object(j);
}

static void writes_structure_with_commas(void **state)
{
	(void)state;
	char *s = render(nested);
	assert_string_equal(s, "{\"a\":1,\"list\":[2,null,{}],\"s\":\"x\"}");
	free(s);
}

static void hostile(struct lt_json *j)
{
	static const char text[] = "<script>\"q\"\\\n\t\x01\x1b[31m\xff\xe2\x80\xa8 ok \xc3\xa9";
	lt_json_string(j, text, sizeof(text) - 1);
}

static void escapes_everything_a_program_can_print(void **state)
{
	(void)state;
	char *s = render(hostile);
	assert_string_equal(s, "\"<script>\\\"q\\\"\\\\\\n\\t\\u0001\\u001b[31m\\ufffd\\u2028 ok \xc3\xa9\"");
	free(s);
}

static void overlong(struct lt_json *j)
{
	/* overlong '/', a surrogate, a truncated sequence */
	static const char text[] = "\xc0\xaf|\xed\xa0\x80|\xe2\x82";
	lt_json_string(j, text, sizeof(text) - 1);
}

static void rejects_invalid_utf8_forms(void **state)
{
	(void)state;
	char *s = render(overlong);
	assert_string_equal(s, "\"\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\"");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_structure_with_commas),
		cmocka_unit_test(escapes_everything_a_program_can_print),
		cmocka_unit_test(rejects_invalid_utf8_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
