/*
 * store_check.c — the values of a trace checked against what readers assume.
 */
#include "store_check.h"

#include <errno.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>

/* What a column holds. */
enum kind {
	INT,  /* INTEGER in [min, max] */
	NS,   /* INTEGER time in [0, LT_CHECK_MAX_NS] */
	TEXT, /* TEXT */
};

struct column {
	const char *name;
	enum kind kind;
	int nullable;
	int64_t min, max; /* INT only */
};

/* A rule about a whole row: `bad` is an SQL condition true for a bad row. */
struct row_rule {
	const char *bad;
	const char *problem;
};

struct table {
	const char *name;
	const char *row; /* SQL naming a row in messages */
	const struct column *columns;
	const struct row_rule *rules;
};

#define ID_MAX (INT64_C(1) << 62)
#define PID_MAX (INT64_C(1) << 32)
#define ANY_INT INT64_MIN, INT64_MAX
#define ID(c) {c, INT, 0, 0, ID_MAX}
#define OPT_ID(c) {c, INT, 1, 0, ID_MAX}
#define OPT_INT(c) {c, INT, 1, ANY_INT}
#define PID(c) {c, INT, 0, 0, PID_MAX}
#define TIME(c) {c, NS, 0, 0, 0}
#define OPT_TIME(c) {c, NS, 1, 0, 0}
#define STR(c) {c, TEXT, 0, 0, 0}
#define OPT_STR(c) {c, TEXT, 1, 0, 0}
#define END {NULL, INT, 0, 0, 0}

static const struct column threads_cols[] = {
	PID("pid"), PID("tid"), {"ppid", INT, 1, 0, PID_MAX}, {"parent_tid", INT, 1, 0, PID_MAX},
	OPT_INT("is_main_thread"), OPT_INT("js_thread_id"), OPT_STR("argv"), OPT_STR("main_script"),
	TIME("start_ns"), TIME("end_ns"), OPT_INT("clean_exit"), OPT_INT("events"), OPT_INT("raw_bytes"),
	OPT_STR("thread_name"), OPT_STR("exec_path"), OPT_STR("end_reason"), END,
};
static const struct row_rule threads_rules[] = {
	{"end_ns < start_ns", "ends before it starts"},
	{NULL, NULL},
};

static const struct column stacks_cols[] = {
	ID("stack_id"), {"depth", INT, 0, 0, LT_CHECK_MAX_DEPTH}, STR("function"), STR("file"),
	OPT_INT("line"), OPT_INT("column"), END,
};

static const struct column resources_cols[] = {
	ID("id"), PID("pid"), PID("tid"), OPT_INT("async_id"), STR("type"), OPT_INT("trigger_id"),
	TIME("created_ns"), OPT_ID("created_seq"), OPT_ID("stack_id"), OPT_ID("site_stack_id"),
	OPT_STR("callback"), {"timer_delay_ms", INT, 1, -PID_MAX, PID_MAX}, OPT_INT("timer_repeat"),
	OPT_INT("ref"), OPT_TIME("destroyed_ns"), OPT_TIME("cleared_ns"), END,
};

static const struct column promises_cols[] = {
	ID("id"), PID("pid"), PID("tid"), OPT_ID("parent_id"), TIME("created_ns"), OPT_ID("created_seq"),
	OPT_TIME("settled_ns"), OPT_ID("settled_seq"), STR("state"), OPT_ID("stack_id"),
	OPT_ID("site_stack_id"), END,
};

static const struct column dispatches_cols[] = {
	ID("seq"), PID("pid"), PID("tid"), STR("queue"), STR("type"), OPT_ID("resource_id"),
	OPT_ID("promise_id"), OPT_ID("parent_seq"), {"depth", INT, 0, 0, LT_CHECK_MAX_DEPTH},
	OPT_ID("trigger_seq"), ID("iteration"), STR("phase"), TIME("begin_ns"), TIME("end_ns"), END,
};
/* analyzer/queue.c's names. */
static const struct row_rule dispatches_rules[] = {
	{"queue NOT IN ('main', 'nextTick', 'microtask', 'timer', 'immediate', 'io', 'close', 'exit')",
	 "queue is not a known queue"},
	{"phase NOT IN ('main', 'timers', 'pending', 'poll', 'check', 'close', 'exit')",
	 "phase is not a known loop phase"},
	{"end_ns < begin_ns", "ends before it begins"},
	{NULL, NULL},
};

static const struct column output_cols[] = {
	ID("id"), PID("pid"), PID("tid"), OPT_ID("dispatch_seq"), OPT_INT("fd"), OPT_TIME("ts_ns"), STR("text"),
	END,
};

static const struct column iterations_cols[] = {
	PID("pid"), PID("tid"), ID("n"), TIME("begin_ns"), OPT_TIME("poll_begin_ns"), OPT_TIME("poll_end_ns"),
	TIME("end_ns"), OPT_INT("timeout_ms"), OPT_INT("events"), END,
};
static const struct row_rule iterations_rules[] = {
	{"end_ns < begin_ns", "ends before it begins"},
	{"poll_end_ns < poll_begin_ns", "its poll ends before it begins"},
	{NULL, NULL},
};

static const struct column rejections_cols[] = {
	ID("id"), PID("pid"), PID("tid"), STR("kind"), OPT_ID("promise_id"), OPT_STR("reason"),
	OPT_ID("stack_id"), OPT_TIME("ts_ns"), OPT_ID("dispatch_seq"), END,
};

static const struct column blocking_cols[] = {
	ID("id"), PID("pid"), PID("tid"), OPT_ID("dispatch_seq"), STR("call"), TIME("begin_ns"), TIME("end_ns"),
	END,
};
static const struct row_rule span_rules[] = {
	{"end_ns < begin_ns", "ends before it begins"},
	{NULL, NULL},
};

