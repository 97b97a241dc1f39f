/*
 * cli.c — the one-line error format.
 */
#include "cli.h"

#include <getopt.h>
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

const char *lt_cli_getopt_problem(int c, char **argv)
{
	static char buf[256];
	const char *option = optind > 0 ? argv[optind - 1] : "";
	snprintf(buf, sizeof(buf), "%s '%s'", c == ':' ? "missing value for" : "unknown option",
		 option ? option : "");
	return buf;
}
