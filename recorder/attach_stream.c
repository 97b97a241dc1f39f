/*
 * attach_stream.c — one attached thread's capture file: the records an
 * event turns into (attach_stream.h).
 */
#include "attach_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void lt_astream_put64(uint32_t *w, uint64_t v)
{
	w[0] = (uint32_t)v;
	w[1] = (uint32_t)(v >> 32);
}

uint32_t lt_astream_intern(struct lt_attach_stream *s, const char *name)
{
	for (size_t i = 0; i < s->n_types; i++)
		if (s->types[i].name == name || !strcmp(s->types[i].name, name))
			return (uint32_t)i;
	if (s->n_types == MAX_TYPES)
		return 0; /* the first entry ("io") stands in */
	struct named *t = &s->types[s->n_types];
	t->name = name;
	t->string_id = C_STRING | ++s->next_string;
	t->resource_id = 0;
	lt_raw_writer_string(&s->w, t->string_id, name, strlen(name));
	return (uint32_t)s->n_types++;
}

/* A "rel64" time: relative to LT_JS_START once there is one, else absolute. */
uint64_t lt_astream_rel(const struct lt_attach_stream *s, uint64_t ts)
{
	return ts - s->js_base;
}

void lt_astream_r_init(struct lt_attach_stream *s, uint32_t id, uint32_t type_string, uint64_t ts, int unref)
{
	uint32_t p[9] = {id, 0, type_string, 0, 0, 0, (uint32_t)-1, 0, 0};
	lt_astream_put64(p + 4, lt_astream_rel(s, ts));
	lt_raw_writer_add(&s->w, LT_R_INIT, unref ? 1u : 0u, p, 9);
}

void lt_astream_r_event(struct lt_attach_stream *s, unsigned kind, unsigned aux, uint32_t id, uint64_t ts)
{
	uint32_t p[3] = {id, 0, 0};
	lt_astream_put64(p + 1, lt_astream_rel(s, ts));
	lt_raw_writer_add(&s->w, kind, aux, p, 3);
}

/* The synthetic resource that stands for every dispatch of one type: created
 * unref'd (a dispatch type, not a handle that could leak). */
uint32_t lt_astream_dispatch_resource(struct lt_attach_stream *s, const char *name, uint64_t ts)
{
	struct named *t = &s->types[lt_astream_intern(s, name)];
	if (!t->resource_id) {
		t->resource_id = ++s->next_id;
		lt_astream_r_init(s, t->resource_id, t->string_id, ts, 1);
	}
	return t->resource_id;
}

static void read_proc(int pid, const char *what, char *buf, size_t cap, size_t *len)
{
	char path[64];
	*len = 0;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	*len = fread(buf, 1, cap - 1, f);
	buf[*len] = '\0';
	fclose(f);
}

static int parent_of(int pid)
{
	char stat[512];
	size_t n;
	read_proc(pid, "stat", stat, sizeof(stat), &n);
	const char *close_paren = strrchr(stat, ')');
	int ppid = 0;
	if (close_paren && sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	return ppid;
}

/* The main script's name, as node takes it from its command line: the
 * first argument that is neither an option nor an option's value; "[eval]"
 * for -e/-p. */
static const char *main_script_of(char *argv, size_t len)
{
	static const char *const with_value[] = {"-r", "--require", "--import", "--loader",
						 "--experimental-loader", "--title", "--input-type"};
	for (size_t at = strlen(argv) + 1; at < len; at += strlen(argv + at) + 1) {
		const char *a = argv + at;
		if (!strcmp(a, "-e") || !strcmp(a, "--eval") || !strcmp(a, "-p") || !strcmp(a, "--print"))
			return "[eval]";
		if (a[0] != '-')
			return a;
		for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
			if (!strcmp(a, with_value[k]) && at + strlen(a) + 1 < len)
				at += strlen(a) + 1; /* skip the value too */
	}
	return "";
}

void lt_astream_js_start(struct lt_attach_stream *s, uint64_t ts)
{
	static char argv[4096];
	size_t len;
	read_proc(s->pid, "cmdline", argv, sizeof(argv), &len);
	const char *script = s->tid == s->pid && len ? main_script_of(argv, len) : "";
	uint32_t script_id = lt_astream_text(s, script, strlen(script));
	uint32_t p[4] = {0, 0, s->tid == s->pid ? 0u : (uint32_t)s->tid, script_id};
	lt_astream_put64(p, ts);
	lt_raw_writer_add(&s->w, LT_JS_START, 0, p, 4);
	s->js_base = ts;
}

/* A string written once per stream for each distinct text (function and
 * file names of samples repeat). */
uint32_t lt_astream_text(struct lt_attach_stream *s, const char *text, size_t len)
{
	uint32_t id = C_STRING | ++s->next_string;
	lt_raw_writer_string(&s->w, id, text, len);
	return id;
}

int lt_astream_open(struct lt_attach_stream *s, const char *dir, const char *perf_map_dir, int pid, int tid,
		   uint64_t start, struct lt_flight *flight)
{
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->tid = tid;
	char path[4200];
	snprintf(path, sizeof(path), "%s/%d-%d.ltr", dir, s->pid, s->tid);
	int rc = flight ? lt_raw_writer_open_flight(&s->w, flight, s->pid, s->tid, parent_of(s->pid), start)
			: lt_raw_writer_open(&s->w, path, s->pid, s->tid, parent_of(s->pid), start);
	if (rc != 0)
		return rc;
	if (perf_map_dir[0])
		snprintf(path, sizeof(path), "%s/perf-%d.map", perf_map_dir, s->pid);
	else
		lt_perf_map_path(s->pid, path, sizeof(path));
	lt_perf_map_init(&s->perf_map, path);
	/* The map of the process's own user (or root): /tmp is everybody's. */
	char proc[64];
	struct stat pst;
	snprintf(proc, sizeof(proc), "/proc/%d", s->pid);
	if (!perf_map_dir[0] && stat(proc, &pst) == 0)
		lt_perf_map_set_owner(&s->perf_map, pst.st_uid);
	lt_astream_intern(s, "io"); /* entry 0: the stand-in type */
	/* The process's command line (NUL-separated, as on the wire). */
	static char argv[4096];
	size_t len;
	read_proc(s->pid, "cmdline", argv, sizeof(argv), &len);
	while (len && argv[len - 1] == '\0')
		len--;
	uint32_t argv_id = C_STRING | ++s->next_string;
	lt_raw_writer_string(&s->w, argv_id, argv, len);
	uint32_t p[3] = {0, 0, argv_id};
	lt_astream_put64(p, start);
	lt_raw_writer_add(&s->w, LT_PROC_START, 0, p, 3);
	s->last_ts = start;
	return 0;
}

