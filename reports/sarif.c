/*
 * sarif.c — findings as a SARIF 2.1.0 log (see sarif.h).
 */
#include "sarif.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report_format.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define MAX_RULES 32
#define URI_BYTES 8192

struct rule {
	const char *id, *name, *text;
	const char *level; /* default level */
};

/* The finding kinds the analyzer knows (analyzer/filter.c), described. */
static const struct rule known_rules[] = {
	{"blocking-task", "BlockingTask",
	 "A task or microtask held the event loop longer than the blocking threshold, delaying every other "
	 "callback.",
	 "warning"},
	{"startup", "SlowStartup", "The main module ran long before the event loop started (module loading or work done "
			       "at start-up).",
	 "note"},
	{"unhandled-rejection", "UnhandledRejection", "A promise was rejected and no handler was attached in time.",
	 "error"},
	{"uncaught-exception", "UncaughtException", "An exception escaped every handler and ended the process.",
	 "error"},
	{"leaked-handle", "LeakedHandle",
	 "A timer, socket, server or other handle was still keeping the event loop alive when the program ended.",
	 "warning"},
	{"never-settled-promise", "NeverSettledPromise", "A promise that code awaited never settled.", "warning"},
	{"sequential-await", "SequentialAwait",
	 "Independent operations were awaited one after another where running them together would save time.",
	 "warning"},
	{"microtask-starvation", "MicrotaskStarvation",
	 "A chain of microtasks kept the loop from reaching timers and I/O.", "warning"},
	{"unbounded-fan-out", "UnboundedFanOut",
	 "Work was started all at once without a concurrency limit, flooding a queue.", "warning"},
	{"flight-window", "FlightWindow", "What the flight recorder's window holds and why it was written.", "note"},
};

struct rules {
	struct rule v[MAX_RULES];
	size_t n;
};

static const char *level_of(enum lt_severity s)
{
	return s == LT_SEV_ERROR ? "error" : s == LT_SEV_WARNING ? "warning" : "note";
}

/* The rules: every known kind, then any other kind a finding has. */
static void collect_rules(const struct lt_analysis *a, struct rules *r)
{
	r->n = 0;
	for (size_t i = 0; i < sizeof(known_rules) / sizeof(known_rules[0]) && r->n < MAX_RULES; i++)
		r->v[r->n++] = known_rules[i];
	for (size_t i = 0; i < a->findings.n; i++) {
		const char *kind = a->findings.items[i].kind;
		size_t k = 0;
		while (k < r->n && strcmp(r->v[k].id, kind) != 0)
			k++;
		if (k == r->n && r->n < MAX_RULES)
			r->v[r->n++] = (struct rule){kind, kind, kind, "warning"};
	}
}

static int rule_index(const struct rules *r, const char *kind)
{
	for (size_t k = 0; k < r->n; k++)
		if (!strcmp(r->v[k].id, kind))
			return (int)k;
	return -1;
}

int lt_sarif_uri_path(const char *path, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/';
		if (o + (plain ? 1 : 3) >= len)
			return -ENOSPC;
		if (plain) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	if (len == 0)
		return -ENOSPC;
	out[o] = '\0';
	return 0;
}

/* A finding's file as a URI: relative to the root (*relative = 1) when it
 * lies under it, else absolute.  ESM files come as file:// URLs already.
 * Returns 0, or -1 when it cannot be written (no location then). */
static int file_uri(const char *file, const char *root, char *out, size_t len, int *relative)
{
	*relative = 0;
	if (!strncmp(file, "file://", 7)) {
		/* already a URI: relative when its path lies under the root */
		char enc_root[URI_BYTES];
		const char *path = file + 7;
		if (root && lt_sarif_uri_path(root, enc_root, sizeof(enc_root)) == 0) {
			size_t n = strlen(enc_root);
			if (!strncmp(path, enc_root, n) && path[n] == '/' && path[n + 1]) {
				*relative = 1;
				file = path + n + 1;
			}
		}
		if (strlen(file) >= len)
			return -1;
		strcpy(out, file);
		return 0;
	}
	if (file[0] != '/')
		return -1; /* node:internal/..., eval, a name without a path */
	if (root) {
		size_t n = strlen(root);
		if (!strncmp(file, root, n) && file[n] == '/' && file[n + 1]) {
			*relative = 1;
			return lt_sarif_uri_path(file + n + 1, out, len) == 0 ? 0 : -1;
		}
	}
	if (len < 8)
		return -1;
	memcpy(out, "file://", 7);
	return lt_sarif_uri_path(file, out + 7, len - 7) == 0 ? 0 : -1;
}

