/*
 * fuzz_flight.c — libFuzzer harness for the flight recorder's memory ring
 * (recorder/flight.h): what a traced program writes into its ring is
 * untrusted, and the recorder reads all of it.
 *
 * One input is a run of 32-bit words laid out as records would be.  It is
 * scanned (triggers) and kept as the start of three chunks of one stream in
 * a ring of two chunks (so the first is evicted and its definitions are
 * pinned), expired by age, then written as a dump's capture file with the
 * input as the unfinished chunk, and that file is read back record by
 * record with recorder/rawfile.h.  Any crash or sanitizer report is a
 * finding; a file the reader calls damaged is not.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/wire.h"
#include "recorder/flight.h"
#include "recorder/rawfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static int dfd = -1;
static uint32_t *chunk;

static void remove_dir(void)
{
	unlinkat(dfd, "1-1-0.ltr", 0);
	rmdir(dir);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/dev/shm/looptrace-fuzz-XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/looptrace-fuzz-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	chunk = malloc((size_t)LT_CHUNK_WORDS * 4u);
	if (dfd < 0 || !chunk)
		abort();
	atexit(remove_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dfd < 0)
		setup();
	size_t words = size / 4;
	if (words > LT_CHUNK_WORDS)
		words = LT_CHUNK_WORDS;
	struct lt_flight_opts o = {
		.limit_bytes = 2u * LT_CHUNK_WORDS * 4u, .window_ns = 1000000000u, .lag_ns = 1000000u, .on_rejection = 1,
	};
	struct lt_flight *f;
	if (lt_flight_new(&f, &o) != 0 || lt_flight_add_stream(f, 1, 1) != 0)
		abort();
	memset(chunk, 0, (size_t)LT_CHUNK_WORDS * 4u);
	memcpy(chunk, data, words * 4u);
	for (int k = 0; k < 3; k++) {
		lt_flight_scan(f, 0, chunk, words);
		lt_flight_keep(f, 0, chunk);
	}
	uint64_t ns;
	char detail[200];
	lt_flight_take_trigger(f, &ns, detail, sizeof(detail));
	lt_flight_expire(f, UINT64_C(1) << 62);
	struct lt_file_header h = {0};
	memcpy(h.magic, LT_MAGIC, sizeof(h.magic));
	h.version = LT_WIRE_VERSION;
	h.header_bytes = LT_HEADER_BYTES;
	h.chunk_words = LT_CHUNK_WORDS;
	h.pid = h.tid = 1;
	unlinkat(dfd, "1-1-0.ltr", 0);
	if (lt_flight_write_stream(f, 0, dfd, "1-1-0.ltr", &h, chunk, words) == 0) {
		char path[128];
		snprintf(path, sizeof(path), "%s/1-1-0.ltr", dir);
		struct lt_raw_file rf;
		if (lt_raw_open(&rf, path) == 0) {
			const uint32_t *rec;
			while (lt_raw_next(&rf, &rec) == 1)
				;
			lt_raw_close(&rf);
		}
	}
	unlinkat(dfd, "1-1-0.ltr", 0);
	lt_flight_free(f);
	return 0;
}
