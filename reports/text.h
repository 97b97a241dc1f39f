/*
 * text.h — writing program-controlled text to a terminal.
 */
#ifndef LOOPTRACE_TEXT_H
#define LOOPTRACE_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Write s (len bytes) with control characters (other than tab) shown as
 * \xNN escapes, so that text a traced program printed or named cannot act
 * on the terminal. */
void lt_put_safe(FILE *out, const char *s, size_t len);

/* Length (1..4) of the well-formed UTF-8 sequence starting at s, or 0 if
 * it is not one (overlong forms, surrogates, truncation included). */
size_t lt_utf8_len(const unsigned char *s, size_t avail);

#endif
