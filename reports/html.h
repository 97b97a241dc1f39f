/*
 * html.h — writing untrusted text (anything the traced program named or
 * printed) into HTML and SVG, as element content or a quoted attribute value.
 *
 * The output is valid UTF-8 (invalid bytes become U+FFFD), markup characters
 * & < > " ' are entities, and control characters other than newline and tab
 * are shown as visible \xNN text, so nothing a program wrote can become
 * markup, break out of an attribute or act on a terminal someone pastes it
 * into.
 */
#ifndef LOOPTRACE_HTML_H
#define LOOPTRACE_HTML_H

#include <stddef.h>
#include <stdio.h>

void lt_html_text(FILE *out, const char *s, size_t len);
/* NUL-terminated; NULL writes nothing. */
void lt_html_cstr(FILE *out, const char *s);

/* A fresh random nonce for a page's Content-Security-Policy, as hex
 * (32 digits when cap >= 33). */
void lt_html_nonce(char *hex, size_t cap);

#endif
