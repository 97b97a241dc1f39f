/*
 * trace_writer.h — turn a capture directory into a trace file, atomically.
 *
 * The trace is built in "<output>.tmp-<pid>" and renamed over <output> only
 * once complete, so an existing trace is never partially overwritten.
 */
#ifndef LOOPTRACE_TRACE_WRITER_H
#define LOOPTRACE_TRACE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "import.h"

struct lt_meta_entry {
	const char *key;
	const char *value;
};

/* Import `capture_dir` into a new trace at `output` with the given meta
 * entries (plus looptrace_version, wire_version, events, raw_bytes,
 * damaged_streams).  *import_s receives the import time.  Returns 0 or
 * -errno with a one-line reason in err. */
int lt_write_trace(const char *capture_dir, const char *output, const struct lt_meta_entry *meta,
		   size_t n_meta, struct lt_import_stats *stats, double *import_s, char *err,
		   size_t errlen);

/* The same for a flight recorder's dump: events before from_ns are left
 * out (import.h, lt_import_dir_window). */
int lt_write_trace_window(const char *capture_dir, uint64_t from_ns, const char *output,
			  const struct lt_meta_entry *meta, size_t n_meta, struct lt_import_stats *stats,
			  double *import_s, char *err, size_t errlen);

/* Remove a capture directory and the files in it (captures are flat: no
 * subdirectories).  Best effort: what cannot be removed stays. */
void lt_capture_dir_remove(const char *dir);

#endif
