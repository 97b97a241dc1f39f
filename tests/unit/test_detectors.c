/*
 * test_detectors.c — each detector and the metrics on traces built in code:
 * positives, look-alikes that must stay quiet, an empty trace, a trace cut
 * short by SIGKILL, and a million dispatches.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/analysis.h"
#include "analyzer/locations.h"
#include "analyzer/store.h"
#include "rawgen.h"
#include "recorder/import.h"
#include "testutil.h"

#define MS 1000000ull
#define FILE_JS "/app/server.js"

/* A trace and its analysis (testutil.h). */
static int setup(void **state) { return test_analysis_setup(state); }
static int teardown(void **state) { return test_analysis_teardown(state); }

/* Write the stream, import it, run `sql` on the trace (NULL: nothing), then
 * analyze with the given options. */
static void analyze_sql(struct test_analysis *f, struct rawgen *g, const struct lt_analysis_opts *o, const char *sql)
{
	char path[8192], db[8192], err[512] = "";
	snprintf(path, sizeof(path), "%s/%d-%d.ltr", f->t.dir, g->pid, g->tid);
	snprintf(db, sizeof(db), "%s/trace.db", f->t.dir);
	assert_int_equal(rawgen_write(g, path), 0);
	rawgen_free(g);
	struct lt_import_stats st;
	assert_int_equal(lt_store_create(db, &f->t.db), 0);
	assert_int_equal(lt_import_dir(f->t.db, f->t.dir, &st, err, sizeof(err)), 0);
	assert_int_equal(lt_store_finish(f->t.db), 0);
	if (sql && sqlite3_exec(f->t.db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(f->t.db));
	if (lt_analyze(f->t.db, o, &f->a, err, sizeof(err)) != 0)
		fail_msg("analyze: %s", err);
	f->analyzed = 1;
}

static void analyze_with(struct test_analysis *f, struct rawgen *g, const struct lt_analysis_opts *o)
{
	analyze_sql(f, g, o, NULL);
}

/* Same with the default options and the given block threshold. */
static void analyze(struct test_analysis *f, struct rawgen *g, double block_ms)
{
	struct lt_analysis_opts o;
	lt_analysis_defaults(&o);
	o.block_ms = block_ms;
	analyze_with(f, g, &o);
}

struct frame {
	const char *function, *file;
	uint32_t line, column;
};

/* A stack of several frames, innermost first; local ids from 500 up so they
 * never meet rawgen_stack's.  The trace numbers stacks in the order they
 * were recorded (1, 2, ...), which is what the tests look up. */
static uint32_t stack_of(struct rawgen *g, const struct frame *frames, size_t n)
{
	static uint32_t next_id = 500;
	uint32_t p[2 + 4 * 16];
	assert_true(n <= 16);
	p[0] = ++next_id;
	p[1] = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		p[2 + 4 * i] = rawgen_string(g, frames[i].function);
		p[3 + 4 * i] = rawgen_string(g, frames[i].file);
		p[4 + 4 * i] = frames[i].line;
		p[5 + 4 * i] = frames[i].column;
	}
	rawgen_record(g, LT_STACK, 0, p, 2 + 4 * n);
	return p[0];
}

static const struct lt_finding *find(const struct test_analysis *f, const char *kind, int nth)
{
	for (size_t i = 0; i < f->a.findings.n; i++)
		if (!strcmp(f->a.findings.items[i].kind, kind) && nth-- == 0)
			return &f->a.findings.items[i];
	return NULL;
}

static size_t count(const struct test_analysis *f, const char *kind)
{
	size_t n = 0;
	while (find(f, kind, (int)n))
		n++;
	return n;
}

static const struct lt_field *field(const struct lt_finding *x, const char *key)
{
	for (size_t i = 0; i < x->n_fields; i++)
		if (!strcmp(x->fields[i].key, key))
			return &x->fields[i];
	fail_msg("finding %s has no field %s", x->kind, key);
	return NULL;
}

static void start(struct rawgen *g)
{
	rawgen_init(g, 40, 40, 1000 * MS);
	rawgen_js_start(g, FILE_JS);
}

/* --- user-code attribution --- */

#define ROUTER_JS "/app/node_modules/express/lib/router/index.js"
#define SCOPED_JS "/app/node_modules/express/node_modules/@fastify/ajv/index.js"

static const struct frame route_stack[] = {
	{"parse", "node:internal/json", 1, 1},
	{"inner", SCOPED_JS, 7, 2},
	{"handle", ROUTER_JS, 40, 5},
	{"getUser", FILE_JS, 22, 9},
	{"listen", "/app/node_modules/express/lib/application.js", 600, 1},
};

