/*
 * detect_rejections.c — unhandled-rejection (a promise rejected with no
 * handler when Node checked, after the microtask drain) and
 * uncaught-exception, with the reason (the error's class and message),
 * whether and when it was handled later, and two places:
 *  - the location: the user line that created or chained the unhandled
 *    promise — the nearest sampled stack with a user frame up the promise's
 *    parent chain (its own stack, the stack of the promise it was chained
 *    on, ...); else the first user frame of the error's stack text (where it
 *    was thrown); else none, said plainly in location_note;
 *  - the library location: the library frame where the error was made
 *    (the innermost node_modules frame of the error's stack), or the chain's.
 * Rejections with the same kind, place and error class are one finding with
 * a count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "locations.h"

#define CHAIN_HOPS 32

/* One "    at ..." line of an error stack: "at fn (file:L:C)", "at file:L:C",
 * "at async fn (file:L:C)"; 0 or -ENOENT. */
static int parse_frame(const char *text, size_t len, struct lt_user_frame *out)
{
	char line[4400];
	if (len >= sizeof(line))
		return -ENOENT;
	memcpy(line, text, len);
	line[len] = '\0';
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		line[--len] = '\0';
	char *loc = line, *fn = NULL;
	char *open = strrchr(line, '(');
	if (open && len && line[len - 1] == ')') {
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
		return -ENOENT;
	*c2 = '\0';
	char *c1 = strrchr(loc, ':');
	if (!c1)
		return -ENOENT;
	*c1 = '\0';
	if (!strncmp(loc, "file://", 7))
		loc += 7;
	if (!*loc)
		return -ENOENT;
	snprintf(out->file, sizeof(out->file), "%.4095s", loc);
	snprintf(out->function, sizeof(out->function), "%.255s", fn ? fn : "");
	out->line = strtoll(c1 + 1, NULL, 10);
	out->column = strtoll(c2 + 1, NULL, 10);
	return out->line > 0 ? 0 : -ENOENT;
}

/* The first user frame and the first library frame of an error's stack
 * text (frames in Node's internals are skipped). */
static void frames_of_reason(const char *stack, const struct lt_user_code *uc, struct lt_place *out)
{
	memset(out, 0, sizeof(*out));
	for (const char *p = stack; p && *p && !(out->has_user && out->has_library);) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *at = p;
		while (at < p + len && (*at == ' ' || *at == '\t'))
			at++;
		struct lt_user_frame f;
		if (p + len - at > 3 && !strncmp(at, "at ", 3) &&
		    parse_frame(at + 3, (size_t)(p + len - at - 3), &f) == 0 && !lt_is_node_internal(f.file)) {
			if (!out->has_user && lt_is_user_file(uc, f.file)) {
				out->user = f;
				out->has_user = 1;
			} else if (!out->has_library && !lt_is_user_file(uc, f.file) &&
				   lt_library_package(f.file, NULL, 0)) {
				out->library = f;
				out->has_library = 1;
			}
		}
		p = eol ? eol + 1 : NULL;
	}
}

/* Up the promise's parent chain, the first stack (own, then site) with a
 * user frame; `chain` gets that place, and the first library frame seen;
 * *chained is 1 when the promise was made by chaining on another (.then,
 * .catch, .finally).  0, -ENOENT when no stack on the chain reaches user
 * code, -EIO. */
static int place_of_chain(sqlite3 *db, int64_t promise_id, struct lt_place *chain, int *chained)
{
	static const char sql[] = "SELECT parent_id, stack_id, site_stack_id FROM promises WHERE id = ?";
	sqlite3_stmt *s;
	memset(chain, 0, sizeof(*chain));
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	int rc = -ENOENT;
	int64_t id = promise_id;
	*chained = 0;
	for (int hop = 0; hop < CHAIN_HOPS && id > 0 && rc == -ENOENT; hop++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) != SQLITE_ROW)
			break;
		int64_t parent = sqlite3_column_int64(s, 0);
		if (hop == 0)
			*chained = parent > 0;
		int64_t stacks[2] = {sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2)};
		for (int k = 0; k < 2 && rc == -ENOENT; k++) {
			struct lt_place p;
			if (!stacks[k])
				continue;
			int prc = lt_place_of_stack(db, stacks[k], &p);
			if (prc == -EIO) {
				rc = -EIO;
				break;
			}
			if (prc != 0)
				continue;
			if (p.has_library && !chain->has_library) {
				chain->library = p.library;
				chain->has_library = 1;
			}
			if (p.has_user) {
				chain->user = p.user;
				chain->has_user = 1;
				rc = 0;
			}
		}
		id = parent;
	}
	sqlite3_finalize(s);
	return rc;
}

