/*
 * findings.c — the findings list.
 */
#include "findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user_code.h"

struct lt_finding *lt_findings_add(struct lt_findings *f, const char *kind, enum lt_severity sev)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct lt_finding *items = realloc(f->items, cap * sizeof(*items));
		if (!items)
			return NULL;
		f->items = items;
		f->cap = cap;
	}
	struct lt_finding *x = &f->items[f->n++];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	x->severity = sev;
	return x;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

void lt_finding_message(struct lt_finding *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(x->message);
	x->message = vformat(fmt, ap);
	va_end(ap);
}

void lt_finding_fix(struct lt_finding *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(x->fix);
	x->fix = vformat(fmt, ap);
	va_end(ap);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

void lt_finding_location(struct lt_finding *x, const char *file, int64_t line, int64_t column,
			 const char *function)
{
	free(x->file);
	free(x->function);
	x->file = dup_or_null(file);
	x->line = line;
	x->column = column;
	x->function = dup_or_null(function);
}

void lt_finding_library_location(struct lt_finding *x, const char *file, int64_t line,
				 int64_t column, const char *function)
{
	free(x->library_file);
	free(x->library_function);
	free(x->library_package);
	x->library_file = dup_or_null(file);
	x->library_function = dup_or_null(function);
	x->library_line = line;
	x->library_column = column;
	char pkg[256];
	x->library_package = file && lt_library_package(file, pkg, sizeof(pkg)) ? strdup(pkg) : NULL;
}

void lt_finding_thread(struct lt_finding *x, int64_t pid, int64_t tid)
{
	x->pid = pid;
	x->tid = tid;
}

void lt_finding_thread_names(struct lt_finding *x, const char *thread_name, const char *script)
{
	free(x->thread_name);
	free(x->script);
	x->thread_name = dup_or_null(thread_name);
	x->script = dup_or_null(script);
}

void lt_finding_location_note(struct lt_finding *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(x->location_note);
	x->location_note = vformat(fmt, ap);
	va_end(ap);
}

static struct lt_field *field(struct lt_finding *x, const char *key, enum lt_field_kind kind)
{
	if (x->n_fields == LT_MAX_FIELDS)
		return NULL;
	struct lt_field *f = &x->fields[x->n_fields++];
	memset(f, 0, sizeof(*f));
	f->key = key;
	f->kind = kind;
	return f;
}

void lt_finding_number(struct lt_finding *x, const char *key, double v)
{
	struct lt_field *f = field(x, key, LT_FIELD_NUMBER);
	if (f)
		f->number = v;
}

void lt_finding_int(struct lt_finding *x, const char *key, int64_t v)
{
	struct lt_field *f = field(x, key, LT_FIELD_INT);
	if (f)
		f->integer = v;
}

void lt_finding_text(struct lt_finding *x, const char *key, const char *v)
{
	struct lt_field *f = field(x, key, LT_FIELD_TEXT);
	if (f)
		f->text = dup_or_null(v ? v : "");
}

void lt_finding_bool(struct lt_finding *x, const char *key, int v)
{
	struct lt_field *f = field(x, key, LT_FIELD_BOOL);
	if (f)
		f->integer = v != 0;
}

static int by_impact(const void *a, const void *b)
{
	const struct lt_finding *x = a, *y = b;
	if (x->impact_ms != y->impact_ms)
		return x->impact_ms > y->impact_ms ? -1 : 1;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return 0;
}

void lt_findings_rank(struct lt_findings *f)
{
	if (f->n > 1)
		qsort(f->items, f->n, sizeof(*f->items), by_impact);
}

void lt_finding_clear(struct lt_finding *x)
{
	free(x->message);
	free(x->fix);
	free(x->file);
	free(x->function);
	free(x->library_file);
	free(x->library_function);
	free(x->library_package);
	free(x->location_note);
	free(x->thread_name);
	free(x->script);
	for (size_t k = 0; k < x->n_fields; k++)
		free(x->fields[k].text);
	memset(x, 0, sizeof(*x));
}

void lt_findings_free(struct lt_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		lt_finding_clear(&f->items[i]);
	free(f->items);
	memset(f, 0, sizeof(*f));
}

const char *lt_severity_name(enum lt_severity s)
{
	static const char *const names[] = {"info", "warning", "error"};
	return (unsigned)s < 3 ? names[s] : "info";
}