static void place_skips_node_modules_frames(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	stack_of(&g, route_stack, 5);
	stack_of(&g, route_stack + 1, 2);
	stack_of(&g, route_stack, 1);
	const int64_t full = 1, library_only = 2, internal_only = 3;
	rawgen_main_end(&g, 2 * MS);
	analyze(f, &g, 50);
	struct lt_place p;
	assert_int_equal(lt_place_of_stack(f->t.db, full, &p), 0);
	assert_true(p.has_user && p.has_library);
	assert_string_equal(p.user.file, FILE_JS);
	assert_int_equal(p.user.line, 22);
	assert_string_equal(p.user.function, "getUser");
	assert_string_equal(p.library.file, SCOPED_JS);
	assert_int_equal(p.library.line, 7);
	assert_int_equal(lt_place_of_stack(f->t.db, library_only, &p), 0);
	assert_false(p.has_user);
	assert_true(p.has_library);
	assert_int_equal(lt_place_of_stack(f->t.db, internal_only, &p), -ENOENT);
	char pkg[64];
	assert_true(lt_library_package(SCOPED_JS, pkg, sizeof(pkg)));
	assert_string_equal(pkg, "@fastify/ajv");
	assert_true(lt_library_package(ROUTER_JS, pkg, sizeof(pkg)));
	assert_string_equal(pkg, "express");
	assert_false(lt_library_package("/app/my_node_modules_x/a.js", pkg, sizeof(pkg)));
}

static void user_code_globs_override_the_rule(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	stack_of(&g, route_stack, 5);
	const int64_t full = 1;
	rawgen_main_end(&g, 2 * MS);
	struct lt_analysis_opts o;
	lt_analysis_defaults(&o);
	assert_int_equal(lt_user_code_add(&o.user_code, "*/express/lib/*"), 0);
	analyze_with(f, &g, &o);
	struct lt_place p;
	assert_int_equal(lt_place_of_stack(f->t.db, full, &p), 0);
	assert_true(p.has_user);
	assert_string_equal(p.user.file, ROUTER_JS); /* '*' crosses '/' */
	assert_true(p.has_library);
	assert_string_equal(p.library.file, SCOPED_JS);
	assert_false(lt_is_user_file(&o.user_code, FILE_JS));
	assert_true(lt_is_user_file(NULL, FILE_JS));
	assert_true(lt_is_user_file(NULL, "file:///app/main.mjs"));
	assert_false(lt_is_user_file(NULL, "node:fs"));
	assert_false(lt_is_user_file(NULL, "internal/modules/cjs/loader.js"));
	assert_false(lt_is_user_file(NULL, ROUTER_JS));
}

static void findings_name_their_thread(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_r_init(&g, 6, 1, "Immediate", 1 * MS, -1);
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 6, 3 * MS, 0);
	rawgen_r_after(&g, 6, 83 * MS);
	analyze(f, &g, 50);
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_non_null(x);
	assert_int_equal(x->pid, 40);
	assert_int_equal(x->tid, 40);
	/* rawgen's thread reports JS thread id 1: named as the trace names it */
	assert_non_null(x->thread_name);
	assert_true(!strcmp(x->thread_name, "main") || !strcmp(x->thread_name, "worker 1"));
	assert_string_equal(x->script, FILE_JS);
}

/* --- blocking-task named from in-dispatch samples --- */

/* The samples table the agent writes (stack ids: the trace's, in the order
 * the stacks were recorded), with `n` samples of stack `stack` spread over
 * [from, to) ms after the base. */
#define SAMPLES_TABLE                                                                                  \
	"CREATE TABLE IF NOT EXISTS samples(id INTEGER PRIMARY KEY, pid INTEGER, tid INTEGER, ts_ns INTEGER," \
	" dispatch_seq INTEGER, stack_id INTEGER);"                                                     \
	"INSERT OR REPLACE INTO meta VALUES('in_dispatch_samples', 'on');"

static const struct frame read_in_route[] = {
	{"tryReadSync", "node:fs", 400, 1},
	{"readFileSync", "node:fs", 450, 1},
	{"", FILE_JS, 9, 30},
	{"handle", ROUTER_JS, 152, 3},
	{"listen", "/app/node_modules/express/lib/application.js", 600, 1},
};

/* A 300 ms HTTP request callback scheduled inside express (no user frame at
 * its site), sampled 6 times inside readFileSync called from FILE_JS:9;
 * `read_ms` of it in a read() the preload library saw. */
static void sampled_route(struct test_analysis *f, uint64_t read_ms, const char *more_sql)
{
	struct rawgen g;
	start(&g);
	uint32_t site = stack_of(&g, route_stack + 4, 1); /* trace stack 1: express listen */
	stack_of(&g, read_in_route, 5);                   /* trace stack 2 */
	rawgen_r_init_ex(&g, 6, 1, "HTTPINCOMINGMESSAGE", 1 * MS, -1, site, 0, NULL);
	rawgen_main_end(&g, 2 * MS);
	rawgen_poll(&g, 3 * MS, 150 * MS, -1, 1); /* a service: waited for the request */
	rawgen_r_before(&g, 6, 150 * MS, 0);
	if (read_ms) {
		uint32_t p[3] = {(uint32_t)(g.base_ns + 160 * MS), (uint32_t)((g.base_ns + 160 * MS) >> 32),
				 (uint32_t)(read_ms * MS)};
		rawgen_record(&g, LT_BLOCKING, LT_CALL_READ, p, 3);
	}
	rawgen_r_after(&g, 6, 450 * MS);
	char sql[2048];
	snprintf(sql, sizeof(sql),
		 SAMPLES_TABLE "WITH RECURSIVE k(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM k WHERE value < 6)"
			       " INSERT INTO samples(pid, tid, ts_ns, dispatch_seq, stack_id)"
			       " SELECT 40, 40, %llu + value * 40000000, 0, 2 FROM k;%s",
		 (unsigned long long)(g.base_ns + 150 * MS), more_sql ? more_sql : "");
	struct lt_analysis_opts o;
	lt_analysis_defaults(&o);
	analyze_sql(f, &g, &o, sql);
}

