/*
 * import_vouch.c — the importer's own check of the values it writes.
 */
#include "import_vouch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The index of `name` in the comma-separated list, or -1. */
static int index_in(const char *list, const char *name)
{
	size_t len = strlen(name);
	int i = 0;
	for (const char *p = list; p && *p; i++) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == len && memcmp(p, name, n) == 0)
			return i;
		p = comma ? comma + 1 : NULL;
	}
	return -1;
}

/* A row rule's columns: both among the parameters (tested), neither (not
 * this statement's business), or one only (not testable: -EINVAL). */
static int add_row_rules(struct lt_import_vouch *v, const char *params, char *err, size_t errlen)
{
	struct lt_check_row_rule r;
	for (int i = 0; lt_check_row_rule(v->table, i, &r); i++) {
		if (r.names) {
			int at = index_in(params, r.column);
			if (at < 0)
				continue;
			if (v->n_names == LT_VOUCH_MAX_NAMES)
				goto too_many;
			v->name_at[v->n_names] = at;
			v->names[v->n_names++] = r.names;
			continue;
		}
		int first = index_in(params, r.first), then = index_in(params, r.then);
		if (first < 0 && then < 0)
			continue;
		if (first < 0 || then < 0) {
			snprintf(err, errlen, "%s: a statement sets %s without %s", v->table,
				 first < 0 ? r.then : r.first, first < 0 ? r.first : r.then);
			return -EINVAL;
		}
		if (v->n_order == LT_VOUCH_MAX_ORDER)
			goto too_many;
		v->first[v->n_order] = first;
		v->then[v->n_order++] = then;
	}
	return 0;
too_many:
	snprintf(err, errlen, "%s: too many row rules", v->table);
	return -EINVAL;
}

/* An INSERT sets every column: by a parameter, or by SQL (a NULL of a
 * nullable column, or the rowid, the table's first column). */
static int check_coverage(const struct lt_import_vouch *v, const char *params, const char *sets, char *err,
			  size_t errlen)
{
	const char *name;
	for (int i = 0; (name = lt_check_column_name(v->table, i)) != NULL; i++) {
		if (index_in(params, name) >= 0)
			continue;
		const struct lt_check_column *c = lt_check_column_find(v->table, name);
		if (index_in(sets, name) >= 0 && (i == 0 || lt_check_value(c, LT_CHECK_NULL, 0)))
			continue;
		snprintf(err, errlen, "%s: an INSERT leaves %s to SQL", v->table, name);
		return -EINVAL;
	}
	return 0;
}

int lt_import_vouch_init(struct lt_import_vouch *v, const char *table, const char *params, const char *sets,
			 int n_params, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->table = table;
	for (const char *p = params; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char name[64];
		if (n >= sizeof(name) || v->n == LT_VOUCH_MAX_VALUES) {
			snprintf(err, errlen, "%s: a statement's columns are too many or too long", table);
			return -EINVAL;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		const struct lt_check_column *c = lt_check_column_find(table, name);
		if (!c) {
			snprintf(err, errlen, "%s: no column %s in the check's rules", table, name);
			return -EINVAL;
		}
		lt_check_column_limits(c, &v->limits[v->n]);
		/* the check's own copy of the name, which outlives this call */
		for (int i = 0; (v->column_name[v->n] = lt_check_column_name(table, i)) != NULL; i++)
			if (!strcmp(v->column_name[v->n], name))
				break;
		v->n++;
		p = comma ? comma + 1 : NULL;
	}
	if (v->n != n_params) {
		snprintf(err, errlen, "%s: %d columns named for %d parameters", table, v->n, n_params);
		return -EINVAL;
	}
	if (sets && check_coverage(v, params, sets, err, errlen) != 0)
		return -EINVAL;
	return add_row_rules(v, params, err, errlen);
}

const char *lt_import_vouch_row(const struct lt_import_vouch *v, const struct lt_import_cell *cells)
{
	for (int i = 0; i < v->n; i++) {
		const struct lt_check_limits *l = &v->limits[i];
		const struct lt_import_cell *c = &cells[i];
		int ok = c->n == LT_CHECK_NULL ? l->nullable
			 : l->text		? c->n >= 0
						: c->n == LT_CHECK_INTEGER && c->i >= l->min && c->i <= l->max;
		if (!ok)
			return v->column_name[i];
	}
	for (int k = 0; k < v->n_order; k++) {
		const struct lt_import_cell *a = &cells[v->first[k]], *b = &cells[v->then[k]];
		if (a->n == LT_CHECK_INTEGER && b->n == LT_CHECK_INTEGER && b->i < a->i)
			return v->column_name[v->then[k]];
	}
	for (int k = 0; k < v->n_names; k++) {
		const struct lt_import_cell *c = &cells[v->name_at[k]];
		if (c->n >= 0 && !lt_check_name(v->names[k], c->s, c->n))
			return v->column_name[v->name_at[k]];
	}
	return NULL;
}
