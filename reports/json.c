/*
 * json.c — streaming JSON writer with UTF-8 validation.
 */
#include "json.h"

#include "text.h"

#include <math.h>
#include <string.h>

void lt_json_init(struct lt_json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->first[0] = 1;
}

static void before_value(struct lt_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = 0;
}

static void open_scope(struct lt_json *j, int c)
{
	before_value(j);
	fputc(c, j->out);
	if (j->depth + 1 < LT_JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = 1;
}

static void close_scope(struct lt_json *j, int c)
{
	fputc(c, j->out);
	if (j->depth > 0)
		j->depth--;
}

void lt_json_begin_object(struct lt_json *j) { open_scope(j, '{'); }
void lt_json_end_object(struct lt_json *j) { close_scope(j, '}'); }
void lt_json_begin_array(struct lt_json *j) { open_scope(j, '['); }
void lt_json_end_array(struct lt_json *j) { close_scope(j, ']'); }

static void escape(FILE *out, const char *s, size_t len, int html_safe)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (html_safe && (c == '<' || c == '>' || c == '&')) {
			fprintf(out, "\\u%04x", c);
			i++;
			continue;
		}
		switch (c) {
		case '"': fputs("\\\"", out); i++; continue;
		case '\\': fputs("\\\\", out); i++; continue;
		case '\n': fputs("\\n", out); i++; continue;
		case '\r': fputs("\\r", out); i++; continue;
		case '\t': fputs("\\t", out); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
			continue;
		}
		size_t n = lt_utf8_len(p + i, len - i);
		if (n == 0) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		/* U+2028/2029 break JavaScript string literals: escape them. */
		if (n == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			fprintf(out, "\\u%04x", p[i + 2] == 0xa8 ? 0x2028 : 0x2029);
			i += 3;
			continue;
		}
		fwrite(p + i, 1, n, out);
		i += n;
	}
}

void lt_json_escape(FILE *out, const char *s, size_t len) { escape(out, s, len, 0); }

void lt_json_key(struct lt_json *j, const char *key)
{
	before_value(j);
	fputc('"', j->out);
	escape(j->out, key, strlen(key), j->html_safe);
	fputs("\":", j->out);
	j->after_key = 1;
}

void lt_json_string(struct lt_json *j, const char *s, size_t len)
{
	before_value(j);
	fputc('"', j->out);
	escape(j->out, s, len, j->html_safe);
	fputc('"', j->out);
}

void lt_json_cstring(struct lt_json *j, const char *s)
{
	if (!s)
		lt_json_null(j);
	else
		lt_json_string(j, s, strlen(s));
}

void lt_json_int(struct lt_json *j, int64_t v)
{
	before_value(j);
	fprintf(j->out, "%lld", (long long)v);
}

void lt_json_key_int(struct lt_json *j, const char *key, int64_t v)
{
	lt_json_key(j, key);
	lt_json_int(j, v);
}

void lt_json_key_cstring(struct lt_json *j, const char *key, const char *s)
{
	lt_json_key(j, key);
	lt_json_cstring(j, s);
}

void lt_json_key_double(struct lt_json *j, const char *key, double v)
{
	lt_json_key(j, key);
	lt_json_double(j, v);
}

void lt_json_double(struct lt_json *j, double v)
{
	before_value(j);
	if (isfinite(v))
		fprintf(j->out, "%.6g", v);
	else
		fputs("null", j->out);
}

void lt_json_number_text(struct lt_json *j, const char *text)
{
	before_value(j);
	fputs(text, j->out);
}

void lt_json_null(struct lt_json *j)
{
	before_value(j);
	fputs("null", j->out);
}

void lt_json_bool(struct lt_json *j, int v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->out);
}