static void blocking_is_placed_at_the_sampled_user_line(void **state)
{
	struct test_analysis *f = *state;
	sampled_route(f, 250, NULL);
	assert_int_equal(count(f, "blocking-task"), 1);
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_string_equal(x->file, FILE_JS); /* not express's listen */
	assert_int_equal(x->line, 9);
	assert_string_equal(field(x, "blocking_function")->text, "readFileSync");
	assert_string_equal(x->library_file, ROUTER_JS);
	assert_string_equal(x->library_package, "express");
	assert_int_equal(field(x, "samples")->integer, 6);
	assert_non_null(strstr(x->message, "in readFileSync, called from " FILE_JS ":9"));
	/* I/O is the larger share: the text says so with the JSON's figures. */
	assert_string_equal(field(x, "cause")->text, "io");
	assert_true(fabs(field(x, "blocked_in_calls_ms")->number - 250) < 0.5);
	assert_non_null(strstr(x->message, "250 of 300 ms in synchronous file I/O (read)"));
	assert_non_null(strstr(x->fix, "asynchronous form of readFileSync"));
	assert_int_equal(x->severity, LT_SEV_WARNING); /* 300 ms */
}

static void blocking_advice_follows_the_larger_share(void **state)
{
	struct test_analysis *f = *state;
	sampled_route(f, 100, NULL); /* 100 ms reading, 200 ms computing */
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_non_null(x);
	assert_string_equal(field(x, "cause")->text, "cpu");
	assert_true(fabs(field(x, "cpu_ms")->number - 200) < 0.5);
	assert_non_null(strstr(x->message, "CPU-bound: 200 of 300 ms computing, 100 ms in blocking calls (read)"));
	assert_non_null(strstr(x->fix, "worker_thread"));
}

static void blocking_without_user_frames_says_why(void **state)
{
	struct test_analysis *f = *state;
	/* Every sample only inside express (the process ran user code elsewhere). */
	sampled_route(f, 0, "UPDATE samples SET stack_id = 1;"
			    "INSERT INTO resources(pid, tid, type, site_stack_id) VALUES(40, 40, 'Timeout', 2);");
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_non_null(x);
	assert_null(x->file);
	assert_string_equal(x->location_note, "only library frames were sampled");
	assert_string_equal(x->library_package, "express");
}

static void a_spread_helper_is_placed_at_its_caller(void **state)
{
	struct test_analysis *f = *state;
	static const struct frame at31[] = {
		{"countPrimes", FILE_JS, 31, 5}, {"", FILE_JS, 64, 20}, {"handle", ROUTER_JS, 152, 3}};
	static const struct frame at33[] = {
		{"countPrimes", FILE_JS, 33, 7}, {"", FILE_JS, 64, 20}, {"handle", ROUTER_JS, 152, 3}};
	struct rawgen g;
	start(&g);
	stack_of(&g, at31, 3); /* trace stack 1 */
	stack_of(&g, at33, 3); /* trace stack 2 */
	rawgen_r_init(&g, 6, 1, "HTTPINCOMINGMESSAGE", 1 * MS, -1);
	rawgen_main_end(&g, 2 * MS);
	rawgen_poll(&g, 3 * MS, 150 * MS, -1, 1);
	rawgen_r_before(&g, 6, 150 * MS, 0);
	rawgen_r_after(&g, 6, 450 * MS);
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 SAMPLES_TABLE "WITH RECURSIVE k(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM k WHERE value < 6)"
			       " INSERT INTO samples(pid, tid, ts_ns, dispatch_seq, stack_id)"
			       " SELECT 40, 40, %llu + value * 40000000, 0, 1 + value %% 2 FROM k;",
		 (unsigned long long)(g.base_ns + 150 * MS));
	struct lt_analysis_opts o;
	lt_analysis_defaults(&o);
	analyze_sql(f, &g, &o, sql);
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_non_null(x);
	assert_int_equal(x->line, 64); /* the route line, not the helper's loop */
	assert_string_equal(field(x, "blocking_function")->text, "countPrimes");
	assert_non_null(strstr(x->message, "in countPrimes, called from " FILE_JS ":64"));
}

static void a_tool_process_is_not_the_users_problem(void **state)
{
	struct test_analysis *f = *state;
	/* No stack of the process has a user frame: npm, a test runner. */
	sampled_route(f, 0, "UPDATE samples SET stack_id = 1;");
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_non_null(x);
	assert_int_equal(x->severity, LT_SEV_INFO);
	assert_null(x->file);
	assert_non_null(strstr(x->location_note, "none of the program's own code"));
}

