/*
 * perf_map.c — /tmp/perf-PID.map: load, look up, parse JS names.
 */
#include "perf_map.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MAP_BYTES (64u << 20)

void lt_perf_map_init(struct lt_perf_map *m, const char *path)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->loaded_bytes = -1;
	m->owner_uid = -1;
}

void lt_perf_map_set_owner(struct lt_perf_map *m, uid_t uid) { m->owner_uid = (long long)uid; }

void lt_perf_map_path(int pid, char *buf, size_t len)
{
	char status[64], line[256];
	int ns_pid = pid;
	snprintf(status, sizeof(status), "/proc/%d/status", pid);
	FILE *f = fopen(status, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6) != 0)
			continue;
		/* the last field is the pid in the process's own namespace */
		char *last = strrchr(line, '\t');
		int v = last ? atoi(last + 1) : 0;
		if (v > 0)
			ns_pid = v;
		break;
	}
	if (f)
		fclose(f);
	snprintf(buf, len, "/proc/%d/root/tmp/perf-%d.map", pid, ns_pid);
}

void lt_perf_map_free(struct lt_perf_map *m)
{
	free(m->entries);
	free(m->text);
	m->entries = NULL;
	m->text = NULL;
	m->n = m->text_len = 0;
}

static int by_start(const void *a, const void *b)
{
	const struct lt_perf_map_entry *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int parse_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int digits = 0;
	for (; s < end && digits < 16; s++, digits++) {
		char c = *s;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
		if (d == 16)
			break;
		x = x << 4 | d;
	}
	if (!digits || s >= end || *s != ' ')
		return -1;
	*p = s + 1;
	*v = x;
	return 0;
}

/* Open the map only if it is a regular file (not a FIFO, which would block
 * the drain loop for ever, nor a link) of the process's user or root, no
 * larger than MAX_MAP_BYTES.  Returns the descriptor or -errno. */
static int open_map(const struct lt_perf_map *m, struct stat *st)
{
	int fd = open(m->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (fstat(fd, st) != 0)
		rc = -errno;
	else if (!S_ISREG(st->st_mode))
		rc = -EINVAL;
	else if (m->owner_uid >= 0 && st->st_uid != 0 && (long long)st->st_uid != m->owner_uid)
		rc = -EPERM;
	else if ((uint64_t)st->st_size > MAX_MAP_BYTES)
		rc = -EFBIG;
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int lt_perf_map_refresh(struct lt_perf_map *m)
{
	struct stat st;
	if (stat(m->path, &st) != 0)
		return -errno;
	if ((long long)st.st_size == m->loaded_bytes)
		return 0;
	int fd = open_map(m, &st);
	if (fd < 0)
		return fd;
	char *text = malloc((size_t)st.st_size + 1);
	size_t len = 0;
	while (text && len < (size_t)st.st_size) {
		ssize_t got = read(fd, text + len, (size_t)st.st_size - len);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (!text)
		return -ENOMEM;
	text[len] = '\0';
	size_t cap = 1024, n = 0;
	struct lt_perf_map_entry *e = malloc(cap * sizeof(*e));
	if (!e) {
		free(text);
		return -ENOMEM;
	}
	for (const char *line = text; line < text + len;) {
		const char *eol = memchr(line, '\n', (size_t)(text + len - line));
		if (!eol)
			break; /* a line still being written */
		const char *p = line;
		uint64_t start, size;
		if (parse_hex(&p, eol, &start) == 0 && parse_hex(&p, eol, &size) == 0 && size > 0 && p < eol) {
			if (n == cap) {
				cap *= 2;
				struct lt_perf_map_entry *grown = realloc(e, cap * sizeof(*e));
				if (!grown) {
					free(e);
					free(text);
					return -ENOMEM;
				}
				e = grown;
			}
			e[n++] = (struct lt_perf_map_entry){start, size, (uint32_t)(p - text), (uint32_t)(eol - p)};
		}
		line = eol + 1;
	}
	qsort(e, n, sizeof(*e), by_start);
	lt_perf_map_free(m);
	m->entries = e;
	m->n = n;
	m->text = text;
	m->text_len = len;
	m->loaded_bytes = (long long)st.st_size;
	return 1;
}

/* "JS:*name /path/file.js:12:5" (tier marks ~ ^ + * are optional; V8 13
 * marks context-specialized Maglev and TurboFan code +' and *'). */
static int parse_js(const char *name, size_t len, struct lt_js_frame *out)
{
	if (len < 4 || memcmp(name, "JS:", 3) != 0)
		return 0;
	name += 3;
	len -= 3;
	if (len && strchr("~^+*", name[0])) {
		name++;
		len--;
		if (len && name[0] == '\'' && (name[-1] == '+' || name[-1] == '*')) {
			name++;
			len--;
		}
	}
	const char *sp = NULL;
	for (size_t i = len; i-- > 0;)
		if (name[i] == ' ') {
			sp = name + i;
			break;
		}
	if (!sp)
		return 0;
	const char *loc = sp + 1, *end = name + len;
	/* file:line:column, from the right */
	const char *c2 = NULL, *c1 = NULL;
	for (const char *q = end; q-- > loc;)
		if (*q == ':') {
			if (!c2)
				c2 = q;
			else {
				c1 = q;
				break;
			}
		}
	if (!c1 || c1 == loc)
		return 0;
	char num[16];
	size_t ln = (size_t)(c2 - c1 - 1), cn = (size_t)(end - c2 - 1);
	if (ln == 0 || ln >= sizeof(num) || cn == 0 || cn >= sizeof(num))
		return 0;
	memcpy(num, c1 + 1, ln);
	num[ln] = '\0';
	out->line = (uint32_t)strtoul(num, NULL, 10);
	memcpy(num, c2 + 1, cn);
	num[cn] = '\0';
	out->column = (uint32_t)strtoul(num, NULL, 10);
	out->function = name;
	out->function_len = (size_t)(sp - name);
	out->file = loc;
	out->file_len = (size_t)(c1 - loc);
	if (out->file_len > 7 && !memcmp(out->file, "file://", 7)) {
		out->file += 7;
		out->file_len -= 7;
	}
	return 1;
}

int lt_perf_map_js_frame(const struct lt_perf_map *m, uint64_t ip, struct lt_js_frame *out)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) { /* first entry starting after ip */
		size_t mid = lo + (hi - lo) / 2;
		if (m->entries[mid].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	const struct lt_perf_map_entry *e = &m->entries[lo - 1];
	if (ip - e->start >= e->size)
		return 0;
	return parse_js(m->text + e->name, e->name_len, out);
}
