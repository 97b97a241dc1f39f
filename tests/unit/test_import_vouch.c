/*
 * test_import_vouch.c — the importer's own check of the values it writes
 * (recorder/import_vouch.h): a statement's columns against the check's
 * declarations, and each rule a row can break.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "recorder/import_vouch.h"

#define DISPATCH_COLUMNS                                                                                       \
	"seq,pid,tid,queue,type,resource_id,promise_id,parent_seq,depth,trigger_seq,iteration,phase,begin_ns,"  \
	"end_ns"

static void set_int(struct lt_import_cell *c, int64_t v) { lt_cell_int(c, v); }

/* A dispatch row every rule accepts. */
static void good_dispatch(struct lt_import_cell *row)
{
	for (int i = 0; i < 14; i++)
		set_int(&row[i], 1);
	lt_cell_text(&row[3], "timer", -1);
	lt_cell_text(&row[4], "Timeout", -1);
	lt_cell_null(&row[5]);
	lt_cell_null(&row[9]);
	lt_cell_text(&row[11], "timers", -1);
	set_int(&row[12], 1000);
	set_int(&row[13], 2000);
}

static void a_good_row_passes(void **state)
{
	(void)state;
	struct lt_import_vouch v;
	char err[160];
	assert_int_equal(lt_import_vouch_init(&v, "dispatches", DISPATCH_COLUMNS, "", 14, err, sizeof(err)), 0);
	struct lt_import_cell row[14];
	good_dispatch(row);
	assert_null(lt_import_vouch_row(&v, row));
}

static void each_rule_is_tested(void **state)
{
	(void)state;
	struct lt_import_vouch v;
	char err[160];
	assert_int_equal(lt_import_vouch_init(&v, "dispatches", DISPATCH_COLUMNS, "", 14, err, sizeof(err)), 0);
	struct lt_import_cell row[14];
	static const char big_text[] = "timerX";

	good_dispatch(row);
	lt_cell_null(&row[1]); /* pid is NOT NULL */
	assert_string_equal(lt_import_vouch_row(&v, row), "pid");

	good_dispatch(row);
	set_int(&row[12], INT64_C(1) << 62 | 1); /* past LT_CHECK_MAX_NS */
	assert_string_equal(lt_import_vouch_row(&v, row), "begin_ns");

	good_dispatch(row);
	set_int(&row[8], -1); /* depth below 0 */
	assert_string_equal(lt_import_vouch_row(&v, row), "depth");

	good_dispatch(row);
	set_int(&row[8], LT_CHECK_MAX_DEPTH + 1);
	assert_string_equal(lt_import_vouch_row(&v, row), "depth");

	good_dispatch(row);
	lt_cell_text(&row[2], "7", 1); /* a text where an integer goes */
	assert_string_equal(lt_import_vouch_row(&v, row), "tid");

	good_dispatch(row);
	set_int(&row[4], 3); /* an integer where a text goes */
	assert_string_equal(lt_import_vouch_row(&v, row), "type");

	good_dispatch(row);
	set_int(&row[13], 999); /* ends before it begins */
	assert_string_equal(lt_import_vouch_row(&v, row), "end_ns");

	good_dispatch(row);
	lt_cell_text(&row[3], big_text, 6); /* not a queue name, even as a prefix */
	assert_string_equal(lt_import_vouch_row(&v, row), "queue");

	good_dispatch(row);
	lt_cell_text(&row[11], "tim\0rs", 6); /* every byte counts */
	assert_string_equal(lt_import_vouch_row(&v, row), "phase");
}

static void an_update_tests_its_parameters_only(void **state)
{
	(void)state;
	struct lt_import_vouch v;
	char err[160];
	assert_int_equal(lt_import_vouch_init(&v, "promises", "settled_ns,settled_seq,id", NULL, 3, err, sizeof(err)),
			 0);
	struct lt_import_cell row[3];
	set_int(&row[0], 5);
	lt_cell_null(&row[1]);
	set_int(&row[2], 9);
	assert_null(lt_import_vouch_row(&v, row));
	set_int(&row[0], -5);
	assert_string_equal(lt_import_vouch_row(&v, row), "settled_ns");
}

static void statements_that_do_not_match_the_rules_are_refused(void **state)
{
	(void)state;
	struct lt_import_vouch v;
	char err[160];
	/* a column the check does not know */
	assert_int_equal(lt_import_vouch_init(&v, "dispatches", "seq,colour", NULL, 2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "colour"));
	/* a table it does not know */
	assert_int_equal(lt_import_vouch_init(&v, "nothing", "seq", NULL, 1, err, sizeof(err)), -EINVAL);
	/* as many columns as the statement has parameters */
	assert_int_equal(lt_import_vouch_init(&v, "dispatches", "seq,pid", NULL, 3, err, sizeof(err)), -EINVAL);
	/* an INSERT leaving a NOT NULL column to SQL */
	assert_int_equal(lt_import_vouch_init(&v, "output", "pid,tid,dispatch_seq,fd,ts_ns", "id", 5, err,
					      sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "text"));
	/* ... which may leave the rowid and nullable columns */
	assert_int_equal(lt_import_vouch_init(&v, "output", "pid,tid,text", "id,dispatch_seq,fd,ts_ns", 3, err,
					      sizeof(err)),
			 0);
	/* one end of a span without the other cannot be tested */
	assert_int_equal(lt_import_vouch_init(&v, "blocking_calls", "end_ns,id", NULL, 2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "begin_ns"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_good_row_passes),
		cmocka_unit_test(each_rule_is_tested),
		cmocka_unit_test(an_update_tests_its_parameters_only),
		cmocka_unit_test(statements_that_do_not_match_the_rules_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