static void module_loading_is_named(void **state)
{
	struct test_analysis *f = *state;
	static const struct frame lazy_require[] = {
		{"", "/app/node_modules/typescript/lib/typescript.js", 1, 1},
		{"Module._compile", "node:internal/modules/cjs/loader", 1, 1},
		{"require", "node:internal/modules/helpers", 1, 1},
		{"compile", FILE_JS, 30, 5},
	};
	struct rawgen g;
	start(&g);
	stack_of(&g, lazy_require, 4); /* trace stack 1 */
	rawgen_r_init(&g, 6, 1, "Immediate", 1 * MS, -1);
	rawgen_main_end(&g, 2 * MS);
	rawgen_poll(&g, 3 * MS, 10 * MS, -1, 1);
	rawgen_r_before(&g, 6, 10 * MS, 0);
	rawgen_r_after(&g, 6, 210 * MS);
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 SAMPLES_TABLE "WITH RECURSIVE k(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM k WHERE value < 5)"
			       " INSERT INTO samples(pid, tid, ts_ns, dispatch_seq, stack_id)"
			       " SELECT 40, 40, %llu + value * 30000000, 0, 1 FROM k;",
		 (unsigned long long)(g.base_ns + 10 * MS));
	struct lt_analysis_opts o;
	lt_analysis_defaults(&o);
	analyze_sql(f, &g, &o, sql);
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_non_null(x);
	assert_string_equal(field(x, "cause")->text, "module-loading");
	assert_non_null(strstr(x->message, "loading modules"));
	assert_non_null(strstr(x->message, "typescript"));
	assert_int_equal(x->line, 30);
}

/* --- startup and batch runs --- */

static void main_module_is_startup_not_blocking(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_main_end(&g, 300 * MS);
	analyze(f, &g, 50);
	assert_int_equal(count(f, "blocking-task"), 0);
	const struct lt_finding *x = find(f, "startup", 0);
	assert_non_null(x);
	assert_int_equal(x->severity, LT_SEV_INFO);
	assert_true(fabs(field(x, "duration_ms")->number - 300) < 0.5);
	assert_string_equal(x->file, FILE_JS);
}

static void very_long_startup_is_a_warning_never_an_error(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_main_end(&g, 2500 * MS);
	analyze(f, &g, 50);
	const struct lt_finding *x = find(f, "startup", 0);
	assert_non_null(x);
	assert_int_equal(x->severity, LT_SEV_WARNING);
}

/* A program that never waits in poll is a batch run: no lag, a busy-time
 * breakdown, hottest callbacks; a long callback in it is never an error
 * (and a note below 5 x --block-ms, see blocking_timer_is_found...). */
static void batch_run_has_no_lag_and_no_errors(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	uint32_t site = rawgen_stack(&g, "run", FILE_JS, 7, 1);
	rawgen_r_init_ex(&g, 6, 1, "Immediate", 1 * MS, -1, site, 0, "crunch");
	rawgen_main_end(&g, 2 * MS);
	rawgen_poll(&g, 3 * MS, 3 * MS, 0, 0);
	rawgen_r_before(&g, 6, 4 * MS, 0);
	rawgen_r_after(&g, 6, 704 * MS); /* 700 ms */
	analyze(f, &g, 50);
	const struct lt_metrics *m = &f->a.metrics;
	assert_int_equal(m->mode, LT_MODE_BATCH);
	assert_true(m->n_hottest >= 1);
	assert_string_equal(m->hottest[0].file, FILE_JS);
	assert_int_equal(m->hottest[0].line, 7);
	assert_true(fabs(m->busy_by_queue_ms[4] - 700) < 0.5); /* immediate */
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_non_null(x);
	assert_int_equal(x->severity, LT_SEV_WARNING); /* 700 ms: a warning, never an error */
	assert_string_equal(field(x, "mode")->text, "batch");
}

static void service_waits_and_keeps_errors(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	uint32_t site = rawgen_stack(&g, "serve", FILE_JS, 9, 1);
	rawgen_r_init_ex(&g, 6, 1, "Immediate", 1 * MS, -1, site, 0, "handle");
	rawgen_main_end(&g, 2 * MS);
	rawgen_poll(&g, 3 * MS, 2000 * MS, -1, 1); /* waited for I/O */
	rawgen_r_before(&g, 6, 2001 * MS, 0);
	rawgen_r_after(&g, 6, 2701 * MS);
	analyze(f, &g, 50);
	assert_int_equal(f->a.metrics.mode, LT_MODE_SERVICE);
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_non_null(x);
	assert_int_equal(x->severity, LT_SEV_ERROR);
}

/* --- filters --- */

/* A 300 ms startup (info) and an 80 ms timer in FILE_JS (warning). */
static void two_findings(struct test_analysis *f, const struct lt_analysis_opts *o)
{
	struct rawgen g;
	start(&g);
	uint32_t site = rawgen_stack(&g, "", FILE_JS, 12, 3);
	rawgen_r_init_ex(&g, 6, 1, "Timeout", 1 * MS, 10, site, 0, "crunch");
	rawgen_main_end(&g, 300 * MS);
	rawgen_poll(&g, 301 * MS, 1300 * MS, -1, 0); /* a service */
	rawgen_r_before(&g, 6, 1310 * MS, 0);
	rawgen_r_after(&g, 6, 1390 * MS);
	analyze_with(f, &g, o);
}

