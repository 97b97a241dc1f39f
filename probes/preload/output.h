/*
 * output.h — the program's output to fds 1 and 2 as LT_OUTPUT records
 * (probes/wire.h), written to the calling thread's log (capture.h): by the
 * write/writev interposers (preload.c) and by the C stdio interposers of
 * libuv and probe-API programs (stdio_hooks.c).  Keeps errno untouched is
 * the caller's job.  No ownership: the bytes are copied into the log.
 */
#ifndef LOOPTRACE_PRELOAD_OUTPUT_H
#define LOOPTRACE_PRELOAD_OUTPUT_H

#include <stddef.h>
#include <sys/uio.h>

/* Record the first `n` bytes of iov[0..cnt) written to `fd` as one logical
 * output chunk (pieces of at most one record each, "continued" but the
 * last).  Nothing when capture is off. */
void lt_output_record(int fd, const struct iovec *iov, int cnt, size_t n);

#endif