static void physical_location(struct lt_json *j, const char *file, int64_t line, int64_t column, const char *root)
{
	char uri[URI_BYTES];
	int relative;
	if (file_uri(file, root, uri, sizeof(uri), &relative) != 0)
		return;
	lt_json_key(j, "physicalLocation");
	lt_json_begin_object(j);
	lt_json_key(j, "artifactLocation");
	lt_json_begin_object(j);
	lt_json_key_cstring(j, "uri", uri);
	if (relative)
		lt_json_key_cstring(j, "uriBaseId", "SRCROOT");
	lt_json_end_object(j);
	if (line > 0) {
		lt_json_key(j, "region");
		lt_json_begin_object(j);
		lt_json_key_int(j, "startLine", line);
		if (column > 0)
			lt_json_key_int(j, "startColumn", column);
		lt_json_end_object(j);
	}
	lt_json_end_object(j);
}

static int locatable(const char *file)
{
	return file && (file[0] == '/' || !strncmp(file, "file://", 7));
}

/* FNV-1a over the parts that name a site, for partialFingerprints. */
static uint64_t fingerprint(const struct lt_finding *f, const char *root)
{
	uint64_t h = 1469598103934665603ull;
	const char *file = f->file ? f->file : "";
	if (root && !strncmp(file, root, strlen(root)))
		file += strlen(root); /* the same site under another checkout */
	const char *parts[] = {f->kind, file, f->function ? f->function : ""};
	for (size_t i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ull;
		}
		h ^= 0xff;
		h *= 1099511628211ull;
	}
	h ^= (uint64_t)f->line;
	h *= 1099511628211ull;
	return h;
}

static void write_fields(struct lt_json *j, const struct lt_finding *f)
{
	lt_json_key(j, "properties");
	lt_json_begin_object(j);
	lt_json_key_int(j, "pid", f->pid);
	lt_json_key_int(j, "tid", f->tid);
	lt_json_key_cstring(j, "thread", f->thread_name);
	lt_json_key_cstring(j, "script", f->script);
	lt_json_key_double(j, "impact_ms", f->impact_ms);
	if (f->fix)
		lt_json_key_cstring(j, "fix", f->fix);
	if (f->location_note)
		lt_json_key_cstring(j, "location_note", f->location_note);
	lt_report_json_fields(j, f);
	lt_json_end_object(j);
}

static void write_result(struct lt_json *j, const struct lt_finding *f, const struct rules *r, const char *root)
{
	lt_json_begin_object(j);
	lt_json_key_cstring(j, "ruleId", f->kind);
	lt_json_key_int(j, "ruleIndex", rule_index(r, f->kind));
	lt_json_key_cstring(j, "level", level_of(f->severity));
	lt_json_key(j, "message");
	lt_json_begin_object(j);
	{
		/* message, then the fix as its own paragraph */
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		if (m) {
			fputs(f->message ? f->message : f->kind, m);
			if (!f->file && f->location_note)
				fprintf(m, " (no location in the program's code: %s)", f->location_note);
			if (f->fix)
				fprintf(m, "\n\nFix: %s", f->fix);
			fclose(m);
		}
		lt_json_key_cstring(j, "text", text ? text : (f->message ? f->message : f->kind));
		free(text);
	}
	lt_json_end_object(j);
	if (locatable(f->file)) {
		lt_json_key(j, "locations");
		lt_json_begin_array(j);
		lt_json_begin_object(j);
		physical_location(j, f->file, f->line, f->column, root);
		if (f->function && f->function[0]) {
			lt_json_key(j, "logicalLocations");
			lt_json_begin_array(j);
			lt_json_begin_object(j);
			lt_json_key_cstring(j, "name", f->function);
			lt_json_key_cstring(j, "kind", "function");
			lt_json_end_object(j);
			lt_json_end_array(j);
		}
		lt_json_end_object(j);
		lt_json_end_array(j);
	}
	if (locatable(f->library_file)) {
		lt_json_key(j, "relatedLocations");
		lt_json_begin_array(j);
		lt_json_begin_object(j);
		lt_json_key_int(j, "id", 1);
		physical_location(j, f->library_file, f->library_line, f->library_column, root);
		lt_json_key(j, "message");
		lt_json_begin_object(j);
		char text[512];
		int n = snprintf(text, sizeof(text), "the library code that ran");
		if (f->library_package && n > 0 && (size_t)n < sizeof(text))
			n += snprintf(text + n, sizeof(text) - (size_t)n, " (%s)", f->library_package);
		if (f->library_function && f->library_function[0] && n > 0 && (size_t)n < sizeof(text))
			snprintf(text + n, sizeof(text) - (size_t)n, ": %s", f->library_function);
		lt_json_key_cstring(j, "text", text);
		lt_json_end_object(j);
		lt_json_end_object(j);
		lt_json_end_array(j);
	}
	char fp[32];
	snprintf(fp, sizeof(fp), "%016" PRIx64, fingerprint(f, root));
	lt_json_key(j, "partialFingerprints");
	lt_json_begin_object(j);
	lt_json_key_cstring(j, "looptraceSite/v1", fp);
	lt_json_end_object(j);
	write_fields(j, f);
	lt_json_end_object(j);
}

