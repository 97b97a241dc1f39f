/*
 * output.c — LT_OUTPUT records of the program's output (output.h).
 */
#include "output.h"

#include <stdint.h>
#include <string.h>

#include "capture.h"

/* Largest output record payload, in bytes. */
#define OUTPUT_PIECE ((LT_MAX_RECORD_WORDS - 4u) * 4u)
#define OUTPUT_CONTINUED 0x80u

static void record_output_piece(struct lt_log *log, int fd, const char *bytes, size_t n, int continued, uint64_t ts)
{
	uint32_t words = 4u + (uint32_t)((n + 3u) / 4u);
	uint32_t *rec = lt_record_begin(log, words);
	if (!rec)
		return;
	lt_put_ts(rec + 1, ts);
	rec[3] = (uint32_t)n;
	rec[words - 1] = 0;
	memcpy(rec + 4, bytes, n);
	unsigned aux = (unsigned)fd | (continued ? OUTPUT_CONTINUED : 0u);
	lt_record_commit(log, rec, lt_record_header(LT_OUTPUT, aux, words));
}

void lt_output_record(int fd, const struct iovec *iov, int cnt, size_t n)
{
	struct lt_log *log = looptrace_log_current();
	if (!log)
		return;
	uint64_t ts = lt_now_ns();
	for (int i = 0; i < cnt && n > 0; i++) {
		const char *p = iov[i].iov_base;
		size_t left = iov[i].iov_len < n ? iov[i].iov_len : n;
		n -= left;
		while (left > 0) {
			size_t piece = left < OUTPUT_PIECE ? left : OUTPUT_PIECE;
			left -= piece;
			record_output_piece(log, fd, p, piece, left > 0 || n > 0, ts);
			p += piece;
		}
	}
}
