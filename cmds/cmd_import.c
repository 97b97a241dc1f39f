/*
 * cmd_import.c — `looptrace import`: build a trace from a capture kept by
 * `record --keep-raw` (re-import after an upgrade of the importer, or
 * measure the import on its own), or from what a recorder that died left
 * (its rings are first turned into capture files beside them).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../analyzer/store.h"
#include "../recorder/drain.h"
#include "../recorder/trace_writer.h"
#include "cmds.h"

/* Whether `dir` holds a file whose name ends with `suffix`. */
static int has_file_ending(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t sl = strlen(suffix);
	struct dirent *e;
	int found = 0;
	while (!found && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		found = len > sl && !strcmp(e->d_name + len - sl, suffix);
	}
	closedir(d);
	return found;
}

/* One line when the trace is incomplete. */
static void say_loss(const char *trace)
{
	sqlite3 *db;
	char err[256], dropped[32] = "", incomplete[8] = "";
	if (lt_store_open_written(trace, &db, err, sizeof(err)) != 0) /* ours: no value scan */
		return;
	lt_store_get_meta(db, "dropped_events", dropped, sizeof(dropped));
	lt_store_get_meta(db, "incomplete", incomplete, sizeof(incomplete));
	sqlite3_close(db);
	if (!strcmp(incomplete, "yes"))
		lt_cli_error("import: warning: trace incomplete: %s events dropped while recording "
			     "(see table stream_losses)", dropped[0] ? dropped : "some");
}

/* Whether dir holds a capture file (*.ltr): importing nothing is a mistake
 * (a wrong directory), not an empty trace. */

struct import_settings {
	const char *capture;
	const char *output;
};

static const struct lt_option options[] = {
	LT_OPTION_OUTPUT(struct import_settings, output, "Write the trace to FILE (default looptrace.db)."),
};

const struct lt_command lt_command_import = {
	.name = "import",
	.summary = "build a trace from a capture kept with record --keep-raw",
	.description = "Build a trace database from the raw capture directory that `record --keep-raw` "
		       "kept, or that a recorder which died left (its rings in /dev/shm/looptrace-PID-*, "
		       "recovered up to the last complete record).  The trace replaces FILE only once it "
		       "is complete.",
	LT_OPTIONS(options),
	.operand = LT_OPERAND_DIRECTORY,
	.operand_name = "CAPTURE_DIR",
	.operand_offset = offsetof(struct import_settings, capture),
	.run = cmd_import,
};

int cmd_import(int argc, char **argv)
{
	struct import_settings s = {.output = "looptrace.db"};
	int status;
	if (lt_command_parse(&lt_command_import, argc, argv, &s, &status) != 0)
		return status;

	struct stat st;
	if (stat(s.capture, &st) != 0 || !S_ISDIR(st.st_mode)) {
		lt_cli_error("import: %s: not a capture directory", s.capture);
		return LT_EXIT_USAGE;
	}
	if (has_file_ending(s.capture, ".ring")) {
		unsigned rings = 0;
		int rc = lt_drain_recover(s.capture, &rings);
		if (rc != 0)
			lt_cli_error("import: recovering the rings in %s: %s (imported what could be)", s.capture,
				     strerror(-rc));
		fprintf(stderr, "looptrace: recovered %u ring(s) left by a recorder that died into %s\n", rings,
			s.capture);
	}
	if (!has_file_ending(s.capture, ".ltr")) {
		lt_cli_error("import: %s: no capture files (*.ltr) in it", s.capture);
		return LT_EXIT_USAGE;
	}
	char err[1024], source[4096];
	snprintf(source, sizeof(source), "import %s", s.capture);
	const struct lt_meta_entry meta[] = {{"command", source}};
	struct lt_import_stats stats;
	double import_s;
	if (lt_write_trace(s.capture, s.output, meta, 1, &stats, &import_s, err, sizeof(err)) != 0) {
		lt_cli_error("import: %s", err);
		return LT_EXIT_USAGE;
	}
	fprintf(stderr,
		"looptrace: imported %llu events (%llu dispatches, %u threads) in %.2f s "
		"(%.2f M events/s) -> %s\n",
		(unsigned long long)stats.events, (unsigned long long)stats.dispatches, stats.streams,
		import_s, import_s > 0 ? (double)stats.events / import_s / 1e6 : 0.0, s.output);
	if (stats.damaged)
		lt_cli_error("import: warning: %u capture file(s) end in a damaged record: imported up to it "
			     "(meta damaged_streams)", stats.damaged);
	say_loss(s.output);
	return 0;
}