/* An unhandled rejection's stack, for a promise made by then/catch, is the
 * place of the handler function it was made with (probes/wire.h LT_REJECT):
 * for the usual inline handler, the user line that chained it.  It comes
 * before whatever the sampled creation stacks up the chain say (those may
 * be a library's, made further up).  0, -ENOENT (no user frame), -EIO. */
static int handler_place(sqlite3 *db, int64_t stack_id, struct lt_place *chain)
{
	struct lt_place p;
	if (!stack_id)
		return -ENOENT;
	int rc = lt_place_of_stack(db, stack_id, &p);
	if (rc != 0)
		return rc;
	if (!p.has_user)
		return -ENOENT;
	chain->user = p.user;
	chain->has_user = 1;
	return 0;
}

static const char rejections_sql[] =
	"SELECT r.id, r.pid, r.tid, r.kind, r.promise_id, COALESCE(r.reason, ''), r.ts_ns,"
	" (SELECT min(h.ts_ns) FROM rejections h WHERE h.kind = 'handled-late' AND h.pid = r.pid"
	"   AND h.promise_id = r.promise_id), COALESCE(r.stack_id, 0)"
	" FROM rejections r WHERE r.kind IN ('unhandled', 'uncaught-exception') ORDER BY r.id";

struct group {
	char key[4700];
	char summary[512];
	struct lt_finding *finding;
	int64_t count, other_messages;
};

/* "AxiosError: Request failed ..." -> "AxiosError" (the error's class). */
static void class_of(const char *summary, char *out, size_t len)
{
	size_t n = strcspn(summary, ": \n");
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), summary);
}

static void set_count(struct lt_finding *f, int64_t count)
{
	for (size_t k = 0; k < f->n_fields; k++)
		if (!strcmp(f->fields[k].key, "count"))
			f->fields[k].integer = count;
}

static void where_text(const struct lt_user_frame *u, char *out, size_t len)
{
	snprintf(out, len, "%s:%lld:%lld", u->file, (long long)u->line, (long long)u->column);
}

/* Where a rejection is placed: a promise chained on another (.then without
 * a rejection handler) at the user line that chained it, the missing
 * handler's place; otherwise (an async function's own promise,
 * Promise.reject, new Promise) where the error was thrown in user code, else
 * where the promise was created. */
static const struct lt_user_frame *placed_at(int uncaught, int chained, const struct lt_place *chain,
					     const struct lt_place *reason)
{
	if (!uncaught && chained && chain->has_user)
		return &chain->user;
	if (reason->has_user)
		return &reason->user;
	if (!uncaught && chain->has_user)
		return &chain->user;
	return NULL;
}

/* Location, library location and location note of a new finding. */
static void place_finding(struct lt_finding *f, int uncaught, const struct lt_user_frame *at,
			  const struct lt_place *chain, const struct lt_place *reason)
{
	const struct lt_user_frame *lib = reason->has_library ? &reason->library
					  : chain->has_library ? &chain->library
							       : NULL;
	if (at)
		lt_finding_location(f, at->file, at->line, at->column, at->function[0] ? at->function : NULL);
	if (lib)
		lt_finding_library_location(f, lib->file, lib->line, lib->column,
					    lib->function[0] ? lib->function : NULL);
	if (!at)
		lt_finding_location_note(f, "%s", uncaught
			? "the error's stack has no frame in the program's own code"
			: "no user line: neither the promise's chain nor the error's stack reached the "
			  "program's own code (promise creation stacks are sampled)");
	if (reason->has_user && at != &reason->user) {
		char where[4400];
		where_text(&reason->user, where, sizeof(where));
		lt_finding_text(f, "thrown_at", where);
	}
	if (!uncaught && chain->has_user) {
		char where[4400];
		where_text(&chain->user, where, sizeof(where));
		lt_finding_text(f, "promise_created_at", where);
	}
}