static const struct column lineage_cols[] = {
	PID("pid"), PID("tid"), STR("kind"), OPT_TIME("ts_ns"), {"child_pid", INT, 1, 0, PID_MAX},
	OPT_STR("detail"), END,
};

static const struct column samples_cols[] = {
	ID("id"), PID("pid"), PID("tid"), TIME("ts_ns"), OPT_ID("dispatch_seq"), OPT_ID("stack_id"),
	OPT_TIME("busy_ns"), OPT_TIME("on_cpu_ns"), OPT_TIME("runq_ns"), END,
};

static const struct column stream_losses_cols[] = {
	PID("pid"), PID("tid"), OPT_INT("dropped_events"), OPT_INT("dropped_bytes"), OPT_INT("gaps"),
	OPT_TIME("first_gap_ns"), OPT_TIME("last_gap_ns"), OPT_STR("reasons"), OPT_INT("promise_events"),
	OPT_INT("resource_events"), OPT_INT("output_events"), OPT_INT("other_events"), END,
};

static const struct column stream_gaps_cols[] = {
	PID("pid"), PID("tid"), TIME("begin_ns"), TIME("end_ns"), OPT_INT("dropped_events"), END,
};

static const struct column meta_cols[] = {STR("key"), OPT_STR("value"), END};

static const struct row_rule no_rules[] = {{NULL, NULL}};

/* A key column in a message, when it is an integer. */
#define K(c) "CASE typeof(" c ") WHEN 'integer' THEN " c " ELSE '?' END"

static const struct table tables[] = {
	{"meta", "row_number() OVER ()", meta_cols, no_rules},
	{"threads", "'pid=' || " K("pid") " || ' tid=' || " K("tid"), threads_cols, threads_rules},
	{"stacks", "'stack_id=' || " K("stack_id") " || ' depth=' || " K("depth"), stacks_cols, no_rules},
	{"resources", "rowid", resources_cols, no_rules},
	{"promises", "rowid", promises_cols, no_rules},
	{"dispatches", "rowid", dispatches_cols, dispatches_rules},
	{"output", "rowid", output_cols, no_rules},
	{"iterations", "'pid=' || " K("pid") " || ' tid=' || " K("tid") " || ' n=' || " K("n"), iterations_cols,
	 iterations_rules},
	{"rejections", "rowid", rejections_cols, no_rules},
	{"blocking_calls", "rowid", blocking_cols, span_rules},
	{"lineage", "rowid", lineage_cols, no_rules},
	{"samples", "rowid", samples_cols, no_rules},
	{"stream_losses", "'pid=' || " K("pid") " || ' tid=' || " K("tid"), stream_losses_cols, no_rules},
	{"stream_gaps", "rowid", stream_gaps_cols, span_rules},
};

struct sql {
	char s[8192];
	size_t n;
	int overflow;
};

static void add(struct sql *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct sql *q, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(q->s + q->n, sizeof(q->s) - q->n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= sizeof(q->s) - q->n)
		q->overflow = 1;
	else
		q->n += (size_t)w;
}

/* The first problem of a column as "NAME problem", or NULL. */
static void column_check(struct sql *q, const struct column *c)
{
	add(q, "CASE WHEN \"%s\" IS NULL THEN %s%s%s", c->name, c->nullable ? "NULL" : "'", c->nullable ? "" : c->name,
	    c->nullable ? "" : " is NULL'");
	if (c->kind == TEXT) {
		add(q, " WHEN typeof(\"%s\") <> 'text' THEN '%s is not text' END", c->name, c->name);
		return;
	}
	add(q, " WHEN typeof(\"%s\") <> 'integer' THEN '%s is not an integer'", c->name, c->name);
	int64_t min = c->kind == NS ? 0 : c->min, max = c->kind == NS ? LT_CHECK_MAX_NS : c->max;
	if (min != INT64_MIN || max != INT64_MAX)
		add(q, " WHEN \"%s\" NOT BETWEEN %lld AND %lld THEN '%s ' || \"%s\" || ' is out of range'", c->name,
		    (long long)min, (long long)max, c->name, c->name);
	add(q, " END");
}

/* One scan of a table: the first bad row and what is wrong with it. */
static int check_table(sqlite3 *db, const struct table *t, char *err, size_t errlen)
{
	struct sql q = {.n = 0};
	add(&q, "SELECT row, why FROM (SELECT %s AS row, COALESCE(", t->row);
	for (const struct column *c = t->columns; c->name; c++) {
		if (c != t->columns)
			add(&q, ", ");
		column_check(&q, c);
	}
	for (const struct row_rule *r = t->rules; r->bad; r++)
		add(&q, ", CASE WHEN %s THEN '%s' END", r->bad, r->problem);
	add(&q, ") AS why FROM \"%s\") WHERE why IS NOT NULL LIMIT 1", t->name);
	if (q.overflow) {
		snprintf(err, errlen, "%s: check too long", t->name);
		return -EIO;
	}
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, q.s, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", t->name, sqlite3_errmsg(db));
		return -EIO;
	}
	int rc = sqlite3_step(s);
	int ret = 0;
	if (rc == SQLITE_ROW) {
		snprintf(err, errlen, "%s row %s: %s", t->name, (const char *)sqlite3_column_text(s, 0),
			 (const char *)sqlite3_column_text(s, 1));
		ret = -EINVAL;
	} else if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", t->name, sqlite3_errmsg(db));
		ret = -EIO;
	}
	sqlite3_finalize(s);
	return ret;
}

int lt_store_check(sqlite3 *db, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		int rc = check_table(db, &tables[i], err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}
