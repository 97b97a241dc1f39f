/*
 * checked_traces.h — the traces this user knows to be valid, so that a
 * trace's values are checked once and not at every open.
 *
 * lt_store_check scans every value of a trace (about 11 CPU s on a
 * 43M-event trace).  A trace whose bytes have not changed since a check
 * passed need not be scanned again; nor need a trace whose importer
 * tested every value it wrote against the same rules (recorder/
 * import_vouch.h: the values come from the traced program, which may be
 * hostile, so having written them proves nothing by itself).
 * "Not changed" is decided as git's index does with stat data: a trace is
 * known by its key (struct lt_trace_key: device, inode, owner,
 * mode, size, mtime, ctime and the 100-byte SQLite header, which holds
 * the file change counter, the page count and the schema cookie), taken
 * from the open descriptor.  Any write to the file sets its ctime to the
 * current time, which only root can set back; a key is recorded only once
 * the clock has passed its ctime (so a later write cannot fall in the same
 * timestamp tick), and only when it is unchanged after the check.  A hit
 * is exact equality of the whole key, nothing less.
 *
 * The record: $XDG_CACHE_HOME/looptrace/checked-traces (an absolute
 * XDG_CACHE_HOME), else $HOME/.cache/looptrace/checked-traces.  The base
 * directory and every directory below it must be owned by the effective
 * user and not writable by group or others (so root, whose HOME may be a
 * user's under sudo, keeps none there); looptrace creates `.cache` and
 * `looptrace` 0700 and never follows a link in them.  The file, binary
 * (a header with a checksum, then up to LT_CHECKED_TRACES_MAX keys, the
 * newest last), is replaced atomically (temporary file + rename) under an
 * flock of the directory (waited for at most 200 ms, then the key is not
 * recorded); a record that is short, corrupt, of another
 * revision or not ours is ignored and rewritten by the next registration.
 * A record that cannot be read or written (no HOME, read-only file system)
 * only means every open checks.
 *
 * LOOPTRACE_FULL_CHECK=1 in the environment turns the record off: nothing
 * is looked up or written and every open checks every value.
 *
 * Ownership: the key is the caller's; the module keeps no state between
 * calls.  Errors: 0 or -errno; failures never affect what a reader does
 * beyond checking again.
 */
#ifndef LOOPTRACE_CHECKED_TRACES_H
#define LOOPTRACE_CHECKED_TRACES_H

#include <stdint.h>

/* Keys kept: the oldest are forgotten first. */
#define LT_CHECKED_TRACES_MAX 256

/* What identifies the bytes of a trace file.  Fixed-width fields, no
 * padding: compared and stored as raw bytes. */
struct lt_trace_key {
	uint64_t dev, ino, uid, mode;
	int64_t size, mtime_s, mtime_ns, ctime_s, ctime_ns;
	unsigned char header[104]; /* SQLite's 100-byte header, zero-padded */
};

/* The key of the file open on fd (fstat and a pread of its header).
 * Returns 0 or -errno (-EINVAL for a file shorter than the header). */
int lt_trace_key_read(int fd, struct lt_trace_key *key);

/* 1 when key is recorded as checked, 0 when not (or when the record is
 * off, missing or unreadable). */
int lt_checked_traces_find(const struct lt_trace_key *key);

/* Record the file open on fd as checked.  When `checked` is not NULL it is
 * the key taken before the check, and the file must still have it; when
 * NULL (a writer vouching for its own file: one whose writer guarantees
 * the check's rules) the file must be ours and writable by nobody else
 * (-EPERM).  Waits
 * (at most LT_CHECKED_TRACES_SETTLE_MS) until the clock has passed the
 * file's ctime; a file changed less recently is not recorded (-EAGAIN).
 * Returns 0, -ESTALE (the file changed), -EAGAIN, -EPERM (a directory
 * of the record not safely ours), -ENOENT (no HOME or XDG_CACHE_HOME),
 * -ECANCELED (LOOPTRACE_FULL_CHECK), or another -errno. */
int lt_checked_traces_add(int fd, const struct lt_trace_key *checked);

#define LT_CHECKED_TRACES_SETTLE_MS 50

#endif
