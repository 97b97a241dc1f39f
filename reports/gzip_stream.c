/*
 * gzip_stream.c — fopencookie over zlib's deflate: each write is deflated
 * into a fixed buffer that is emptied into the destination stream.
 */
#include "gzip_stream.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

#define OUT_CHUNK (64 * 1024)

struct gz {
	z_stream z;
	FILE *dest;
	int failed;
	unsigned char out[OUT_CHUNK];
};

/* Deflate what z holds with flush mode `flush`, emptying the buffer into
 * dest whenever it fills.  Returns 0 or -EIO. */
static int pump(struct gz *g, int flush)
{
	for (;;) {
		g->z.next_out = g->out;
		g->z.avail_out = OUT_CHUNK;
		int zrc = deflate(&g->z, flush);
		if (zrc == Z_STREAM_ERROR)
			return -EIO;
		size_t have = OUT_CHUNK - g->z.avail_out;
		if (have && fwrite(g->out, 1, have, g->dest) != have)
			return -EIO;
		if (flush == Z_FINISH ? zrc == Z_STREAM_END : g->z.avail_out != 0)
			return 0;
	}
}

static ssize_t gz_write(void *cookie, const char *buf, size_t size)
{
	struct gz *g = cookie;
	if (g->failed) {
		errno = EIO;
		return -1;
	}
	size_t done = 0;
	while (done < size) {
		size_t n = size - done > UINT32_MAX / 2 ? UINT32_MAX / 2 : size - done;
		g->z.next_in = (unsigned char *)(uintptr_t)(buf + done);
		g->z.avail_in = (uInt)n;
		if (pump(g, Z_NO_FLUSH) != 0) {
			g->failed = 1;
			errno = EIO;
			return -1;
		}
		done += n;
	}
	return (ssize_t)size;
}

static int gz_close(void *cookie)
{
	struct gz *g = cookie;
	int rc = 0;
	if (!g->failed) {
		g->z.next_in = NULL;
		g->z.avail_in = 0;
		rc = pump(g, Z_FINISH);
	}
	deflateEnd(&g->z);
	int failed = g->failed || rc != 0;
	free(g);
	if (failed) {
		errno = EIO;
		return -1;
	}
	return 0;
}

FILE *lt_gzip_open(FILE *dest, int level)
{
	struct gz *g = calloc(1, sizeof(*g));
	if (!g) {
		errno = ENOMEM;
		return NULL;
	}
	g->dest = dest;
	/* windowBits 15 + 16: a gzip header and trailer around the deflate data */
	if (deflateInit2(&g->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		errno = ENOMEM;
		return NULL;
	}
	cookie_io_functions_t io = {.write = gz_write, .close = gz_close};
	FILE *f = fopencookie(g, "w", io);
	if (!f) {
		deflateEnd(&g->z);
		free(g);
		errno = ENOMEM;
		return NULL;
	}
	return f;
}

int lt_gzip_wanted(const char *path)
{
	size_t n = path ? strlen(path) : 0;
	return n > 3 && !strcmp(path + n - 3, ".gz");
}
