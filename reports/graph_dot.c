/*
 * graph_dot.c — palette, label escaping and attribute setting for the
 * graph views (graph_dot.h).
 */
#include "graph_dot.h"

#include <cgraph.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

static const struct {
	const char *queue, *colour;
} palette[] = {
	{"main", "#e0e0e0"},      {"nextTick", "#ffd6a5"}, {"microtask", "#fdffb6"},
	{"timer", "#caffbf"},     {"immediate", "#9bf6ff"}, {"io", "#a0c4ff"},
	{"close", "#bdb2ff"},     {"exit", "#ffc6ff"},
};

const char *lt_dot_colour_of(const char *queue)
{
	for (size_t i = 0; i < sizeof(palette) / sizeof(palette[0]); i++)
		if (!strcmp(palette[i].queue, queue))
			return palette[i].colour;
	return "#ffffff";
}

void lt_dot_label_append(char *buf, size_t cap, const char *s, size_t n)
{
	size_t used = strlen(buf);
	for (size_t i = 0; i < n && used + 8 < cap;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = lt_utf8_len((const unsigned char *)s + i, n - i);
		if (c == '\\') {
			buf[used++] = '\\';
			buf[used++] = '\\';
			i++;
		} else if (c < 0x20 || c == 0x7f || len == 0) {
			used += (size_t)snprintf(buf + used, cap - used, "\\\\x%02x", c);
			i++;
		} else {
			memcpy(buf + used, s + i, len);
			used += len;
			i += len;
		}
	}
	buf[used] = '\0';
}

void lt_dot_label_add(char *buf, size_t cap, const char *s) { lt_dot_label_append(buf, cap, s, strlen(s)); }

void lt_dot_label_raw(char *buf, size_t cap, const char *s)
{
	size_t used = strlen(buf);
	snprintf(buf + used, cap - used, "%s", s);
}

const char *lt_dot_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

void lt_dot_set(void *obj, const char *name, const char *value)
{
	agsafeset(obj, (char *)name, (char *)value, "");
}
