/*
 * perf_map.h — the JIT symbol map a node process started with
 * --perf-basic-prof (or --perf-basic-prof-only-functions) writes to
 * /tmp/perf-PID.map: one "START SIZE NAME" line (hex, hex, text) per
 * compiled function, JavaScript ones named "JS:<tier>function file:line:col".
 * Used to name the JavaScript functions in user stacks sampled while a
 * callback blocked the loop.
 *
 * The file is untrusted (the traced program writes it): lines are parsed
 * defensively and names are only ever bound into SQL.
 *
 * Ownership: struct lt_perf_map owns its entries and text; lt_perf_map_free
 * releases them.
 */
#ifndef LOOPTRACE_PERF_MAP_H
#define LOOPTRACE_PERF_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct lt_perf_map_entry {
	uint64_t start, size;
	uint32_t name;     /* offset of the name in text */
	uint32_t name_len;
};

struct lt_perf_map {
	char path[4096];
	struct lt_perf_map_entry *entries; /* sorted by start */
	size_t n;
	char *text;
	size_t text_len;
	long long loaded_bytes; /* file size at the last load, -1 never loaded */
	long long owner_uid;    /* the only user besides root whose map is read; -1: any */
};

/* A JavaScript frame: function (may be empty: anonymous), file, line, column. */
struct lt_js_frame {
	const char *function, *file;
	size_t function_len, file_len;
	uint32_t line, column;
};

void lt_perf_map_init(struct lt_perf_map *m, const char *path);

/* Read the map only when root or `uid` (the traced process's user) owns it:
 * as root, a map another user planted in /tmp is not the program's. */
void lt_perf_map_set_owner(struct lt_perf_map *m, uid_t uid);

/* Where process `pid` writes its map, as seen from here: its own /tmp and
 * its own pid (a process in a container has another pid inside). */
void lt_perf_map_path(int pid, char *buf, size_t len);

/* (Re)load the file when it grew since the last load.  Only a regular file
 * (opened without following a link, non-blocking: a FIFO never hangs the
 * caller) of the owner (lt_perf_map_set_owner) or root, at most 64 MiB.  Returns 1 when it
 * was (re)loaded (earlier lt_js_frame pointers are then stale), 0 when it is
 * unchanged, or -errno when it cannot be read (no map: node runs without
 * --perf-basic-prof). */
int lt_perf_map_refresh(struct lt_perf_map *m);

/* The JavaScript function at `ip`: 1 with *out filled (pointing into the
 * map's text, valid until the next refresh), 0 when ip is not in a JS
 * function of the map. */
int lt_perf_map_js_frame(const struct lt_perf_map *m, uint64_t ip, struct lt_js_frame *out);

void lt_perf_map_free(struct lt_perf_map *m);

#endif
