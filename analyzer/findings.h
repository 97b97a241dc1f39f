/*
 * findings.h — what the detectors report: a list of findings, each with a
 * kind, severity, message, one-line fix, a location in the program's code,
 * and the figures that justify it.
 *
 * Ownership: a finding owns its strings (copied in); lt_findings_free
 * releases everything.
 */
#ifndef LOOPTRACE_FINDINGS_H
#define LOOPTRACE_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

enum lt_severity { LT_SEV_INFO, LT_SEV_WARNING, LT_SEV_ERROR };

#define LT_MAX_FIELDS 16

enum lt_field_kind { LT_FIELD_NUMBER, LT_FIELD_INT, LT_FIELD_TEXT, LT_FIELD_BOOL };

struct lt_field {
	const char *key; /* static string */
	enum lt_field_kind kind;
	double number;
	int64_t integer;
	char *text;
};

struct lt_finding {
	const char *kind; /* static string: "blocking-task", ... */
	enum lt_severity severity;
	char *message;
	char *fix;
	char *file; /* NULL when unknown */
	int64_t line, column;
	char *function;
	/* The library frame that ran (innermost node_modules frame), when any. */
	char *library_file, *library_function, *library_package;
	int64_t library_line, library_column;
	char *location_note; /* why there is no user location; NULL when there is one */
	int64_t pid, tid;    /* every finding names its process and thread */
	char *thread_name;   /* filled by the analysis from the threads table */
	char *script;        /* the process's main script (or argv) */
	double impact_ms; /* ranking key: time the defect cost or would save */
	struct lt_field fields[LT_MAX_FIELDS];
	size_t n_fields;
};

struct lt_findings {
	struct lt_finding *items;
	size_t n, cap;
};

/* Append a zeroed finding; NULL when out of memory. */
struct lt_finding *lt_findings_add(struct lt_findings *f, const char *kind, enum lt_severity sev);
/* printf into a finding's message or fix. */
void lt_finding_message(struct lt_finding *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lt_finding_fix(struct lt_finding *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lt_finding_location(struct lt_finding *x, const char *file, int64_t line, int64_t column,
			 const char *function);
/* The library function that actually ran (JSON library_location, with the
 * package name taken from the node_modules path). */
void lt_finding_library_location(struct lt_finding *x, const char *file, int64_t line,
				 int64_t column, const char *function);
/* The process and thread; thread_name and script are filled by the analysis. */
void lt_finding_thread(struct lt_finding *x, int64_t pid, int64_t tid);
void lt_finding_thread_names(struct lt_finding *x, const char *thread_name, const char *script);
/* Why the finding has no user location ("only library frames were sampled"). */
void lt_finding_location_note(struct lt_finding *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lt_finding_number(struct lt_finding *x, const char *key, double v);
void lt_finding_int(struct lt_finding *x, const char *key, int64_t v);
void lt_finding_text(struct lt_finding *x, const char *key, const char *v);
void lt_finding_bool(struct lt_finding *x, const char *key, int v);

/* Most impact first (errors before warnings before info at equal impact). */
void lt_findings_rank(struct lt_findings *f);
void lt_findings_free(struct lt_findings *f);
/* Free one finding's strings (it stays in the list, zeroed). */
void lt_finding_clear(struct lt_finding *x);

const char *lt_severity_name(enum lt_severity s);

#endif