static void filter_by_kind_and_severity(void **state)
{
	struct test_analysis *f = *state;
	struct lt_analysis_opts o;
	lt_analysis_defaults(&o);
	assert_int_equal(lt_filter_add_kinds(&o.filter, "startup,blocking-task"), 0);
	assert_int_equal(lt_filter_set_min_severity(&o.filter, "warning"), 0);
	assert_int_equal(lt_filter_add_kinds(&o.filter, "startup,nonsense"), -EINVAL);
	assert_int_equal(lt_filter_set_min_severity(&o.filter, "fatal"), -EINVAL);
	two_findings(f, &o);
	assert_int_equal(f->a.findings.n, 1);
	assert_string_equal(f->a.findings.items[0].kind, "blocking-task");
}

static void filter_by_location_glob(void **state)
{
	struct test_analysis *f = *state;
	struct lt_analysis_opts o;
	lt_analysis_defaults(&o);
	assert_int_equal(lt_filter_add_exclude(&o.filter, "/app/*"), 0);
	two_findings(f, &o);
	assert_int_equal(f->a.findings.n, 0); /* both located in /app/server.js */
	struct lt_filter inc = {0};
	assert_int_equal(lt_filter_add_include(&inc, "*/server.js"), 0);
	struct lt_finding located = {.kind = "startup", .file = (char *)FILE_JS, .pid = 40};
	struct lt_finding nowhere = {.kind = "startup", .pid = 40};
	assert_true(lt_filter_keeps(&inc, &located));
	assert_false(lt_filter_keeps(&inc, &nowhere)); /* --include drops what has no location */
	struct lt_filter exc = {0};
	assert_int_equal(lt_filter_add_exclude(&exc, "*/server.js"), 0);
	assert_false(lt_filter_keeps(&exc, &located));
	assert_true(lt_filter_keeps(&exc, &nowhere)); /* --exclude keeps it */
}

static void filter_by_pid(void **state)
{
	struct test_analysis *f = *state;
	struct lt_analysis_opts o;
	lt_analysis_defaults(&o);
	assert_int_equal(lt_filter_add_pid(&o.filter, 41), 0);
	two_findings(f, &o);
	assert_int_equal(f->a.findings.n, 0);
	assert_int_equal(f->a.processes.n, 0);
	assert_int_equal(f->a.metrics.pid, 0); /* no thread of pid 41 to describe */
}

/* --- blocking-task --- */

static void blocking_timer_is_found_with_its_figures(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	uint32_t site = rawgen_stack(&g, "", FILE_JS, 12, 3);
	rawgen_r_init_ex(&g, 6, 1, "Timeout", 1 * MS, 10, site, 0, "crunch");
	rawgen_r_init_ex(&g, 7, 1, "Timeout", 1 * MS, 10, site, 0, "crunch");
	rawgen_r_init_ex(&g, 8, 1, "Timeout", 1 * MS, 10, site, 0, "quick");
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 6, 20 * MS, 0);
	rawgen_r_after(&g, 6, 100 * MS); /* 80 ms */
	rawgen_r_before(&g, 7, 101 * MS, 0);
	rawgen_r_after(&g, 7, 161 * MS); /* 60 ms */
	rawgen_r_before(&g, 8, 162 * MS, 0);
	rawgen_r_after(&g, 8, 172 * MS); /* 10 ms: short */
	analyze(f, &g, 50);
	assert_int_equal(count(f, "blocking-task"), 1);
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_int_equal(x->severity, LT_SEV_WARNING); /* a batch run: never an error */
	assert_true(fabs(field(x, "duration_ms")->number - 80) < 0.5);
	assert_true(fabs(field(x, "total_ms")->number - 140) < 0.5);
	assert_int_equal(field(x, "count")->integer, 2);
	assert_string_equal(field(x, "queue")->text, "timer");
	assert_string_equal(field(x, "callback")->text, "crunch");
	assert_string_equal(x->file, FILE_JS);
	assert_int_equal(x->line, 12);
	assert_non_null(strstr(x->message, "CPU-bound"));
}

static void blocking_threshold_is_an_option(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_r_init(&g, 6, 1, "Immediate", 1 * MS, -1);
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 6, 3 * MS, 0);
	rawgen_r_after(&g, 6, 23 * MS); /* 20 ms */
	analyze(f, &g, 10);
	assert_int_equal(count(f, "blocking-task"), 1);
	assert_string_equal(field(find(f, "blocking-task", 0), "queue")->text, "immediate");
}

static void blocking_names_the_synchronous_call(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_r_init(&g, 6, 1, "Timeout", 1 * MS, 1);
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 6, 3 * MS, 0);
	uint32_t p[3] = {0, 0, 90 * MS};
	p[0] = (uint32_t)(g.base_ns + 4 * MS);
	p[1] = (uint32_t)((g.base_ns + 4 * MS) >> 32);
	rawgen_record(&g, LT_BLOCKING, LT_CALL_READ, p, 3); /* a 90 ms read() */
	rawgen_r_after(&g, 6, 100 * MS);
	analyze(f, &g, 50);
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_non_null(x);
	assert_string_equal(field(x, "blocking_call")->text, "read");
	assert_non_null(strstr(x->message, "synchronous file I/O"));
}

