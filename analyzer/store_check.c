/*
 * store_check.c — the values of a trace checked against what readers assume.
 */
#include "store_check.h"


#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>

/* What a column holds. */
enum kind {
	INT,  /* INTEGER in [min, max] */
	NS,   /* INTEGER time in [0, LT_CHECK_MAX_NS] */
	TEXT, /* TEXT */
};

struct lt_check_column {
	const char *name;
	enum kind kind;
	int nullable;
	int64_t min, max; /* INT only */
};

/* A rule about a whole row: the integer column `then` is not less than
 * the column `first` (both set; tested in SQL), or, when `names` is set
 * instead, the text column `column` is one of them (tested in C: an SQL
 * `NOT IN` list is a lookup in a temporary index per row).  Writers that
 * vouch for their rows test the same rules (lt_check_row_rule). */
struct row_rule {
	const char *first, *then;
	const char *problem;
	const char *const *names; /* NULL-terminated */
	const char *column;
};

#define MAX_RULES 8 /* per table */

struct table {
	const char *name;
	const char *row; /* SQL naming a row in messages */
	const struct lt_check_column *columns;
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

static const struct lt_check_column threads_cols[] = {
	PID("pid"), PID("tid"), {"ppid", INT, 1, 0, PID_MAX}, {"parent_tid", INT, 1, 0, PID_MAX},
	OPT_INT("is_main_thread"), OPT_INT("js_thread_id"), OPT_STR("argv"), OPT_STR("main_script"),
	TIME("start_ns"), TIME("end_ns"), OPT_INT("clean_exit"), OPT_INT("events"), OPT_INT("raw_bytes"),
	OPT_STR("thread_name"), OPT_STR("exec_path"), OPT_STR("end_reason"), END,
};
static const struct row_rule threads_rules[] = {
	{"start_ns", "end_ns", "ends before it starts", NULL, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static const struct lt_check_column stacks_cols[] = {
	ID("stack_id"), {"depth", INT, 0, 0, LT_CHECK_MAX_DEPTH}, STR("function"), STR("file"),
	OPT_INT("line"), OPT_INT("column"), END,
};

static const struct lt_check_column resources_cols[] = {
	ID("id"), PID("pid"), PID("tid"), OPT_INT("async_id"), STR("type"), OPT_INT("trigger_id"),
	TIME("created_ns"), OPT_ID("created_seq"), OPT_ID("stack_id"), OPT_ID("site_stack_id"),
	OPT_STR("callback"), {"timer_delay_ms", INT, 1, -PID_MAX, PID_MAX}, OPT_INT("timer_repeat"),
	OPT_INT("ref"), OPT_TIME("destroyed_ns"), OPT_TIME("cleared_ns"), END,
};

static const struct lt_check_column promises_cols[] = {
	ID("id"), PID("pid"), PID("tid"), OPT_ID("parent_id"), TIME("created_ns"), OPT_ID("created_seq"),
	OPT_TIME("settled_ns"), OPT_ID("settled_seq"), STR("state"), OPT_ID("stack_id"),
	OPT_ID("site_stack_id"), END,
};

static const struct lt_check_column dispatches_cols[] = {
	ID("seq"), PID("pid"), PID("tid"), STR("queue"), STR("type"), OPT_ID("resource_id"),
	OPT_ID("promise_id"), OPT_ID("parent_seq"), {"depth", INT, 0, 0, LT_CHECK_MAX_DEPTH},
	OPT_ID("trigger_seq"), ID("iteration"), STR("phase"), TIME("begin_ns"), TIME("end_ns"), END,
};
/* analyzer/queue.c's names. */
static const char *const queue_names[] = {"main", "nextTick", "microtask", "timer", "immediate", "io", "close",
					  "exit", NULL};
static const char *const phase_names[] = {"main", "timers", "pending", "poll", "check", "close", "exit", NULL};
static const struct row_rule dispatches_rules[] = {
	{NULL, NULL, "queue is not a known queue", queue_names, "queue"},
	{NULL, NULL, "phase is not a known loop phase", phase_names, "phase"},
	{"begin_ns", "end_ns", "ends before it begins", NULL, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static const struct lt_check_column output_cols[] = {
	ID("id"), PID("pid"), PID("tid"), OPT_ID("dispatch_seq"), OPT_INT("fd"), OPT_TIME("ts_ns"), STR("text"),
	END,
};

static const struct lt_check_column iterations_cols[] = {
	PID("pid"), PID("tid"), ID("n"), TIME("begin_ns"), OPT_TIME("poll_begin_ns"), OPT_TIME("poll_end_ns"),
	TIME("end_ns"), OPT_INT("timeout_ms"), OPT_INT("events"), END,
};
static const struct row_rule iterations_rules[] = {
	{"begin_ns", "end_ns", "ends before it begins", NULL, NULL},
	{"poll_begin_ns", "poll_end_ns", "its poll ends before it begins", NULL, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static const struct lt_check_column rejections_cols[] = {
	ID("id"), PID("pid"), PID("tid"), STR("kind"), OPT_ID("promise_id"), OPT_STR("reason"),
	OPT_ID("stack_id"), OPT_TIME("ts_ns"), OPT_ID("dispatch_seq"), END,
};

static const struct lt_check_column blocking_cols[] = {
	ID("id"), PID("pid"), PID("tid"), OPT_ID("dispatch_seq"), STR("call"), TIME("begin_ns"), TIME("end_ns"),
	END,
};
static const struct row_rule span_rules[] = {
	{"begin_ns", "end_ns", "ends before it begins", NULL, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static const struct lt_check_column lineage_cols[] = {
	PID("pid"), PID("tid"), STR("kind"), OPT_TIME("ts_ns"), {"child_pid", INT, 1, 0, PID_MAX},
	OPT_STR("detail"), END,
};

static const struct lt_check_column samples_cols[] = {
	ID("id"), PID("pid"), PID("tid"), TIME("ts_ns"), OPT_ID("dispatch_seq"), OPT_ID("stack_id"),
	OPT_TIME("busy_ns"), OPT_TIME("on_cpu_ns"), OPT_TIME("runq_ns"), END,
};

static const struct lt_check_column stream_losses_cols[] = {
	PID("pid"), PID("tid"), OPT_INT("dropped_events"), OPT_INT("dropped_bytes"), OPT_INT("gaps"),
	OPT_TIME("first_gap_ns"), OPT_TIME("last_gap_ns"), OPT_STR("reasons"), OPT_INT("promise_events"),
	OPT_INT("resource_events"), OPT_INT("output_events"), OPT_INT("other_events"), END,
};

static const struct lt_check_column stream_gaps_cols[] = {
	PID("pid"), PID("tid"), TIME("begin_ns"), TIME("end_ns"), OPT_INT("dropped_events"), END,
};

static const struct lt_check_column meta_cols[] = {STR("key"), OPT_STR("value"), END};

static const struct row_rule no_rules[] = {{NULL, NULL, NULL, NULL, NULL}};

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

/* SQLite settings for a file from anywhere: no functions or virtual tables
 * run from its schema, no writes through the schema tables, and corrupt
 * pages caught early. */
int lt_store_harden(sqlite3 *db)
{
	int ok = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) == SQLITE_OK &&
		 sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) == SQLITE_OK &&
		 sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL) == SQLITE_OK &&
		 sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL) == SQLITE_OK &&
		 sqlite3_exec(db, "PRAGMA cell_size_check=ON", NULL, NULL, NULL) == SQLITE_OK;
	return ok ? 0 : -EIO;
}

/* A reader's connection keeps the shared lock it takes at its first read
 * until it is closed (a trace is read while nothing writes it): without
 * it every statement took and gave back the lock, looked for a hot journal
 * and read the header again (fcntl, fstat and pread per statement: 6% of a
 * report on a big trace, which runs hundreds of thousands of lookups). */
int lt_store_read_settings(sqlite3 *db)
{
	return sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* A column's problem, written into why; 0 when its value is fine.  Called
 * before any other sqlite3_column_* on the column, so the type is the one
 * stored (what typeof() says).  One sqlite3_column_value, then the value's
 * own accessors: each sqlite3_column_* call does the API's bookkeeping
 * again (two of them per column were a quarter of the check).  The value
 * is SQLite's "unprotected" kind, which is fine on a connection only this
 * thread uses. */
static int column_problem(sqlite3_stmt *s, int i, const struct lt_check_column *c, char *why, size_t n)
{
	sqlite3_value *value = sqlite3_column_value(s, i);
	int type = sqlite3_value_type(value);
	if (type == SQLITE_NULL) {
		if (c->nullable)
			return 0;
		snprintf(why, n, "%s is NULL", c->name);
		return 1;
	}
	if (c->kind == TEXT) {
		if (type == SQLITE_TEXT)
			return 0;
		snprintf(why, n, "%s is not text", c->name);
		return 1;
	}
	if (type != SQLITE_INTEGER) {
		snprintf(why, n, "%s is not an integer", c->name);
		return 1;
	}
	int64_t v = sqlite3_value_int64(value);
	if (lt_check_value(c, LT_CHECK_INTEGER, v))
		return 0;
	snprintf(why, n, "%s %lld is out of range", c->name, (long long)v);
	return 1;
}

/* Whether the text value is one of names (compared as SQL does: every
 * byte, NULs too). */
static int is_one_of(sqlite3_value *value, const char *const *names)
{
	const unsigned char *text = sqlite3_value_text(value);
	return text && lt_check_name(names, (const char *)text, sqlite3_value_bytes(value));
}

int lt_check_name(const char *const *names, const char *s, int n)
{
	if (n < 0)
		return 0;
	for (; *names; names++)
		if (strlen(*names) == (size_t)n && memcmp(*names, s, (size_t)n) == 0)
			return 1;
	return 0;
}

/* The index of the column called name, or -1. */
static int column_index(const struct table *t, const char *name)
{
	for (int i = 0; t->columns[i].name; i++)
		if (!strcmp(t->columns[i].name, name))
			return i;
	return -1;
}

/* One scan of a table: the first bad row and what is wrong with it.  The
 * columns' types and ranges are tested here, in C (about 4x faster than the
 * same tests as SQL expressions on a 45M-event trace); the row rules are SQL
 * conditions selected after the columns, and the row's name is asked for
 * only for a bad row. */
static int check_table(sqlite3 *db, const struct table *t, int64_t lo, int64_t hi, char *err, size_t errlen)
{
	struct sql q = {.n = 0};
	int ncols = 0;
	add(&q, "SELECT ");
	for (const struct lt_check_column *c = t->columns; c->name; c++, ncols++)
		add(&q, "%s\"%s\"", c == t->columns ? "" : ", ", c->name);
	for (const struct row_rule *r = t->rules; r->problem; r++)
		if (r->first)
			add(&q, ", CASE WHEN \"%s\" < \"%s\" THEN 1 END", r->then, r->first);
		else
			add(&q, ", NULL");
	add(&q, ", %s FROM \"%s\"", t->row, t->name);
	if (lo <= hi)
		add(&q, " WHERE rowid BETWEEN %lld AND %lld", (long long)lo, (long long)hi);
	if (q.overflow) {
		snprintf(err, errlen, "%s: check too long", t->name);
		return -EIO;
	}
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, q.s, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", t->name, sqlite3_errmsg(db));
		return -EIO;
	}
	int nrules = 0, name_column[MAX_RULES];
	for (; t->rules[nrules].problem && nrules < MAX_RULES; nrules++)
		name_column[nrules] = t->rules[nrules].names ? column_index(t, t->rules[nrules].column) : -1;
	int rc, ret = 0;
	char why[256];
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int bad = 0;
		for (int i = 0; i < ncols && !bad; i++)
			bad = column_problem(s, i, &t->columns[i], why, sizeof(why));
		for (int r = 0; r < nrules && !bad; r++)
			if (name_column[r] >= 0 ? !is_one_of(sqlite3_column_value(s, name_column[r]), t->rules[r].names)
						: sqlite3_value_type(sqlite3_column_value(s, ncols + r)) != SQLITE_NULL) {
				snprintf(why, sizeof(why), "%s", t->rules[r].problem);
				bad = 1;
			}
		if (bad) {
			const unsigned char *row = sqlite3_column_text(s, ncols + nrules);
			snprintf(err, errlen, "%s row %s: %s", t->name, row ? (const char *)row : "", why);
			ret = -EINVAL;
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", t->name, sqlite3_errmsg(db));
		ret = -EIO;
	}
	sqlite3_finalize(s);
	return ret;
}

/* A part of the check: a table, or a range of a rowid table's rows. */
struct job {
	const struct table *t;
	int64_t lo, hi; /* rowids; lo > hi for the whole table */
	int rc;
	char err[512];
};

/* Big rowid tables are split into parts of this many rowids, which the
 * threads share out. */
#define PART_ROWS (INT64_C(1) << 21)
#define MAX_JOBS 4096
#define MAX_THREADS 4

struct pool {
	struct job *jobs;
	size_t n, next;
	pthread_mutex_t lock;
	const char *path; /* the file the threads open again */
	int failed; /* a job found a problem: the rest may stop */
};

static int split(sqlite3 *db, struct job *jobs, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const struct table *t = &tables[i];
		int64_t lo = 1, hi = 0;
		if (!strcmp(t->row, "rowid")) {
			char sql[128];
			/* two subqueries: SQLite answers each from the b-tree's edge, not a scan */
			snprintf(sql, sizeof(sql), "SELECT (SELECT min(rowid) FROM \"%s\"), (SELECT max(rowid) FROM \"%s\")",
				 t->name, t->name);
			sqlite3_stmt *s;
			if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
				return -EIO;
			if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER) {
				lo = sqlite3_column_int64(s, 0);
				hi = sqlite3_column_int64(s, 1);
			}
			sqlite3_finalize(s);
		}
		if (lo > hi || hi - lo < PART_ROWS || (hi - lo) / PART_ROWS + *n + 2 > MAX_JOBS) {
			jobs[(*n)++] = (struct job){.t = t, .lo = 1, .hi = 0};
			continue;
		}
		for (int64_t a = lo;; a += PART_ROWS) {
			int last = hi - a < PART_ROWS;
			/* the first part takes rowids below lo (none), the last those above hi */
			jobs[(*n)++] = (struct job){.t = t, .lo = a == lo ? INT64_MIN : a,
						    .hi = last ? INT64_MAX : a + PART_ROWS - 1};
			if (last)
				break;
		}
	}
	return 0;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	sqlite3 *db = NULL;
	int open_rc = sqlite3_open_v2(p->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (open_rc == SQLITE_OK)
		open_rc = lt_store_harden(db) == 0 && lt_store_read_settings(db) == 0 ? SQLITE_OK : SQLITE_ERROR;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		size_t i = p->next < p->n && !p->failed ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i == p->n)
			break;
		struct job *j = &p->jobs[i];
		if (open_rc != SQLITE_OK) {
			j->rc = -EIO;
			snprintf(j->err, sizeof(j->err), "%s: cannot open the database again", j->t->name);
		} else {
			j->rc = check_table(db, j->t, j->lo, j->hi, j->err, sizeof(j->err));
		}
		if (j->rc != 0) {
			pthread_mutex_lock(&p->lock);
			p->failed = 1;
			pthread_mutex_unlock(&p->lock);
		}
	}
	sqlite3_close(db);
	return NULL;
}

int lt_store_check(sqlite3 *db, const char *again, char *err, size_t errlen)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (int)cpus;
	if (!again || threads == 1) {
		for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
			int rc = check_table(db, &tables[i], 1, 0, err, errlen);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	struct pool p = {.path = again};
	p.jobs = calloc(MAX_JOBS, sizeof(*p.jobs));
	if (!p.jobs) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = split(db, p.jobs, &p.n);
	if (rc != 0) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		goto free_jobs;
	}
	pthread_mutex_init(&p.lock, NULL);
	pthread_t tids[MAX_THREADS];
	int started = 0;
	for (; started < threads; started++)
		if (pthread_create(&tids[started], NULL, worker, &p) != 0)
			break;
	if (started == 0)
		worker(&p); /* no thread: this one does it all */
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&p.lock);
	/* The first problem in table and row order, as one scan would find it;
	 * a part skipped after another failed reports nothing, and every part
	 * before a failed one ran (parts are taken in order). */
	for (size_t i = 0; i < p.n; i++)
		if (p.jobs[i].rc != 0) {
			rc = p.jobs[i].rc;
			snprintf(err, errlen, "%s", p.jobs[i].err);
			break;
		}
free_jobs:
	free(p.jobs);
	return rc;
}

