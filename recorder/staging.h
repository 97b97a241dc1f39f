/*
 * staging.h — where a recording keeps its capture while the command runs,
 * sized from the file systems it lands on, and the leftovers of recordings
 * whose recorder died.
 *
 * Layout of one recording (recorder pid P):
 *   /dev/shm/looptrace-P-XXXXXX/       rings (*.ring) and, while they fit the
 *                                      RAM budget, the flat files (*.ltr)
 *   OUTDIR/.looptrace-raw-P-XXXXXX/    flat files on disk (the spill), and
 *                                      rings that did not fit on tmpfs
 * (LOOPTRACE_RING_DIR replaces /dev/shm; without a usable tmpfs the rings
 * live in the raw directory.  When the output's file system has little room
 * and $TMPDIR has more, the raw directory goes to $TMPDIR.)  With
 * `record --keep-raw`, the raw directory is OUTPUT.raw, created here (it
 * must not exist) and kept.
 *
 * `attach` (pid P) writes its capture files into
 *   /dev/shm/looptrace-attach-P-XXXXXX/  ($TMPDIR or /tmp without a tmpfs)
 *
 * A leftover (the recorder was killed) is imported with `looptrace import
 * DIR` on the tmpfs directory (rings are recovered into flat files there),
 * or on the raw directory when the capture had spilled.  The next `record`
 * or `attach` removes leftovers whose recorder process is gone.
 *
 * Ownership: the caller owns struct lt_staging; lt_staging_remove deletes
 * the directories (except a kept raw one).
 */
#ifndef LOOPTRACE_STAGING_H
#define LOOPTRACE_STAGING_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct lt_notices;

struct lt_staging {
	char rings[PATH_MAX]; /* rings, and staged flat files when stage_limit > 0 */
	char raw[PATH_MAX];   /* flat files on disk; rings that tmpfs could not hold */
	uint64_t stage_limit; /* bytes of flat files on tmpfs before the spill; 0: none */
	uint64_t shm_free;    /* free bytes of the ring file system at start */
	uint64_t out_free;    /* free bytes where the raw directory is */
	int keep_raw;
};

/* Create the directories for a recording whose trace goes into `outdir`;
 * keep_raw_dir: create and keep that directory as the raw one (NULL: a
 * private one).  Returns 0 or -errno with a one-line reason in err. */
int lt_staging_create(struct lt_staging *s, const char *outdir, const char *keep_raw_dir,
		      char *err, size_t errlen);

/* The directory holding the flat files at the end of a drain is given by
 * the drain; this removes everything but a kept raw directory. */
void lt_staging_remove(const struct lt_staging *s);

/* Remove the leftovers of recordings whose recorder process is gone, in
 * the ring file system and in `outdir`.  *dirs and *bytes receive what was
 * removed; first receives one of the paths ("" if none). */
void lt_staging_clean_leftovers(const char *outdir, unsigned *dirs, uint64_t *bytes, char *first,
				size_t firstlen);

/* lt_staging_clean_leftovers, then one info line through n saying what
 * was removed (nothing said when quiet or when nothing was there). */
void lt_staging_clean_leftovers_noting(const char *outdir, const struct lt_notices *n, int quiet);

/* Create attach's capture directory (see the layout above) into dir.
 * Returns 0 or -errno (of the last place tried). */
int lt_staging_create_attach(char *dir, size_t len);

#endif
