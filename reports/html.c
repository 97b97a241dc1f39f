/*
 * html.c — HTML-safe text.
 */
#include "html.h"

#include <string.h>

#include "text.h"

void lt_html_text(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		switch (c) {
		case '&': fputs("&amp;", out); i++; continue;
		case '<': fputs("&lt;", out); i++; continue;
		case '>': fputs("&gt;", out); i++; continue;
		case '"': fputs("&quot;", out); i++; continue;
		case '\'': fputs("&#39;", out); i++; continue;
		case '\n':
		case '\t': fputc(c, out); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\x%02x", c);
			i++;
			continue;
		}
		size_t n = lt_utf8_len(p + i, len - i);
		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			i++;
			continue;
		}
		fwrite(p + i, 1, n, out);
		i += n;
	}
}

void lt_html_cstr(FILE *out, const char *s)
{
	if (s)
		lt_html_text(out, s, strlen(s));
}
