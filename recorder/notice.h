/*
 * notice.h — how the long-running recorder entry points (lt_record_run,
 * lt_record_bpf, lt_attach_run) say what happens while they run: progress,
 * warnings, the closing summary, problems.  They print nothing themselves:
 * each message goes, as text, to a function the caller (cmds/) gave in the
 * options, which decides where and how it appears (cmds/command.h
 * lt_command_notice prints it on stderr as looptrace always has).  Errors
 * that end a run are also returned, as -errno.
 *
 * Ownership: the text is the recorder's, valid during the call only.
 * Header only (static inline), so every recorder file formats the same way.
 */
#ifndef LOOPTRACE_NOTICE_H
#define LOOPTRACE_NOTICE_H

#include <stdarg.h>
#include <stdio.h>

enum lt_notice_kind {
	LT_NOTICE_ERROR,        /* a problem, one line */
	LT_NOTICE_INFO,         /* a message or warning, one line */
	LT_NOTICE_PROGRESS,     /* a status line the next one replaces */
	LT_NOTICE_PROGRESS_END, /* the status line is over (text is empty) */
};

struct lt_notices {
	/* NULL: messages are dropped. */
	void (*say)(void *arg, enum lt_notice_kind kind, const char *text);
	void *arg;
};

__attribute__((format(printf, 3, 4))) static inline void
lt_notice(const struct lt_notices *n, enum lt_notice_kind kind, const char *fmt, ...)
{
	if (!n || !n->say)
		return;
	char text[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n->say(n->arg, kind, text);
}

#endif