static void write_driver(struct lt_json *j, const struct rules *r, const char *version)
{
	lt_json_key(j, "tool");
	lt_json_begin_object(j);
	lt_json_key(j, "driver");
	lt_json_begin_object(j);
	lt_json_key_cstring(j, "name", "looptrace");
	lt_json_key_cstring(j, "version", version);
	lt_json_key(j, "rules");
	lt_json_begin_array(j);
	for (size_t k = 0; k < r->n; k++) {
		lt_json_begin_object(j);
		lt_json_key_cstring(j, "id", r->v[k].id);
		lt_json_key_cstring(j, "name", r->v[k].name);
		lt_json_key(j, "shortDescription");
		lt_json_begin_object(j);
		lt_json_key_cstring(j, "text", r->v[k].text);
		lt_json_end_object(j);
		lt_json_key(j, "defaultConfiguration");
		lt_json_begin_object(j);
		lt_json_key_cstring(j, "level", r->v[k].level);
		lt_json_end_object(j);
		lt_json_end_object(j);
	}
	lt_json_end_array(j);
	lt_json_end_object(j);
	lt_json_end_object(j);
}

void lt_report_sarif(FILE *out, const struct lt_analysis *a, const char *source_root, const char *version)
{
	struct lt_json j;
	struct rules r;
	char root[URI_BYTES];
	const char *use_root = NULL;
	if (source_root && source_root[0] == '/') {
		size_t n = strlen(source_root);
		while (n > 1 && source_root[n - 1] == '/')
			n--;
		if (n < sizeof(root)) {
			memcpy(root, source_root, n);
			root[n] = '\0';
			use_root = root;
		}
	}
	collect_rules(a, &r);
	lt_json_init(&j, out);
	lt_json_begin_object(&j);
	lt_json_key_cstring(&j, "$schema", SARIF_SCHEMA);
	lt_json_key_cstring(&j, "version", "2.1.0");
	lt_json_key(&j, "runs");
	lt_json_begin_array(&j);
	lt_json_begin_object(&j);
	write_driver(&j, &r, version);
	if (use_root) {
		char uri[URI_BYTES + 16];
		char enc[URI_BYTES];
		if (lt_sarif_uri_path(use_root, enc, sizeof(enc)) == 0) {
			snprintf(uri, sizeof(uri), "file://%s%s", enc, strcmp(enc, "/") ? "/" : "");
			lt_json_key(&j, "originalUriBaseIds");
			lt_json_begin_object(&j);
			lt_json_key(&j, "SRCROOT");
			lt_json_begin_object(&j);
			lt_json_key_cstring(&j, "uri", uri);
			lt_json_end_object(&j);
			lt_json_end_object(&j);
		}
	}
	/* V8 counts columns in UTF-16 code units */
	lt_json_key_cstring(&j, "columnKind", "utf16CodeUnits");
	lt_json_key(&j, "results");
	lt_json_begin_array(&j);
	for (size_t i = 0; i < a->findings.n; i++)
		write_result(&j, &a->findings.items[i], &r, use_root);
	lt_json_end_array(&j);
	lt_json_end_object(&j);
	lt_json_end_array(&j);
	lt_json_end_object(&j);
	fputc('\n', out);
}
