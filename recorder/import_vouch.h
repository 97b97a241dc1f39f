/*
 * import_vouch.h — the importer's own check of the values it writes.
 *
 * A reader scans every value of a trace at its first open
 * (analyzer/store_check.h: ~11 CPU s on a 43M-event trace) unless the trace
 * is on the record of checked traces (analyzer/checked_traces.h).  The
 * values come from the traced program, which may be hostile, so the
 * importer cannot vouch for a trace by having written it: it vouches only
 * when every value it wrote kept the same rules, tested here as the rows
 * are made, from the check's own declarations (lt_check_column_find,
 * lt_check_row_rule).  One statement's rules: the rule of the column of
 * each of its parameters, the row rules whose columns it sets, and, for an
 * INSERT, the columns it leaves to SQL (a NULL or the rowid), which must
 * be nullable or the table's rowid.
 *
 * Ownership: plain values; the column rules are the check's static
 * declarations.  Errors: init returns 0 or -EINVAL with the reason in err
 * (a statement whose columns do not match the check's tables: a bug,
 * caught by any import).
 */
#ifndef LOOPTRACE_IMPORT_VOUCH_H
#define LOOPTRACE_IMPORT_VOUCH_H

#include <stddef.h>

#include "../analyzer/store_check.h"
#include "import_cell.h"

#define LT_VOUCH_MAX_VALUES 16
#define LT_VOUCH_MAX_ORDER 4
#define LT_VOUCH_MAX_NAMES 2

struct lt_import_vouch {
	const char *table;
	int n; /* values per row */
	struct lt_check_limits limits[LT_VOUCH_MAX_VALUES]; /* each value's column rule */
	const char *column_name[LT_VOUCH_MAX_VALUES];
	int n_order, first[LT_VOUCH_MAX_ORDER], then[LT_VOUCH_MAX_ORDER]; /* value indexes */
	int n_names, name_at[LT_VOUCH_MAX_NAMES];
	const char *const *names[LT_VOUCH_MAX_NAMES];
};

/* The rules of a statement writing `table`: `params` are the columns of
 * its n_params parameters in order (comma-separated); `sets`, for an
 * INSERT, the columns SQL fills itself ("" for none), NULL for an UPDATE
 * (whose constant texts need no test).  0 or -EINVAL. */
int lt_import_vouch_init(struct lt_import_vouch *v, const char *table, const char *params, const char *sets,
			 int n_params, char *err, size_t errlen);

/* NULL when the row's values (its n cells) keep the rules, else the
 * column whose value or row rule does not ("dispatches.begin_ns"), in a
 * static string. */
const char *lt_import_vouch_row(const struct lt_import_vouch *v, const struct lt_import_cell *cells);

#endif
