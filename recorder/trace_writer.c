/*
 * trace_writer.c — capture directory -> complete trace file.
 */
#include "trace_writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../analyzer/checked_traces.h"
#include "../analyzer/store.h"
#include "../analyzer/store_check.h"
#include "../cli/cli.h"
#include "../probes/wire.h"
#include "import_db.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_meta(sqlite3 *db, const struct lt_meta_entry *meta, size_t n,
		      const struct lt_import_stats *st)
{
	char buf[3][32];
	snprintf(buf[0], sizeof(buf[0]), "%llu", (unsigned long long)st->events);
	snprintf(buf[1], sizeof(buf[1]), "%llu", (unsigned long long)st->raw_bytes);
	snprintf(buf[2], sizeof(buf[2]), "%u", st->damaged);
	char wire[16];
	snprintf(wire, sizeof(wire), "%u", LT_WIRE_VERSION);
	const struct lt_meta_entry fixed[] = {
		{"looptrace_version", LT_VERSION}, {"wire_version", wire}, {"events", buf[0]},
		{"raw_bytes", buf[1]},             {"damaged_streams", buf[2]},
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && rc == 0; i++)
		rc = lt_store_set_meta(db, fixed[i].key, fixed[i].value);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = lt_store_set_meta(db, meta[i].key, meta[i].value);
	return rc;
}

/* The importer vouched for the values of its tables (import_vouch.h): the
 * others (threads, meta, the stream tables: small) are scanned here, so
 * that the whole trace can go on the record of checked traces and its
 * first open skip the scan.  1 when they pass. */
static int vouch_for_rest(sqlite3 *db)
{
	char why[256];
	return lt_store_check_except(db, lt_import_vouched_tables, why, sizeof(why)) == 0;
}

int lt_write_trace(const char *capture_dir, const char *output, const struct lt_meta_entry *meta,
		   size_t n_meta, struct lt_import_stats *stats, double *import_s, char *err,
		   size_t errlen)
{
	return lt_write_trace_window(capture_dir, 0, output, meta, n_meta, stats, import_s, err, errlen);
}

int lt_write_trace_window(const char *capture_dir, uint64_t from_ns, const char *output,
			  const struct lt_meta_entry *meta, size_t n_meta, struct lt_import_stats *stats,
			  double *import_s, char *err, size_t errlen)
{
	char tmp[4096];
	err[0] = '\0';
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", output, (int)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "output path too long");
		return -ENAMETOOLONG;
	}
	unlink(tmp);
	sqlite3 *db;
	int rc = lt_store_create(tmp, &db);
	if (rc != 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(-rc));
		return rc;
	}
	double t0 = now_s();
	rc = lt_import_dir_window(db, capture_dir, from_ns, stats, err, errlen);
	if (rc == 0)
		rc = lt_store_finish(db);
	*import_s = now_s() - t0;
	if (rc == 0)
		rc = write_meta(db, meta, n_meta, stats);
	if (rc != 0 && !err[0])
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	int vouch = rc == 0 && stats->vouched && vouch_for_rest(db);
	if (sqlite3_close(db) != SQLITE_OK && rc == 0) {
		rc = -EIO;
		snprintf(err, errlen, "cannot finish %s", tmp);
	}
	/* the file just written, held across the rename for the record */
	int fd = vouch && rc == 0 ? open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (rc == 0 && rename(tmp, output) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", output, strerror(errno));
	}
	if (rc != 0)
		unlink(tmp);
	else if (fd >= 0)
		stats->vouched = lt_checked_traces_add(fd, NULL) == 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

void lt_capture_dir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			char path[PATH_MAX];
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
				unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}
