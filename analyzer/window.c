/*
 * window.c — a flight recorder's window, from the trace's meta.
 */
#include "window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define MAX_TIME ((uint64_t)1 << 62)

/* A decimal time in [0, 2^62], or -EINVAL. */
static int read_time(sqlite3 *db, const char *key, uint64_t *out)
{
	char v[32], *end;
	lt_store_get_meta(db, key, v, sizeof(v));
	if (!v[0] || strspn(v, "0123456789") != strlen(v))
		return -EINVAL;
	errno = 0;
	unsigned long long t = strtoull(v, &end, 10);
	if (errno || *end || t > MAX_TIME)
		return -EINVAL;
	*out = t;
	return 0;
}

int lt_window_read(sqlite3 *db, struct lt_window *w)
{
	memset(w, 0, sizeof(*w));
	char dump[16];
	lt_store_get_meta(db, "flight_dump", dump, sizeof(dump));
	if (!dump[0] || strspn(dump, "0123456789") != strlen(dump) || strlen(dump) > 9)
		return 0;
	struct lt_window r = {0};
	r.dump = (unsigned)strtoul(dump, NULL, 10);
	if (read_time(db, "window_start_ns", &r.start_ns) != 0 || read_time(db, "window_end_ns", &r.end_ns) != 0 ||
	    r.end_ns < r.start_ns)
		return 0;
	if (read_time(db, "trigger_ns", &r.trigger_ns) != 0)
		r.trigger_ns = r.end_ns;
	lt_store_get_meta(db, "trigger", r.trigger, sizeof(r.trigger));
	lt_store_get_meta(db, "trigger_detail", r.detail, sizeof(r.detail));
	static const char *const known[] = {"signal", "lag", "rejection", "exit"};
	int ok = 0;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ok |= !strcmp(r.trigger, known[i]);
	if (!ok)
		strcpy(r.trigger, "unknown");
	r.is_window = 1;
	r.running = strcmp(r.trigger, "exit") != 0;
	*w = r;
	return 0;
}
