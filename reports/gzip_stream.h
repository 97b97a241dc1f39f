/*
 * gzip_stream.h — a stdio stream whose bytes reach another stream gzip
 * compressed (one gzip member, zlib's deflate), so a writer of FILE * (the
 * JSON writer) can produce a .gz file without knowing it.
 *
 * Ownership: the returned stream owns its zlib state and is closed with
 * fclose, which finishes the gzip member; `dest` stays the caller's (it is
 * neither flushed nor closed).
 * Errors: lt_gzip_open returns NULL with errno set; a write to dest that
 * fails makes later writes and the final fclose fail (EOF, errno EIO).
 */
#ifndef LOOPTRACE_GZIP_STREAM_H
#define LOOPTRACE_GZIP_STREAM_H

#include <stdio.h>

/* level: zlib's 1 (fastest) .. 9 (smallest); 6 is gzip's default. */
FILE *lt_gzip_open(FILE *dest, int level);

/* 1 when path names a gzip file (ends in ".gz"). */
int lt_gzip_wanted(const char *path);

#endif
