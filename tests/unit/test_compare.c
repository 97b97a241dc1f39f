/*
 * test_compare.c — comparing two analyses: figures, findings matched by
 * kind and place (not by order or id), and the regression gates.
 * (tests/integration/diff.test.js compares real traces.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/compare.h"

static void add(struct lt_analysis *a, const char *kind, enum lt_severity sev, const char *file, int64_t line,
		const char *fn)
{
	struct lt_finding *f = lt_findings_add(&a->findings, kind, sev);
	assert_non_null(f);
	lt_finding_message(f, "%s", kind);
	if (file)
		lt_finding_location(f, file, line, 1, fn);
}

static void gates_parse(void **state)
{
	(void)state;
	struct lt_gates g;
	char err[256];
	assert_int_equal(lt_gates_parse("p99_lag>+20%,new:error,elu>0.9,busy_ms>+100,new", &g, err, sizeof(err)), 0);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.v[0].figure, LT_FIG_P99_LAG);
	assert_int_equal(g.v[0].how, LT_GATE_REL);
	assert_true(g.v[0].amount == 20);
	assert_int_equal(g.v[1].figure, -1);
	assert_int_equal(g.v[1].min_severity, LT_SEV_ERROR);
	assert_int_equal(g.v[2].how, LT_GATE_ABOVE);
	assert_int_equal(g.v[3].how, LT_GATE_ABS_DELTA);
	assert_int_equal(g.v[4].min_severity, LT_SEV_WARNING);
	static const char *const bad[] = {"", "p99_lag", "lag>+1%", "p99_lag>", "p99_lag>+1%%", "new:fatal",
					  "elu>-1", "a,,b", "p99_lag>20%", ">5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(lt_gates_parse(bad[i], &g, err, sizeof(err)), -EINVAL);
		assert_true(err[0] != '\0');
	}
}

static void findings_match_by_kind_and_place(void **state)
{
	(void)state;
	struct lt_analysis base, new;
	memset(&base, 0, sizeof(base));
	memset(&new, 0, sizeof(new));
	base.metrics.lag.p99_ms = 100;
	new.metrics.lag.p99_ms = 130;
	base.metrics.wall_ms = new.metrics.wall_ms = 1000;
	base.metrics.dispatches = 500;
	new.metrics.dispatches = 250;
	/* moved from line 10 to 14 but the same function: unchanged */
	add(&base, "blocking-task", LT_SEV_WARNING, "/a/app.js", 10, "handler");
	add(&new, "blocking-task", LT_SEV_WARNING, "/a/app.js", 14, "handler");
	/* gone */
	add(&base, "leaked-handle", LT_SEV_WARNING, "/a/app.js", 30, NULL);
	/* new, at an anonymous place: matched by line, which differs */
	add(&base, "unhandled-rejection", LT_SEV_ERROR, "/a/db.js", 5, NULL);
	add(&new, "unhandled-rejection", LT_SEV_ERROR, "/a/db.js", 9, NULL);
	add(&new, "sequential-await", LT_SEV_INFO, "/a/app.js", 40, "load");

	struct lt_comparison c;
	assert_int_equal(lt_compare(&base, &new, &c), 0);
	assert_true(c.base[LT_FIG_DISPATCH_RATE] == 500 && c.new[LT_FIG_DISPATCH_RATE] == 250);
	assert_true(c.new[LT_FIG_FINDINGS_ERROR] == 1 && c.base[LT_FIG_FINDINGS_WARNING] == 2);
	size_t n[3] = {0};
	for (size_t i = 0; i < c.n_findings; i++)
		n[c.findings[i].state]++;
	assert_int_equal(n[LT_FINDING_NEW], 2);
	assert_int_equal(n[LT_FINDING_FIXED], 2);
	assert_int_equal(n[LT_FINDING_UNCHANGED], 1);
	assert_int_equal(c.findings[0].state, LT_FINDING_NEW); /* new first */
	assert_int_equal(c.findings[c.n_findings - 1].state, LT_FINDING_UNCHANGED);
	assert_int_equal(c.findings[c.n_findings - 1].new->line, 14);

	struct lt_gates g;
	char err[256], why[512];
	assert_int_equal(lt_gates_parse("p99_lag>+20%,p99_lag>+40%,new:error,new:warning,dispatches_per_s>+0%"
					  ",p99_lag>129,p99_lag>+30",
					  &g, err, sizeof(err)),
			 0);
	int expect[] = {1, 0, 1, 1, 0, 1, 0};
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(lt_gate_holds(&g.v[i], &c, why, sizeof(why)), expect[i]);
	assert_int_equal(lt_gate_holds(&g.v[0], &c, why, sizeof(why)), 1);
	assert_string_equal(why, "p99_lag>+20%: p99_lag went from 100 to 130 (+30.0%)");
	assert_int_equal(lt_gate_holds(&g.v[2], &c, why, sizeof(why)), 1);
	assert_string_equal(why, "new:error: 1 new finding, first error unhandled-rejection at /a/db.js:9");
	lt_comparison_free(&c);
	lt_findings_free(&base.findings);
	lt_findings_free(&new.findings);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gates_parse),
		cmocka_unit_test(findings_match_by_kind_and_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
