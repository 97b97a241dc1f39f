/*
 * test_sarif.c — the SARIF writer: URI encoding, relative and absolute
 * locations, levels, rules, related locations, escaping of what the traced
 * program controls.  (tests/integration/sarif.test.js runs real validators
 * on logs of real traces.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reports/sarif.h"

/* The log into *out (malloc'd, the caller frees). */
static void render(const struct lt_analysis *a, const char *root, char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);
	assert_non_null(f);
	lt_report_sarif(f, a, root, "9.9.9");
	fclose(f);
}

static void uri_paths_are_percent_encoded(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(lt_sarif_uri_path("/a b/%41/\xc3\xbc.js", out, sizeof(out)), 0);
	assert_string_equal(out, "/a%20b/%2541/%C3%BC.js");
	assert_int_equal(lt_sarif_uri_path("a-b_c.~d/e", out, sizeof(out)), 0);
	assert_string_equal(out, "a-b_c.~d/e");
	assert_int_equal(lt_sarif_uri_path("#?", out, 6), -ENOSPC); /* 6 bytes would cut "%23%3F" */
	assert_int_equal(lt_sarif_uri_path("#", out, 4), 0);
	assert_string_equal(out, "%23");
}

static void findings_become_results(void **state)
{
	(void)state;
	struct lt_analysis a;
	memset(&a, 0, sizeof(a));
	struct lt_finding *f = lt_findings_add(&a.findings, "blocking-task", LT_SEV_ERROR);
	lt_finding_message(f, "held the loop for 900 ms \"quoted\"\n");
	lt_finding_fix(f, "split it");
	lt_finding_location(f, "/srv/app/src/route.js", 41, 0, "handler");
	lt_finding_library_location(f, "/srv/app/node_modules/express/lib/router.js", 12, 3, "next");
	lt_finding_number(f, "duration_ms", 900);
	struct lt_finding *g = lt_findings_add(&a.findings, "leaked-handle", LT_SEV_INFO);
	lt_finding_message(g, "a timer");
	lt_finding_location(g, "/elsewhere/x.js", 7, 5, NULL);
	struct lt_finding *h = lt_findings_add(&a.findings, "startup", LT_SEV_WARNING);
	lt_finding_message(h, "no place");
	lt_finding_location_note(h, "native code");
	struct lt_finding *k = lt_findings_add(&a.findings, "some-new-kind", LT_SEV_WARNING);
	lt_finding_message(k, "internal");
	lt_finding_location(k, "node:internal/timers", 3, 1, NULL);

	char *out = NULL;
	size_t len = 0;
	render(&a, "/srv/app/", &out, &len);
	assert_non_null(strstr(out, "\"version\":\"2.1.0\""));
	assert_non_null(strstr(out, "\"name\":\"looptrace\",\"version\":\"9.9.9\""));
	assert_non_null(strstr(out, "\"SRCROOT\":{\"uri\":\"file:///srv/app/\"}"));
	/* relative, no column for a line-only place, level error, escaped text */
	assert_non_null(strstr(out, "\"artifactLocation\":{\"uri\":\"src/route.js\",\"uriBaseId\":\"SRCROOT\"},"
				    "\"region\":{\"startLine\":41}}"));
	assert_non_null(strstr(out, "\"ruleId\":\"blocking-task\",\"ruleIndex\":0,\"level\":\"error\""));
	assert_non_null(strstr(out, "held the loop for 900 ms \\\"quoted\\\"\\n\\n\\nFix: split it"));
	assert_non_null(strstr(out, "\"relatedLocations\":[{\"id\":1,"));
	assert_non_null(strstr(out, "\"uri\":\"node_modules/express/lib/router.js\""));
	assert_non_null(strstr(out, "the library code that ran (express): next"));
	assert_non_null(strstr(out, "\"duration_ms\":900"));
	/* outside the root: absolute; info is a note */
	assert_non_null(strstr(out, "\"uri\":\"file:///elsewhere/x.js\"},\"region\":{\"startLine\":7,\"startColumn\":5}"));
	assert_non_null(strstr(out, "\"ruleId\":\"leaked-handle\",\"ruleIndex\":4,\"level\":\"note\""));
	/* no location: the note is in the message, no locations member */
	assert_non_null(strstr(out, "no place (no location in the program's code: native code)"));
	/* a kind the table does not know still gets a rule; node: files no location */
	assert_non_null(strstr(out, "{\"id\":\"some-new-kind\""));
	char *internal = strstr(out, "\"text\":\"internal\"");
	assert_non_null(internal);
	char *next_result = strstr(internal, "\"ruleId\"");
	char *loc = strstr(internal, "\"locations\"");
	assert_true(loc == NULL || (next_result && loc > next_result));
	free(out);
	lt_findings_free(&a.findings);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uri_paths_are_percent_encoded),
		cmocka_unit_test(findings_become_results),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
