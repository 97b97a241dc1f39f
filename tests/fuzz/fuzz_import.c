/*
 * fuzz_import.c — libFuzzer harness for the capture importer.
 *
 * One input is one capture file image (probes/wire.h: the 4096-byte control
 * page, then records), or several end to end (split where the magic starts
 * a page again).  It is written to a file in a private directory
 * (the reader opens regular files only, never through a link) and imported with
 * lt_import_files into a fresh trace database held in memory (a copy of an
 * empty trace made once by lt_store_create), so the whole path a kept
 * capture takes through `looptrace import` is exercised: header checks,
 * record reading, every handler, the SQLite writing.  Any crash, sanitizer
 * report or leak is a finding; a failed import is not.  So is an import
 * the importer vouches for (recorder/import_vouch.h: such a trace goes on
 * the record of checked traces and its readers skip the value scan) whose
 * values the reader's own check refuses: the harness aborts then.
 *
 * Built by -DLOOPTRACE_FUZZ=ON (clang, -fsanitize=fuzzer,address,undefined)
 * or, without it, with replay_main.c as a plain program that runs each
 * input once (the ctest replaying the regression corpus).
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/store.h"
#include "probes/wire.h"
#include "analyzer/store_check.h"
#include "recorder/import.h"
#include "recorder/import_db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An empty trace (schema, pragmas) as bytes, made once. */
static unsigned char *empty_trace;
static sqlite3_int64 empty_trace_size;

static void make_empty_trace(void)
{
	char dir[] = "/tmp/looptrace-fuzz-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	char path[64];
	snprintf(path, sizeof(path), "%s/empty.db", dir);
	sqlite3 *db;
	if (lt_store_create(path, &db) != 0)
		abort();
	/* small pages: each input starts from a copy of this image */
	sqlite3_exec(db, "PRAGMA page_size=4096; VACUUM;", NULL, NULL, NULL);
	empty_trace = sqlite3_serialize(db, "main", &empty_trace_size, 0);
	if (!empty_trace)
		abort();
	sqlite3_close(db);
	unlink(path);
	rmdir(dir);
}

static sqlite3 *open_empty_trace(void)
{
	sqlite3 *db;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		abort();
	unsigned char *copy = sqlite3_malloc64((sqlite3_uint64)empty_trace_size);
	if (!copy)
		abort();
	memcpy(copy, empty_trace, (size_t)empty_trace_size);
	if (sqlite3_deserialize(db, "main", copy, empty_trace_size, empty_trace_size,
				SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) != SQLITE_OK)
		abort();
	sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", NULL, NULL, NULL);
	return db;
}

/* A private directory for the capture file (tmpfs when there is one). */
static char capture_dir[64];

static void make_capture_dir(void)
{
	snprintf(capture_dir, sizeof(capture_dir), "/dev/shm/looptrace-fuzz-XXXXXX");
	if (mkdtemp(capture_dir))
		return;
	snprintf(capture_dir, sizeof(capture_dir), "/tmp/looptrace-fuzz-XXXXXX");
	if (!mkdtemp(capture_dir))
		abort();
}

#define MAX_FILES 4

static void remove_capture_dir(void)
{
	char path[96];
	for (int i = 0; i < MAX_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%d.ltr", capture_dir, i);
		unlink(path);
	}
	rmdir(capture_dir);
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	size_t done = 0;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	close(fd);
}

/* An input holding the capture magic again at a page boundary is several
 * capture files (threads or processes merged by time, an exec'd image
 * superseding its parent's stream): split there, at most MAX_FILES. */
static size_t split(const uint8_t *data, size_t size, size_t *starts)
{
	size_t n = 1;
	starts[0] = 0;
	for (size_t at = 4096; at + 8 <= size && n < MAX_FILES; at += 4096)
		if (memcmp(data + at, LT_MAGIC, 8) == 0)
			starts[n++] = at;
	starts[n] = size;
	return n;
}

/* Whether the check's message ("TABLE row N: ...") names a table the
 * importer vouches for (import_db.h). */
static int vouched_table_broken(const char *why)
{
	for (const char *const *t = lt_import_vouched_tables; *t; t++) {
		size_t n = strlen(*t);
		if (strncmp(why, *t, n) == 0 && why[n] == ' ')
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!empty_trace) {
		make_empty_trace();
		make_capture_dir();
		atexit(remove_capture_dir);
	}
	size_t starts[MAX_FILES + 1];
	size_t n = split(data, size, starts);
	char names[MAX_FILES][96];
	char *paths[MAX_FILES];
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "%s/%zu.ltr", capture_dir, i);
		write_file(names[i], data + starts[i], starts[i + 1] - starts[i]);
		paths[i] = names[i];
	}
	sqlite3 *db = open_empty_trace();
	struct lt_import_stats stats;
	char err[512];
	int rc = lt_import_files(db, paths, n, &stats, err, sizeof(err));
	if (rc == 0 && stats.vouched) {
		/* what the record would skip: the tables it vouches for (the
		 * others are scanned by the trace writer) */
		static const char *const scanned_anyway[] = {"meta", "threads", "stream_losses", "stream_gaps",
							     NULL};
		char why[512];
		if (lt_store_check_except(db, scanned_anyway, why, sizeof(why)) == -EINVAL &&
		    vouched_table_broken(why)) {
			fprintf(stderr, "fuzz_import: vouched for, yet the check says: %s\n", why);
			abort();
		}
	}
	sqlite3_close(db);
	return 0;
}