/* --- unhandled-rejection --- */

static void rejections_unhandled_and_late(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_p_init(&g, 1, 0, 1 * MS);
	rawgen_p_init(&g, 2, 0, 1 * MS);
	rawgen_main_end(&g, 2 * MS);
	rawgen_reject(&g, LT_REJECT_UNHANDLED, 1,
		      "Error: no config\n    at load (" FILE_JS ":5:9)\n    at node:internal/x:1:1", 3 * MS, 1);
	rawgen_reject(&g, LT_REJECT_UNHANDLED, 2, "TypeError: late one\n    at later (" FILE_JS ":9:3)", 3 * MS, 2);
	rawgen_reject(&g, LT_REJECT_HANDLED_LATE, 2, NULL, 40 * MS, 3);
	analyze(f, &g, 50);
	assert_int_equal(count(f, "unhandled-rejection"), 2);
	for (int i = 0; i < 2; i++) {
		const struct lt_finding *x = find(f, "unhandled-rejection", i);
		int late = field(x, "handled_late")->integer;
		assert_int_equal(x->severity, late ? LT_SEV_WARNING : LT_SEV_ERROR);
		assert_string_equal(x->file, FILE_JS);
		assert_int_equal(x->line, late ? 9 : 5);
		assert_string_equal(x->function, late ? "later" : "load");
		assert_string_equal(field(x, "reason")->text, late ? "TypeError: late one" : "Error: no config");
		if (late)
			assert_true(fabs(field(x, "handled_after_ms")->number - 37) < 0.5);
	}
}

static void rejection_handled_in_time_is_quiet(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_p_init(&g, 1, 0, 1 * MS);
	rawgen_p_event(&g, LT_P_SETTLE, 1, 1 * MS);
	rawgen_main_end(&g, 2 * MS);
	rawgen_exit(&g, 0, 3 * MS);
	analyze(f, &g, 50);
	assert_int_equal(f->a.findings.n, 0);
}

/* --- leaked-handle --- */

/* Killed with no listening server: the armed interval held the process
 * (a killed service's server is test_detectors2.c's). */
static void leaks_in_a_killed_process(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	uint32_t s1 = rawgen_stack(&g, "startMetrics", FILE_JS, 14, 3);
	rawgen_r_init_ex(&g, 6, 1, "Timeout", 1 * MS, 100, s1, 2, NULL);    /* interval */
	rawgen_r_init_ex(&g, 8, 1, "Timeout", 1 * MS, 100, s1, 3, NULL);    /* unref'd interval */
	rawgen_r_init_ex(&g, 9, 1, "Timeout", 1 * MS, 50, s1, 0, NULL);     /* cleared: due, never ran */
	rawgen_main_end(&g, 2 * MS);
	for (uint64_t t = 101; t < 2000; t += 100) {
		rawgen_r_before(&g, 6, t * MS, 0);
		rawgen_r_after(&g, 6, t * MS + 100000);
	}
	/* killed: no exit emit */
	analyze(f, &g, 50);
	assert_int_equal(count(f, "leaked-handle"), 1);
	const struct lt_finding *x = find(f, "leaked-handle", 0);
	assert_string_equal(field(x, "type")->text, "Timeout");
	assert_int_equal(x->line, 14);
	assert_string_equal(x->function, "startMetrics");
	assert_true(field(x, "age_ms")->number > 1800);
}

static void no_leaks_when_the_loop_ran_dry(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_r_init_ex(&g, 7, 1, "TCPSERVERWRAP", 1 * MS, -1, 0, 0, NULL);
	rawgen_main_end(&g, 2 * MS);
	rawgen_exit(&g, 0, 5 * MS); /* beforeExit: nothing kept it alive */
	rawgen_exit(&g, 1, 6 * MS);
	analyze(f, &g, 50);
	assert_int_equal(count(f, "leaked-handle"), 0);
}

/* --- sequential-await --- */

/* An async function awaiting `n` operations; each operation's promise X is
 * created right before its await (T, parent X) — or all up front when
 * `prestarted`.  Each wait spans a poll of `wait_ms`. */
static void awaits(struct rawgen *g, int n, int prestarted, uint64_t wait_ms)
{
	uint32_t site = rawgen_stack(g, "loadAll", FILE_JS, 17, 20);
	uint64_t t = 2 * MS;
	uint32_t id = 1;
	if (prestarted)
		for (int i = 0; i < n; i++)
			rawgen_p_init_stack(g, 100 + (uint32_t)i, 0, t, site);
	rawgen_p_init_stack(g, prestarted ? 100 : id, 0, t, site); /* X1 (again if prestarted: harmless) */
	uint32_t x = prestarted ? 100 : id++;
	uint32_t tw = id++;
	rawgen_p_init_stack(g, tw, x, t, site);
	rawgen_main_end(g, t + 1 * MS);
	for (int i = 0; i < n; i++) {
		rawgen_poll(g, t + 1 * MS, t + wait_ms * MS, 100, 1);
		t += wait_ms * MS + 1 * MS;
		rawgen_p_event(g, LT_P_BEFORE, tw, t);
		if (i + 1 < n) {
			x = prestarted ? 100 + (uint32_t)(i + 1) : id++;
			if (!prestarted)
				rawgen_p_init(g, x, 0, t);
			uint32_t next = id++;
			rawgen_p_init_stack(g, next, x, t, site);
			rawgen_p_event(g, LT_P_AFTER, tw, t);
			tw = next;
		} else {
			rawgen_p_event(g, LT_P_AFTER, tw, t);
		}
	}
}

