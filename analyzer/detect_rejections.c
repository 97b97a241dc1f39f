/*
 * detect_rejections.c — unhandled-rejection (a promise rejected with no
 * handler when Node checked, after the microtask drain) and
 * uncaught-exception, with the reason, where the error was thrown, where the
 * rejected promise was created, and whether and when it was handled later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "locations.h"

struct frame {
	char function[256];
	char file[4096];
	int64_t line, column;
};

/* The first "    at ..." line of an error stack that is in the program's
 * code.  Handles "at fn (file:L:C)" and "at file:L:C". */
static int thrown_at(const char *stack, struct frame *out)
{
	const char *p = stack;
	while (p && (p = strstr(p, "\n    at ")) != NULL) {
		p += 8;
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[4400];
		if (len >= sizeof(line))
			continue;
		memcpy(line, p, len);
		line[len] = '\0';
		char *loc = line, *fn = NULL;
		char *open = strrchr(line, '(');
		if (open && line[len - 1] == ')') {
			line[len - 1] = '\0';
			*open = '\0';
			fn = line;
			loc = open + 1;
			size_t fl = strlen(fn);
			while (fl && fn[fl - 1] == ' ')
				fn[--fl] = '\0';
			if (!strncmp(fn, "async ", 6))
				fn += 6;
		}
		char *c2 = strrchr(loc, ':');
		if (!c2)
			continue;
		*c2 = '\0';
		char *c1 = strrchr(loc, ':');
		if (!c1)
			continue;
		*c1 = '\0';
		if (!strncmp(loc, "node:", 5) || !strncmp(loc, "internal/", 9) || !*loc)
			continue;
		if (!strncmp(loc, "file://", 7))
			loc += 7;
		snprintf(out->file, sizeof(out->file), "%s", loc);
		snprintf(out->function, sizeof(out->function), "%.255s", fn ? fn : "");
		out->line = strtoll(c1 + 1, NULL, 10);
		out->column = strtoll(c2 + 1, NULL, 10);
		return 0;
	}
	return -ENOENT;
}

static const char rejections_sql[] =
	"SELECT r.id, r.pid, r.kind, r.promise_id, COALESCE(r.reason, ''), r.ts_ns,"
	" (SELECT min(h.ts_ns) FROM rejections h WHERE h.kind = 'handled-late' AND h.pid = r.pid"
	"   AND h.promise_id = r.promise_id),"
	" p.site_stack_id"
	" FROM rejections r LEFT JOIN promises p ON p.id = r.promise_id"
	" WHERE r.kind IN ('unhandled', 'uncaught-exception') ORDER BY r.id";

struct group {
	char key[4700];
	struct lt_finding *finding;
	int64_t count;
};

int lt_detect_rejections(struct lt_analysis *a)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(a->db, rejections_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	struct group *groups = NULL;
	size_t n = 0, cap = 0;
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(s, 2);
		const char *reason = (const char *)sqlite3_column_text(s, 4);
		int uncaught = kind && !strcmp(kind, "uncaught-exception");
		int handled = sqlite3_column_type(s, 6) != SQLITE_NULL;
		double handled_after_ms = handled ? (double)(sqlite3_column_int64(s, 6) - sqlite3_column_int64(s, 5)) / 1e6 : 0;
		char summary[512];
		size_t sl = strcspn(reason, "\n");
		snprintf(summary, sizeof(summary), "%.*s", (int)(sl < 500 ? sl : 500), reason);

		struct frame thrown = {0}, created = {0};
		int have_thrown = thrown_at(reason, &thrown) == 0;
		struct lt_user_frame uf;
		int have_created = sqlite3_column_type(s, 7) != SQLITE_NULL &&
				   lt_user_frame_of(a->db, sqlite3_column_int64(s, 7), &uf) == 0;
		if (have_created) {
			snprintf(created.file, sizeof(created.file), "%s", uf.file);
			snprintf(created.function, sizeof(created.function), "%s", uf.function);
			created.line = uf.line;
			created.column = uf.column;
		}
		const struct frame *at = have_thrown ? &thrown : have_created ? &created : NULL;

		char key[4700];
		snprintf(key, sizeof(key), "%d|%d|%.4000s|%lld|%.500s", uncaught, handled, at ? at->file : "",
			 (long long)(at ? at->line : 0), summary);
		struct group *g = NULL;
		for (size_t i = 0; i < n && !g; i++)
			if (!strcmp(groups[i].key, key))
				g = &groups[i];
		if (g) {
			g->count++;
			lt_finding_message(g->finding, "%s, %lld times: %s",
					   uncaught ? "Uncaught exception" : "Unhandled rejection", (long long)g->count,
					   summary);
			for (size_t k = 0; k < g->finding->n_fields; k++)
				if (!strcmp(g->finding->fields[k].key, "count"))
					g->finding->fields[k].integer = g->count;
			continue;
		}
		if (n == cap) {
			size_t c = cap ? cap * 2 : 8;
			struct group *grown = realloc(groups, c * sizeof(*grown));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			groups = grown;
			cap = c;
		}
		struct lt_finding *f = lt_findings_add(&a->findings, uncaught ? "uncaught-exception" : "unhandled-rejection",
						       handled && !uncaught ? LT_SEV_WARNING : LT_SEV_ERROR);
		if (!f) {
			rc = -ENOMEM;
			break;
		}
		g = &groups[n++];
		snprintf(g->key, sizeof(g->key), "%s", key);
		g->finding = f;
		g->count = 1;
		if (uncaught)
			lt_finding_message(f, "Uncaught exception: %s", summary);
		else if (handled)
			lt_finding_message(f, "Unhandled rejection: %s — handled %.0f ms later, after Node had reported it",
					   summary, handled_after_ms);
		else
			lt_finding_message(f, "Unhandled rejection: %s — no handler ever attached", summary);
		if (uncaught)
			lt_finding_fix(f, "catch the error where it is thrown, or handle it in the callback that runs this code");
		else if (handled)
			lt_finding_fix(f, "attach the handler (await / .catch) before the promise can reject, in the same tick it is created");
		else
			lt_finding_fix(f, "await the promise, or attach .catch() to it, where it is created%s",
				       have_created ? " (see promise_created_at)" : "");
		if (at)
			lt_finding_location(f, at->file, at->line, at->column, at->function);
		f->pid = sqlite3_column_int64(s, 1);
		/* Rank rejections high: a crash or a silent failure outweighs slowness. */
		f->impact_ms = 1e9;
		lt_finding_int(f, "count", 1);
		lt_finding_text(f, "reason", summary);
		lt_finding_text(f, "stack", reason);
		if (!uncaught) {
			lt_finding_bool(f, "handled_late", handled);
			if (handled)
				lt_finding_number(f, "handled_after_ms", handled_after_ms);
			if (have_created) {
				char where[4400];
				snprintf(where, sizeof(where), "%s:%lld:%lld", created.file, (long long)created.line,
					 (long long)created.column);
				lt_finding_text(f, "promise_created_at", where);
			}
		}
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = -EIO;
	free(groups);
	sqlite3_finalize(s);
	return rc;
}