static void describe(struct lt_finding *f, int uncaught, int handled, double handled_after_ms,
		     const char *summary, int have_chain)
{
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
		lt_finding_fix(f, "await the promise, or attach .catch() to it, where it is %s",
			       have_chain ? "created or chained (this line)" : "created");
}

int lt_detect_rejections(struct lt_analysis *a)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(a->db, rejections_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	struct group *groups = NULL;
	size_t n = 0, cap = 0;
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(s, 3);
		const char *reason = (const char *)sqlite3_column_text(s, 5);
		int uncaught = kind && !strcmp(kind, "uncaught-exception");
		int handled = sqlite3_column_type(s, 7) != SQLITE_NULL;
		double handled_after_ms =
			handled ? (double)(sqlite3_column_int64(s, 7) - sqlite3_column_int64(s, 6)) / 1e6 : 0;
		char summary[512], cls[128];
		size_t sl = strcspn(reason, "\n");
		snprintf(summary, sizeof(summary), "%.*s", (int)(sl < 500 ? sl : 500), reason);
		class_of(summary, cls, sizeof(cls));

		struct lt_place chain = {0}, thrown;
		int chained = 0;
		frames_of_reason(reason, &a->opts.user_code, &thrown);
		if (!uncaught && sqlite3_column_type(s, 4) != SQLITE_NULL) {
			int crc = place_of_chain(a->db, sqlite3_column_int64(s, 4), &chain, &chained);
			if (crc == -EIO) {
				rc = crc;
				break;
			}
			if (chained) {
				crc = handler_place(a->db, sqlite3_column_int64(s, 8), &chain);
				if (crc == -EIO) {
					rc = crc;
					break;
				}
			}
		}
		const struct lt_user_frame *at = placed_at(uncaught, chained, &chain, &thrown);

		char key[4700];
		snprintf(key, sizeof(key), "%d|%d|%.4000s|%lld|%.100s", uncaught, handled, at ? at->file : "",
			 (long long)(at ? at->line : 0), at ? cls : summary);
		struct group *g = NULL;
		for (size_t i = 0; i < n && !g; i++)
			if (!strcmp(groups[i].key, key))
				g = &groups[i];
		if (g) {
			g->count++;
			if (strcmp(g->summary, summary) != 0)
				g->other_messages++;
			const char *what = uncaught ? "Uncaught exception" : "Unhandled rejection";
			if (g->other_messages)
				lt_finding_message(g->finding, "%s, %lld times: %s (and %lld other message%s)", what,
						   (long long)g->count, g->summary, (long long)g->other_messages,
						   g->other_messages > 1 ? "s" : "");
			else
				lt_finding_message(g->finding, "%s, %lld times: %s", what, (long long)g->count,
						   g->summary);
			set_count(g->finding, g->count);
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
		snprintf(g->summary, sizeof(g->summary), "%s", summary);
		g->finding = f;
		g->count = 1;
		g->other_messages = 0;
		describe(f, uncaught, handled, handled_after_ms, summary, chain.has_user);
		place_finding(f, uncaught, at, &chain, &thrown);
		lt_finding_thread(f, sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2));
		/* Rank rejections high: a crash or a silent failure outweighs slowness. */
		f->impact_ms = 1e9;
		lt_finding_int(f, "count", 1);
		lt_finding_text(f, "reason", summary);
		lt_finding_text(f, "error_class", cls);
		lt_finding_text(f, "stack", reason);
		if (!uncaught) {
			lt_finding_bool(f, "handled_late", handled);
			if (handled)
				lt_finding_number(f, "handled_after_ms", handled_after_ms);
		}
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = -EIO;
	free(groups);
	sqlite3_finalize(s);
	return rc;
}
