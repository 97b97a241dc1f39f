/*
 * stdio_hooks.c — C stdio output of libuv and probe-API programs to stdout
 * and stderr, recorded as the write interposers record Node's (output.h).
 *
 * The C library's stdio writes through its own internal write, which no
 * interposer sees; so the calls that put text into a stream are interposed
 * instead, and the text is recorded when the program produces it (in the
 * dispatch that printed it), not when the buffer is flushed.  Each
 * interposer calls the real function first and records only what it
 * accepted, with errno kept; only in a traced libuv or probe-API process
 * (lt_uv_program): Node writes through write(2), shells and other programs
 * keep their output to themselves.  A formatted call formats the text a
 * second time for the record (vsnprintf on a copy of the arguments).
 * Not covered: the _unlocked variants, perror, dprintf, psiginfo.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "output.h"
#include "uv_trace.h"

#define LT_EXPORT __attribute__((visibility("default")))
#define FORMAT_STACK_BYTES 1024

#define RESOLVE(name)                                                                   \
	static __typeof__(name) *real_##name;                                           \
	if (!real_##name)                                                               \
		real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

/* The fd of `stream` when it is stdout or stderr and recorded, else -1. */
static int traced_fd(FILE *stream)
{
	if (!stream || !lt_uv_program())
		return -1;
	int fd = fileno(stream);
	return fd == 1 || fd == 2 ? fd : -1;
}

static void record_bytes(int fd, const void *bytes, size_t n)
{
	if (fd < 0 || !n)
		return;
	int saved = errno;
	struct iovec iov = {(void *)bytes, n};
	lt_output_record(fd, &iov, 1, n);
	errno = saved;
}

/* The `n` characters a formatted call wrote, formatted again from `ap`. */
static void record_format(int fd, int n, const char *fmt, va_list ap)
{
	if (fd < 0 || n <= 0)
		return;
	int saved = errno;
	char stack[FORMAT_STACK_BYTES];
	char *buf = (size_t)n < sizeof(stack) ? stack : malloc((size_t)n + 1);
	if (buf) {
		int m = vsnprintf(buf, (size_t)n + 1, fmt, ap);
		if (m > 0)
			record_bytes(fd, buf, (size_t)(m < n ? m : n));
		if (buf != stack)
			free(buf);
	}
	errno = saved;
}

LT_EXPORT size_t fwrite(const void *ptr, size_t size, size_t n, FILE *stream)
{
	RESOLVE(fwrite);
	size_t r = real_fwrite(ptr, size, n, stream);
	if (r > 0)
		record_bytes(traced_fd(stream), ptr, r * size);
	return r;
}

LT_EXPORT int fputs(const char *s, FILE *stream)
{
	RESOLVE(fputs);
	int r = real_fputs(s, stream);
	if (r >= 0)
		record_bytes(traced_fd(stream), s, strlen(s));
	return r;
}

LT_EXPORT int puts(const char *s)
{
	RESOLVE(puts);
	int r = real_puts(s);
	int fd = r >= 0 ? traced_fd(stdout) : -1;
	if (fd >= 0) {
		size_t n = strlen(s);
		struct iovec iov[2] = {{(void *)s, n}, {"\n", 1}};
		int saved = errno;
		lt_output_record(fd, iov, 2, n + 1);
		errno = saved;
	}
	return r;
}

static int put_char(int r, int c, FILE *stream)
{
	if (r != EOF) {
		char ch = (char)c;
		record_bytes(traced_fd(stream), &ch, 1);
	}
	return r;
}

LT_EXPORT int fputc(int c, FILE *stream)
{
	RESOLVE(fputc);
	return put_char(real_fputc(c, stream), c, stream);
}

LT_EXPORT int putc(int c, FILE *stream)
{
	RESOLVE(putc);
	return put_char(real_putc(c, stream), c, stream);
}

LT_EXPORT int putchar(int c)
{
	RESOLVE(putchar);
	return put_char(real_putchar(c), c, stdout);
}

LT_EXPORT int vfprintf(FILE *stream, const char *fmt, va_list ap)
{
	RESOLVE(vfprintf);
	va_list again;
	va_copy(again, ap);
	int r = real_vfprintf(stream, fmt, ap);
	record_format(traced_fd(stream), r, fmt, again);
	va_end(again);
	return r;
}

LT_EXPORT int vprintf(const char *fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }

LT_EXPORT int fprintf(FILE *stream, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfprintf(stream, fmt, ap);
	va_end(ap);
	return r;
}

LT_EXPORT int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return r;
}

/* _FORTIFY_SOURCE's versions (what -O2 -D_FORTIFY_SOURCE=2 programs call) */
int __vfprintf_chk(FILE *stream, int flag, const char *fmt, va_list ap);

LT_EXPORT int __vfprintf_chk(FILE *stream, int flag, const char *fmt, va_list ap)
{
	RESOLVE(__vfprintf_chk);
	va_list again;
	va_copy(again, ap);
	int r = real___vfprintf_chk(stream, flag, fmt, ap);
	record_format(traced_fd(stream), r, fmt, again);
	va_end(again);
	return r;
}

int __vprintf_chk(int flag, const char *fmt, va_list ap);
int __fprintf_chk(FILE *stream, int flag, const char *fmt, ...);
int __printf_chk(int flag, const char *fmt, ...);

LT_EXPORT int __vprintf_chk(int flag, const char *fmt, va_list ap) { return __vfprintf_chk(stdout, flag, fmt, ap); }

LT_EXPORT int __fprintf_chk(FILE *stream, int flag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = __vfprintf_chk(stream, flag, fmt, ap);
	va_end(ap);
	return r;
}

LT_EXPORT int __printf_chk(int flag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = __vfprintf_chk(stdout, flag, fmt, ap);
	va_end(ap);
	return r;
}
