/*
 * json.h — a small streaming JSON writer.
 *
 * Strings are escaped for JSON and made valid UTF-8 (invalid bytes become
 * U+FFFD), so anything a traced program wrote can be emitted safely.
 * Commas are placed by the writer: call lt_json_key before a value inside
 * an object; values inside arrays need nothing.
 *
 * Ownership: the writer borrows the FILE; it allocates nothing.
 */
#ifndef LOOPTRACE_JSON_H
#define LOOPTRACE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LT_JSON_MAX_DEPTH 64

struct lt_json {
	FILE *out;
	int depth;
	int first[LT_JSON_MAX_DEPTH]; /* no member written yet at this depth */
	int after_key;
	int html_safe; /* also escape < > & (as \u003c...): the JSON can sit
	                  inside an HTML <script> element */
};

void lt_json_init(struct lt_json *j, FILE *out);
void lt_json_begin_object(struct lt_json *j);
void lt_json_end_object(struct lt_json *j);
void lt_json_begin_array(struct lt_json *j);
void lt_json_end_array(struct lt_json *j);
void lt_json_key(struct lt_json *j, const char *key);
void lt_json_string(struct lt_json *j, const char *s, size_t len);
void lt_json_cstring(struct lt_json *j, const char *s); /* NULL writes null */
void lt_json_int(struct lt_json *j, int64_t v);
void lt_json_double(struct lt_json *j, double v);
void lt_json_null(struct lt_json *j);
void lt_json_bool(struct lt_json *j, int v);
/* A member in one call: key, then the value as above. */
void lt_json_key_int(struct lt_json *j, const char *key, int64_t v);
void lt_json_key_cstring(struct lt_json *j, const char *key, const char *s);
void lt_json_key_double(struct lt_json *j, const char *key, double v);
/* A number already formatted by the caller (digits, '-', '.'), written as
 * is: for fixed-point values that %g would round. */
void lt_json_number_text(struct lt_json *j, const char *text);

/* Write s (len bytes) as the body of a JSON string, without quotes. */
void lt_json_escape(FILE *out, const char *s, size_t len);

#endif
