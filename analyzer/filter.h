/*
 * filter.h — which findings a report shows: by process, kind, least
 * severity, and location globs.  Applied once to the analysis, so text,
 * JSON and HTML all render the same filtered list.
 *
 * --include GLOB keeps only findings whose user location's file matches one
 * of the globs (a finding without a location is dropped); --exclude GLOB
 * drops findings whose file matches (one without a location is kept).
 * Globs use fnmatch without FNM_PATHNAME ('*' crosses '/').
 *
 * Ownership: fixed-size copies, no allocation; the struct can be copied.
 * Errors: the lt_filter_add_* functions return 0, -EINVAL (an unknown kind
 * or severity), -E2BIG (too many) or -ENAMETOOLONG.
 */
#ifndef LOOPTRACE_FILTER_H
#define LOOPTRACE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"

#define LT_FILTER_MAX 16
#define LT_FILTER_GLOB_MAX 512

struct lt_filter {
	int64_t pids[LT_FILTER_MAX];
	size_t n_pids;                 /* 0: every process */
	const char *kinds[LT_FILTER_MAX]; /* static kind names */
	size_t n_kinds;                /* 0: every kind */
	enum lt_severity min_severity; /* LT_SEV_INFO: all */
	char include[LT_FILTER_MAX][LT_FILTER_GLOB_MAX];
	size_t n_include;
	char exclude[LT_FILTER_MAX][LT_FILTER_GLOB_MAX];
	size_t n_exclude;
};

/* Every finding kind a detector can report, NULL-terminated. */
extern const char *const lt_finding_kinds[];

int lt_filter_add_pid(struct lt_filter *f, int64_t pid);
/* "blocking-task,startup": each must be a known kind. */
int lt_filter_add_kinds(struct lt_filter *f, const char *list);
int lt_filter_set_min_severity(struct lt_filter *f, const char *name);
int lt_filter_add_include(struct lt_filter *f, const char *glob);
int lt_filter_add_exclude(struct lt_filter *f, const char *glob);

/* 1 when pid passes the --pid filter. */
int lt_filter_pid(const struct lt_filter *f, int64_t pid);
/* 1 when the finding passes every filter. */
int lt_filter_keeps(const struct lt_filter *f, const struct lt_finding *x);
/* Drop (and free) the findings the filter does not keep, order preserved. */
void lt_filter_findings(const struct lt_filter *f, struct lt_findings *list);

/* A list of pids or tids as the JSON array SQL's json_each reads ("[1,2]"),
 * malloc'd (the caller frees); NULL for an empty list or out of memory. */
char *lt_filter_id_list(const int64_t *v, size_t n);

#endif
