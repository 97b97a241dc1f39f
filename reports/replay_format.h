/*
 * replay_format.h — rendering the replay (execution order) as text or JSON.
 *
 * Both renderers are lt_replay_fn callbacks (analyzer/replay.h) over a
 * caller-owned state; begin/end write what comes before the first and after
 * the last dispatch.
 */
#ifndef LOOPTRACE_REPLAY_FORMAT_H
#define LOOPTRACE_REPLAY_FORMAT_H

#include <stdint.h>
#include <stdio.h>

#include "../analyzer/replay.h"
#include "json.h"

/* Text indents a nested dispatch two columns per level up to this many
 * levels; a deeper one is marked "[depth N]" at that indentation. */
#define LT_REPLAY_MAX_INDENT 64

/* Threads whose header was printed, remembered up to this many; a thread
 * beyond them gets its full header again when output comes back to it. */
#define LT_REPLAY_SEEN_THREADS 512

struct lt_replay_text {
	FILE *out;
	int64_t origin_ns;
	char cwd[4096];
	int64_t pid, tid, iteration;
	char phase[16];
	int after_task; /* the last top-level dispatch was a task */
	uint64_t count;
	int show_all;     /* also dispatches with no output and no user location */
	uint64_t hidden;
	uint64_t left_out; /* set by the caller before _end: what filters left out */
	const char *filters; /* the filters given ("--min-ms 200"), for that note */
	struct { int64_t pid, tid; } seen[LT_REPLAY_SEEN_THREADS];
	size_t n_seen;
};

void lt_replay_text_begin(struct lt_replay_text *t, FILE *out, int64_t origin_ns, int show_all);
int lt_replay_text_dispatch(void *ctx, const struct lt_dispatch *d, const struct lt_output *out,
			    size_t n_out);
void lt_replay_text_end(struct lt_replay_text *t);

struct lt_replay_json {
	struct lt_json json;
};

void lt_replay_json_begin(struct lt_replay_json *r, FILE *out);
int lt_replay_json_dispatch(void *ctx, const struct lt_dispatch *d, const struct lt_output *out,
			    size_t n_out);
void lt_replay_json_end(struct lt_replay_json *r);

#endif
