/*
 * text.c — terminal-safe text.
 */
#include "text.h"

void lt_put_safe(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\t' || (c >= 0x20 && c != 0x7f))
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
}
