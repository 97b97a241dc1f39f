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

#endif
