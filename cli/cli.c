/*
 * cli.c — the one-line error format.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void lt_cli_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line, whatever the message carried in from a file name. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "looptrace: %s\n", msg);
}

const char *lt_cli_option_problem(const char *what, const char *option)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s '%s'", what, option ? option : "");
	return buf;
}