static void serial_awaits_are_found(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	awaits(&g, 6, 0, 20);
	analyze(f, &g, 50);
	assert_int_equal(count(f, "sequential-await"), 1);
	const struct lt_finding *x = find(f, "sequential-await", 0);
	assert_int_equal(field(x, "count")->integer, 6);
	assert_true(field(x, "serial_ms")->number > 110);
	assert_true(field(x, "estimated_savings_ms")->number > 60);
	assert_int_equal(field(x, "concurrency")->integer, 4);
	assert_int_equal(x->line, 17);
	assert_string_equal(x->function, "loadAll");
	assert_int_equal(x->severity, LT_SEV_WARNING);
	assert_non_null(strstr(x->fix, "bounded concurrency"));
}

static void prestarted_operations_are_quiet(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	awaits(&g, 6, 1, 20);
	analyze(f, &g, 50);
	assert_int_equal(count(f, "sequential-await"), 0);
}

static void awaits_that_wait_on_nothing_are_quiet(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	/* resolved values: every continuation in the same iteration */
	uint32_t tw = 2;
	rawgen_p_init(&g, 1, 0, 1 * MS);
	rawgen_p_init(&g, tw, 1, 1 * MS);
	rawgen_main_end(&g, 2 * MS);
	for (uint32_t i = 0; i < 20; i++) {
		rawgen_p_event(&g, LT_P_BEFORE, tw, 3 * MS);
		rawgen_p_init(&g, tw + 1, 0, 3 * MS);
		rawgen_p_init(&g, tw + 2, tw + 1, 3 * MS);
		rawgen_p_event(&g, LT_P_AFTER, tw, 3 * MS);
		tw += 2;
	}
	analyze(f, &g, 50);
	assert_int_equal(count(f, "sequential-await"), 0);
}

/* --- floods --- */

static void tick_flood_starves_the_loop(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_main_end(&g, 2 * MS);
	uint64_t t = 3 * MS;
	for (uint32_t i = 0; i < 3000; i++) { /* 3000 ticks of 40 us: 120 ms */
		rawgen_r_init(&g, 10 + i, 1, "TickObject", t, -1);
		rawgen_r_before(&g, 10 + i, t, 0);
		rawgen_r_after(&g, 10 + i, t + 40000);
		t += 40000;
	}
	analyze(f, &g, 50);
	const struct lt_finding *x = find(f, "microtask-starvation", 0);
	assert_non_null(x);
	assert_int_equal(field(x, "count")->integer, 3000);
	assert_true(fabs(field(x, "duration_ms")->number - 120) < 1);
	assert_int_equal(count(f, "blocking-task"), 0); /* no single one was long */
}

static void fan_out_from_one_site(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	uint32_t site = rawgen_stack(&g, "scan", FILE_JS, 40, 5);
	for (uint32_t i = 0; i < 250; i++) /* created during main: one dispatch */
		rawgen_r_init_ex(&g, 10 + i, 1, "FSREQCALLBACK", 1 * MS, -1, site, 0, NULL);
	for (uint32_t i = 0; i < 50; i++)
		rawgen_r_init_ex(&g, 300 + i, 1, "FSREQCALLBACK", 1 * MS, -1, site, 0, NULL);
	rawgen_main_end(&g, 2 * MS);
	analyze(f, &g, 50);
	const struct lt_finding *x = find(f, "unbounded-fan-out", 0);
	assert_non_null(x);
	assert_int_equal(field(x, "count")->integer, 300);
	assert_int_equal(x->line, 40);
	assert_string_equal(x->function, "scan");
}

/* --- metrics and edge cases --- */

static void metrics_from_iterations_and_timers(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_r_init(&g, 6, 1, "Timeout", 1 * MS, 10);
	rawgen_main_end(&g, 2 * MS);
	rawgen_poll(&g, 3 * MS, 30 * MS, 8, 0);  /* idle 27 ms */
	rawgen_r_before(&g, 6, 31 * MS, 0);      /* due at 11 ms: 20 ms late */
	rawgen_r_after(&g, 6, 131 * MS);         /* and blocks 100 ms */
	rawgen_poll(&g, 132 * MS, 142 * MS, 10, 0);
	analyze(f, &g, 50);
	const struct lt_metrics *m = &f->a.metrics;
	assert_int_equal(m->iterations, 2);
	assert_true(fabs(m->idle_ms - 37) < 0.5);
	assert_int_equal(m->timer_lateness.count, 1);
	assert_true(fabs(m->timer_lateness.max_ms - 20) < 0.5);
	assert_true(m->lag.max_ms >= 90); /* the 100 ms block shows as lag */
	assert_true(m->utilization > 0 && m->utilization < 1);
	assert_int_equal(m->by_queue[3], 1); /* timer */
}

