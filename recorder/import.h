/*
 * import.h — raw capture files into a trace database.
 *
 * Reads every <pid>-<tid>.ltr file of a capture directory, merges the
 * per-thread streams by time (each stream keeps its own order), rebuilds
 * dispatches (with nesting, queue, trigger, loop iteration and phase),
 * promises, resources, output, rejections and lineage, and writes them to an
 * open database created by lt_store_create.  One transaction; the caller
 * decides whether the file is kept.
 *
 * Ownership: the caller owns the database handle; the importer only borrows
 * it for the duration of the call.
 */
#ifndef LOOPTRACE_IMPORT_H
#define LOOPTRACE_IMPORT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct lt_import_stats {
	uint64_t events;     /* records, padding excluded */
	uint64_t raw_bytes;  /* bytes of records written by the probes */
	uint64_t dispatches;
	uint64_t promises;
	uint64_t resources;
	uint64_t outputs;
	unsigned streams;
	unsigned damaged;    /* streams that ended in a malformed record */
	/* 1 when every value written into the tables of lt_import_vouched_tables
	 * (import_db.h) kept the check's rules (import_vouch.h); else
	 * `unvouched` names the first column that did not, when one did. */
	int vouched;
	const char *unvouched;
};

/* Import all capture files in `dir`.  Returns 0 or -errno; on error a one-line
 * reason is written into err. */
int lt_import_dir(sqlite3 *db, const char *dir, struct lt_import_stats *stats, char *err,
		  size_t errlen);

/* The same for a flight recorder's dump: records before from_ns (CLOCK_MONOTONIC)
 * are skipped, except the ones later records refer to (strings, stacks,
 * process, thread and JS starts, exec, fork, sampling mode, the main
 * module's end).  What a skipped record began (a dispatch, a promise, a
 * handle) is met later without its beginning, as after a gap. */
int lt_import_dir_window(sqlite3 *db, const char *dir, uint64_t from_ns, struct lt_import_stats *stats,
			 char *err, size_t errlen);

/* Import an explicit list of capture files (used by tests and by the
 * directory import). */
int lt_import_files(sqlite3 *db, char *const *paths, size_t n, struct lt_import_stats *stats,
		    char *err, size_t errlen);

#endif
