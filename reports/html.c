/*
 * html.c — HTML-safe text.
 */
#include "html.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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

void lt_html_nonce(char *hex, size_t cap)
{
	unsigned char raw[16];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		/* no entropy source: still unique per report, just guessable */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)((ts.tv_nsec >> (i % 8)) ^ (getpid() >> (i % 4)) ^ (int)i * 37);
	}
	for (size_t i = 0; i < sizeof(raw) && 2 * i + 2 < cap; i++)
		snprintf(hex + 2 * i, cap - 2 * i, "%02x", raw[i]);
}

