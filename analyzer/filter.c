/*
 * filter.c — the report's finding filters.
 */
#include "filter.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const lt_finding_kinds[] = {
	"blocking-task",   "startup",      "unhandled-rejection",  "uncaught-exception",
	"leaked-handle",   "never-settled-promise", "sequential-await", "microtask-starvation",
	"unbounded-fan-out", NULL,
};

int lt_filter_add_pid(struct lt_filter *f, int64_t pid)
{
	if (f->n_pids == LT_FILTER_MAX)
		return -E2BIG;
	f->pids[f->n_pids++] = pid;
	return 0;
}

int lt_filter_add_kinds(struct lt_filter *f, const char *list)
{
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *known = NULL;
		for (size_t k = 0; lt_finding_kinds[k] && !known; k++)
			if (strlen(lt_finding_kinds[k]) == n && !strncmp(lt_finding_kinds[k], p, n))
				known = lt_finding_kinds[k];
		if (!known)
			return -EINVAL;
		if (f->n_kinds == LT_FILTER_MAX)
			return -E2BIG;
		f->kinds[f->n_kinds++] = known;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

int lt_filter_set_min_severity(struct lt_filter *f, const char *name)
{
	for (int s = LT_SEV_INFO; s <= LT_SEV_ERROR; s++)
		if (!strcmp(name, lt_severity_name((enum lt_severity)s))) {
			f->min_severity = (enum lt_severity)s;
			return 0;
		}
	return -EINVAL;
}

static int add_glob(char (*globs)[LT_FILTER_GLOB_MAX], size_t *n, const char *glob)
{
	if (*n == LT_FILTER_MAX)
		return -E2BIG;
	if (strlen(glob) >= LT_FILTER_GLOB_MAX)
		return -ENAMETOOLONG;
	snprintf(globs[(*n)++], LT_FILTER_GLOB_MAX, "%s", glob);
	return 0;
}

int lt_filter_add_include(struct lt_filter *f, const char *glob)
{
	return add_glob(f->include, &f->n_include, glob);
}

int lt_filter_add_exclude(struct lt_filter *f, const char *glob)
{
	return add_glob(f->exclude, &f->n_exclude, glob);
}

int lt_filter_pid(const struct lt_filter *f, int64_t pid)
{
	if (!f->n_pids)
		return 1;
	for (size_t i = 0; i < f->n_pids; i++)
		if (f->pids[i] == pid)
			return 1;
	return 0;
}

static int matches_any(const char (*globs)[LT_FILTER_GLOB_MAX], size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], file, 0) == 0)
			return 1;
	return 0;
}

int lt_filter_keeps(const struct lt_filter *f, const struct lt_finding *x)
{
	if (!lt_filter_pid(f, x->pid) || x->severity < f->min_severity)
		return 0;
	if (f->n_kinds) {
		int kind = 0;
		for (size_t i = 0; i < f->n_kinds && !kind; i++)
			kind = !strcmp(f->kinds[i], x->kind);
		if (!kind)
			return 0;
	}
	if (f->n_include && (!x->file || !matches_any(f->include, f->n_include, x->file)))
		return 0;
	if (f->n_exclude && x->file && matches_any(f->exclude, f->n_exclude, x->file))
		return 0;
	return 1;
}

void lt_filter_findings(const struct lt_filter *f, struct lt_findings *list)
{
	size_t kept = 0;
	for (size_t i = 0; i < list->n; i++) {
		if (lt_filter_keeps(f, &list->items[i])) {
			if (kept != i)
				list->items[kept] = list->items[i];
			kept++;
		} else {
			lt_finding_clear(&list->items[i]);
		}
	}
	list->n = kept;
}

char *lt_filter_id_list(const int64_t *v, size_t n)
{
	if (!n)
		return NULL;
	size_t cap = n * 21 + 3, used = 0;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	s[used++] = '[';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(s + used, cap - used, "%s%lld", i ? "," : "", (long long)v[i]);
	snprintf(s + used, cap - used, "]");
	return s;
}