/* ---- for writers that vouch for their rows ---- */

static const struct table *table_named(const char *name)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!strcmp(tables[i].name, name))
			return &tables[i];
	return NULL;
}

const struct lt_check_column *lt_check_column_find(const char *table, const char *column)
{
	const struct table *t = table_named(table);
	int i = t ? column_index(t, column) : -1;
	return i < 0 ? NULL : &t->columns[i];
}

const char *lt_check_column_name(const char *table, int i)
{
	const struct table *t = table_named(table);
	if (!t || i < 0)
		return NULL;
	for (int k = 0; t->columns[k].name; k++)
		if (k == i)
			return t->columns[k].name;
	return NULL;
}

void lt_check_column_limits(const struct lt_check_column *c, struct lt_check_limits *out)
{
	out->text = c->kind == TEXT;
	out->nullable = c->nullable;
	out->min = c->kind == NS ? 0 : c->min;
	out->max = c->kind == NS ? LT_CHECK_MAX_NS : c->max;
}

int lt_check_value(const struct lt_check_column *c, int n, int64_t v)
{
	struct lt_check_limits l;
	lt_check_column_limits(c, &l);
	if (n == LT_CHECK_NULL)
		return l.nullable;
	if (l.text)
		return n >= 0;
	return n == LT_CHECK_INTEGER && v >= l.min && v <= l.max;
}

int lt_check_row_rule(const char *table, int i, struct lt_check_row_rule *out)
{
	const struct table *t = table_named(table);
	if (!t || i < 0)
		return 0;
	for (int k = 0; t->rules[k].problem; k++)
		if (k == i) {
			*out = (struct lt_check_row_rule){.first = t->rules[k].first, .then = t->rules[k].then,
							   .column = t->rules[k].column,
							   .names = t->rules[k].names};
			return 1;
		}
	return 0;
}

int lt_store_check_except(sqlite3 *db, const char *const *vouched, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		int skip = 0;
		for (const char *const *v = vouched; v && *v && !skip; v++)
			skip = !strcmp(*v, tables[i].name);
		int rc = skip ? 0 : check_table(db, &tables[i], 1, 0, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}