/* An attached trace begins mid-loop: the time before the first iteration
 * seen is not lag (a recorded one begins with the program: it is). */
static void attached_trace_lag_starts_with_the_first_iteration(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_r_init(&g, 6, 1, "Timeout", 1 * MS, 10);
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 6, 45 * MS, 0); /* the first thing seen, 45 ms in */
	rawgen_r_after(&g, 6, 46 * MS);
	rawgen_poll(&g, 46 * MS, 96 * MS, 50, 0);
	rawgen_poll(&g, 96 * MS, 146 * MS, 50, 0);
	analyze(f, &g, 50);
	assert_true(f->a.metrics.lag.max_ms >= 30); /* recorded: 45 ms of a busy start */
	assert_int_equal(lt_store_set_meta(f->t.db, "capture", "bpf"), 0);
	struct lt_metrics m;
	assert_int_equal(lt_metrics_compute(f->t.db, &m), 0);
	assert_true(m.attached);
	assert_true(m.lag.count > 5);
	assert_true(m.lag.max_ms < 2);
}

static void empty_trace(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	rawgen_init(&g, 40, 40, 1000 * MS);
	analyze(f, &g, 50);
	assert_int_equal(f->a.findings.n, 0);
	assert_int_equal(f->a.metrics.dispatches, 0);
	assert_int_equal(f->a.metrics.lag.count, 0);
}

static void trace_cut_short_by_sigkill(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_r_init(&g, 6, 1, "Timeout", 1 * MS, 1);
	rawgen_main_end(&g, 2 * MS);
	rawgen_r_before(&g, 6, 3 * MS, 0);
	rawgen_output(&g, 1, "working\n", 90 * MS); /* killed inside the callback */
	analyze(f, &g, 50);
	const struct lt_finding *x = find(f, "blocking-task", 0);
	assert_non_null(x);
	assert_true(field(x, "duration_ms")->number >= 86);
}

static void million_dispatches(void **state)
{
	struct test_analysis *f = *state;
	struct rawgen g;
	start(&g);
	rawgen_r_init(&g, 6, 1, "Timeout", 1 * MS, 1);
	rawgen_main_end(&g, 2 * MS);
	uint64_t t = 3 * MS;
	for (int i = 0; i < 1000000; i++) {
		rawgen_r_before(&g, 6, t, 0);
		rawgen_r_after(&g, 6, t + (i == 500000 ? 70 * MS : 2000));
		t += i == 500000 ? 71 * MS : 3000;
	}
	analyze(f, &g, 50);
	assert_int_equal(f->a.metrics.dispatches, 1000001); /* main and the timer runs */
	assert_int_equal(count(f, "blocking-task"), 1);
	assert_int_equal(field(find(f, "blocking-task", 0), "count")->integer, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(place_skips_node_modules_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(user_code_globs_override_the_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(findings_name_their_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(blocking_is_placed_at_the_sampled_user_line, setup, teardown),
		cmocka_unit_test_setup_teardown(blocking_advice_follows_the_larger_share, setup, teardown),
		cmocka_unit_test_setup_teardown(blocking_without_user_frames_says_why, setup, teardown),
		cmocka_unit_test_setup_teardown(a_spread_helper_is_placed_at_its_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(a_tool_process_is_not_the_users_problem, setup, teardown),
		cmocka_unit_test_setup_teardown(module_loading_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(main_module_is_startup_not_blocking, setup, teardown),
		cmocka_unit_test_setup_teardown(very_long_startup_is_a_warning_never_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(batch_run_has_no_lag_and_no_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(service_waits_and_keeps_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(filter_by_kind_and_severity, setup, teardown),
		cmocka_unit_test_setup_teardown(filter_by_location_glob, setup, teardown),
		cmocka_unit_test_setup_teardown(filter_by_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(blocking_timer_is_found_with_its_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(blocking_threshold_is_an_option, setup, teardown),
		cmocka_unit_test_setup_teardown(blocking_names_the_synchronous_call, setup, teardown),
		cmocka_unit_test_setup_teardown(rejections_unhandled_and_late, setup, teardown),
		cmocka_unit_test_setup_teardown(rejection_handled_in_time_is_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(leaks_in_a_killed_process, setup, teardown),
		cmocka_unit_test_setup_teardown(no_leaks_when_the_loop_ran_dry, setup, teardown),
		cmocka_unit_test_setup_teardown(serial_awaits_are_found, setup, teardown),
		cmocka_unit_test_setup_teardown(prestarted_operations_are_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(awaits_that_wait_on_nothing_are_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(tick_flood_starves_the_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(fan_out_from_one_site, setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_from_iterations_and_timers, setup, teardown),
		cmocka_unit_test_setup_teardown(attached_trace_lag_starts_with_the_first_iteration, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(trace_cut_short_by_sigkill, setup, teardown),
		cmocka_unit_test_setup_teardown(million_dispatches, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
