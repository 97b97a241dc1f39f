/*
 * flight_session.c — triggers, dumps and their traces for `record --ring`.
 */
#include "flight_session.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trace_writer.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A number and its unit ("" when none). */
static int split_number(const char *text, double *v, const char **unit)
{
	char *end;
	errno = 0;
	*v = strtod(text, &end);
	if (errno || end == text || !(*v > 0) || *v > 1e15 || *text == '-' || *text == '+')
		return -EINVAL;
	*unit = end;
	return 0;
}

static int unit_is(const char *unit, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(unit, *names))
			return 1;
	return 0;
}

int lt_flight_parse_ring(const char *text, uint64_t *bytes, double *seconds, char *err, size_t n)
{
	static const char *const kib[] = {"k", "K", "KB", "KiB", "kB", NULL};
	static const char *const mib[] = {"M", "MB", "MiB", NULL};
	static const char *const gib[] = {"G", "GB", "GiB", NULL};
	double v, ms;
	const char *unit;
	if (split_number(text, &v, &unit) != 0) {
		snprintf(err, n, "--ring takes a SIZE (64M) or a DURATION (2s)");
		return -EINVAL;
	}
	double mult = unit_is(unit, kib) ? 1024.0 : unit_is(unit, mib) ? 1048576.0 : unit_is(unit, gib) ? 1073741824.0 : 0;
	if (mult > 0) {
		double b = v * mult;
		if (b < (double)LT_FLIGHT_MIN_BYTES || b > (double)((uint64_t)1 << 40)) {
			snprintf(err, n, "--ring SIZE is from 4M (one chunk) to 1024G");
			return -EINVAL;
		}
		*bytes = (uint64_t)b;
		*seconds = 0;
		return 0;
	}
	if (!*unit || lt_flight_parse_ms(text, &ms) != 0) {
		snprintf(err, n, "--ring takes a SIZE with its unit (64M, 1G) or a DURATION with its unit (2s, 500ms, 10min)");
		return -EINVAL;
	}
	*seconds = ms / 1e3;
	*bytes = LT_FLIGHT_DURATION_BYTES;
	return 0;
}

int lt_flight_parse_ms(const char *text, double *ms)
{
	static const char *const msec[] = {"", "ms", NULL};
	static const char *const sec[] = {"s", "sec", NULL};
	static const char *const min[] = {"min", NULL};
	static const char *const hour[] = {"h", NULL};
	double v;
	const char *unit;
	if (split_number(text, &v, &unit) != 0)
		return -EINVAL;
	double mult = unit_is(unit, msec) ? 1.0 : unit_is(unit, sec) ? 1e3 : unit_is(unit, min) ? 60e3
		      : unit_is(unit, hour) ? 3600e3 : 0;
	if (mult == 0 || v * mult > 86400e3 * 30)
		return -EINVAL;
	*ms = v * mult;
	return 0;
}

int lt_flight_session_start(struct lt_flight_session *s, const struct lt_flight_session_opts *o,
			    const struct lt_flight_source *src)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->src = *src;
	s->rv.dfd = -1;
	s->next_dump = 1;
	s->start_ns = now_ns();
	struct lt_flight_opts fo = {
		.limit_bytes = o->limit_bytes,
		.window_ns = (uint64_t)(o->window_s * 1e9),
		.lag_ns = (uint64_t)(o->lag_ms * 1e6),
		.on_rejection = 1,
	};
	return lt_flight_new(&s->flight, &fo);
}

void lt_flight_session_publish(struct lt_flight_session *s, pid_t command)
{
	char err[512];
	if (lt_rendezvous_publish(&s->rv, command, err, sizeof(err)) != 0 && !s->o.quiet)
		lt_notice(s->o.notices, LT_NOTICE_INFO, "record: warning: %s; `looptrace dump -p` will not find this recorder, "
			     "SIGUSR2 to pid %d still dumps",
			     err, (int)getpid());
}

/* OUT.db -> OUT-n.db */
static void dump_path(const struct lt_flight_session *s, unsigned n, char *buf, size_t len)
{
	const char *out = s->o.output;
	size_t l = strlen(out);
	if (l > 3 && !strcmp(out + l - 3, ".db"))
		l -= 3;
	snprintf(buf, len, "%.*s-%u.db", (int)l, out, n);
}

struct snapshot {
	size_t n;
	struct lt_file_header *hdr;
	uint32_t **words;
	size_t *count;
};

static void snapshot_free(struct snapshot *sn)
{
	for (size_t i = 0; sn->words && i < sn->n; i++)
		free(sn->words[i]);
	free(sn->words);
	free(sn->count);
	free(sn->hdr);
	memset(sn, 0, sizeof(*sn));
}

/* Copy every ring's control page and unfinished chunk (the writer goes on
 * writing into its slots). */
static int snapshot_take(const struct lt_flight_session *s, struct snapshot *sn)
{
	memset(sn, 0, sizeof(*sn));
	sn->n = lt_flight_streams(s->flight);
	size_t k = sn->n ? sn->n : 1;
	sn->hdr = calloc(k, sizeof(*sn->hdr));
	sn->words = calloc(k, sizeof(*sn->words));
	sn->count = calloc(k, sizeof(*sn->count));
	if (!sn->hdr || !sn->words || !sn->count)
		goto fail;
	for (size_t i = 0; i < sn->n; i++) {
		const uint32_t *w;
		size_t n;
		if (!lt_flight_closed(s->flight, i, &sn->hdr[i], &w, &n))
			s->src.view(s->src.arg, i, &sn->hdr[i], &w, &n);
		if (n) {
			sn->words[i] = malloc(n * 4u);
			if (!sn->words[i])
				goto fail;
			memcpy(sn->words[i], w, n * 4u);
		}
		sn->count[i] = n;
	}
	return 0;
fail:
	snapshot_free(sn);
	return -ENOMEM;
}

static void join_command(char *const *cmd, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; cmd && cmd[i] && used + 1 < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? " " : "", cmd[i]);
}

/* Write the flat files of the snapshot into a private directory beside the
 * output and import them into `path`.  Returns 0 or -errno (said). */
static int write_dump(struct lt_flight_session *s, const struct snapshot *sn, const char *path, unsigned n,
		      enum lt_flight_trigger t, uint64_t trig_ns, const char *detail, uint64_t end_ns,
		      int exit_status, uint64_t min_from)
{
	char parent_buf[PATH_MAX], dir[PATH_MAX], err[1024];
	snprintf(parent_buf, sizeof(parent_buf), "%s", path);
	const char *parent = dirname(parent_buf);
	if (snprintf(dir, sizeof(dir), "%s/.looptrace-raw-%d-XXXXXX", parent, (int)getpid()) >= (int)sizeof(dir) ||
	    !mkdtemp(dir)) {
		lt_notice(s->o.notices, LT_NOTICE_ERROR, "record: dump %u: cannot create a capture directory in %s: %s", n, parent,
			     strerror(errno));
		return -EIO;
	}
	int rc = 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		rc = -errno;
	for (size_t i = 0; i < sn->n && rc == 0; i++) {
		char name[96];
		snprintf(name, sizeof(name), "%d-%d-%zu.ltr", sn->hdr[i].pid, sn->hdr[i].tid, i);
		rc = lt_flight_write_stream(s->flight, i, dfd, name, &sn->hdr[i], sn->words[i], sn->count[i]);
	}
	if (dfd >= 0)
		close(dfd);
	if (rc != 0) {
		lt_notice(s->o.notices, LT_NOTICE_ERROR, "record: dump %u: cannot write its capture in %s: %s", n, dir, strerror(-rc));
		lt_capture_dir_remove(dir);
		return rc;
	}
	uint64_t from = lt_flight_window_start(s->flight, end_ns);
	if (min_from > from)
		from = min_from; /* an automatic dump starts where the last one ended */
	/* The window starts where the records do: no earlier than the first
	 * thread's start. */
	uint64_t first = s->start_ns;
	for (size_t i = 0; i < sn->n; i++)
		if (sn->hdr[i].start_ns && sn->hdr[i].start_ns < first)
			first = sn->hdr[i].start_ns;
	uint64_t window_start = from > first ? from : first;
	char command[8192], num[16], trig[32], ws[32], we[32], es[16], dur[32];
	join_command(s->o.cmd, command, sizeof(command));
	snprintf(num, sizeof(num), "%u", n);
	snprintf(trig, sizeof(trig), "%llu", (unsigned long long)trig_ns);
	snprintf(ws, sizeof(ws), "%llu", (unsigned long long)window_start);
	snprintf(we, sizeof(we), "%llu", (unsigned long long)end_ns);
	snprintf(es, sizeof(es), "%d", exit_status);
	snprintf(dur, sizeof(dur), "%llu", (unsigned long long)(end_ns > s->start_ns ? end_ns - s->start_ns : 0));
	struct lt_meta_entry meta[32] = {
		{"command", command},
		{"duration_ns", dur},
		{"flight_dump", num},
		{"trigger", lt_flight_trigger_name(t)},
		{"trigger_ns", trig},
		{"trigger_detail", detail},
		{"window_start_ns", ws},
		{"window_end_ns", we},
		{"ring", s->o.ring ? s->o.ring : ""},
	};
	size_t n_meta = 9;
	if (t == LT_TRIGGER_EXIT && exit_status >= 0)
		meta[n_meta++] = (struct lt_meta_entry){"exit_status", es};
	for (size_t i = 0; i < s->o.n_meta && n_meta < sizeof(meta) / sizeof(meta[0]); i++)
		meta[n_meta++] = s->o.meta[i];
	struct lt_import_stats stats;
	double import_s;
	rc = lt_write_trace_window(dir, from, path, meta, n_meta, &stats, &import_s, err, sizeof(err));
	lt_capture_dir_remove(dir);
	if (rc != 0)
		lt_notice(s->o.notices, LT_NOTICE_ERROR, "record: dump %u: %s", n, err);
	else if (!s->o.quiet)
		lt_notice(s->o.notices, LT_NOTICE_INFO, "dump %u (%s%s%s): %.2f s window, %llu events -> %s", n,
			lt_flight_trigger_name(t), detail[0] ? ": " : "", detail,
			(double)(end_ns - window_start) / 1e9, (unsigned long long)stats.events, path);
	return rc;
}

static void close_other_fds(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		close((int)fd);
}

/* Start dump n in a child; the recorder goes on draining. */
static void start_dump(struct lt_flight_session *s, enum lt_flight_trigger t, uint64_t trig_ns,
		       const char *detail, int requested)
{
	uint64_t end = now_ns();
	unsigned n = s->next_dump++;
	char path[PATH_MAX];
	dump_path(s, n, path, sizeof(path));
	struct snapshot sn;
	if (snapshot_take(s, &sn) != 0) {
		lt_notice(s->o.notices, LT_NOTICE_ERROR, "record: dump %u: out of memory", n);
		s->failed++;
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* Not for this child: terminal signals and dump requests. */
		static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_IGN);
		/* Nothing of the recorder's but its memory: an inherited eBPF link
		 * (attach) would keep its probe in the program while we import. */
		close_other_fds();
		_exit(write_dump(s, &sn, path, n, t, trig_ns, detail, end, 0, requested ? 0 : s->last_auto_end_ns) == 0
			      ? 0
			      : 1);
	}
	snapshot_free(&sn);
	if (pid < 0) {
		lt_notice(s->o.notices, LT_NOTICE_ERROR, "record: dump %u: fork: %s", n, strerror(errno));
		s->failed++;
		return;
	}
	s->child = pid;
	s->child_n = n;
	if (!requested)
		s->last_auto_end_ns = end;
	s->child_requested = requested;
	snprintf(s->child_path, sizeof(s->child_path), "%s", path);
}

void lt_flight_session_tick(struct lt_flight_session *s, int requested)
{
	uint64_t now = now_ns();
	lt_flight_expire(s->flight, now);
	if (requested)
		s->request_pending = 1;
	uint64_t trig_ns = 0;
	char detail[256] = "";
	enum lt_flight_trigger t = lt_flight_take_trigger(s->flight, &trig_ns, detail, sizeof(detail));
	if (s->child)
		return; /* one dump at a time: a request waits, an automatic trigger is dropped */
	if (s->request_pending) {
		s->request_pending = 0;
		start_dump(s, LT_TRIGGER_SIGNAL, now, "SIGUSR2 or looptrace dump", 1);
		return;
	}
	if (t != LT_TRIGGER_NONE && s->o.max_dumps > 0 && s->auto_dumps >= s->o.max_dumps)
		t = LT_TRIGGER_NONE; /* --max-dumps reached: lags and rejections are not dumped any more */
	if (t != LT_TRIGGER_NONE && s->due == LT_TRIGGER_NONE) {
		/* A trigger while the last automatic dump's window is still in
		 * the ring waits until it is not: that later window still holds
		 * the trigger (the rest is at most a window long). */
		s->due = t;
		uint64_t tail = LT_FLIGHT_TAIL_NS;
		if (s->o.window_s > 0 && (uint64_t)(s->o.window_s * 0.5e9) < tail)
			tail = (uint64_t)(s->o.window_s * 0.5e9);
		s->due_ns = now + tail > s->rest_until_ns ? now + tail : s->rest_until_ns;
		s->due_trigger_ns = trig_ns ? trig_ns : now;
		snprintf(s->due_detail, sizeof(s->due_detail), "%s", detail);
	}
	if (s->due != LT_TRIGGER_NONE && now >= s->due_ns) {
		/* Automatic dumps do not overlap: the next one waits until the
		 * ring holds nothing of this one's window (at least 1 s). */
		uint64_t from = lt_flight_window_start(s->flight, now);
		uint64_t rest = now - (from && from < now ? from : s->start_ns);
		s->rest_until_ns = now + (rest > 1000000000u ? rest : 1000000000u);
		enum lt_flight_trigger due = s->due;
		s->due = LT_TRIGGER_NONE;
		s->auto_dumps++;
		start_dump(s, due, s->due_trigger_ns, s->due_detail, 0);
	}
}

void lt_flight_session_poll(struct lt_flight_session *s)
{
	int st = 0;
	if (s->child && waitpid(s->child, &st, WNOHANG) == s->child)
		lt_flight_session_reaped(s, s->child, st);
}

int lt_flight_session_reaped(struct lt_flight_session *s, pid_t pid, int status)
{
	if (!s->child || pid != s->child)
		return 0;
	s->child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		s->rv.dumps++;
		if (s->child_requested)
			s->rv.requested++;
		snprintf(s->rv.last, sizeof(s->rv.last), "%s", s->child_path);
		lt_rendezvous_update(&s->rv);
	} else {
		s->failed++;
	}
	return 1;
}

int lt_flight_session_finish(struct lt_flight_session *s, int exit_status)
{
	if (s->due != LT_TRIGGER_NONE && !s->child) {
		/* The program ended within the trigger's tail: dump it now. */
		enum lt_flight_trigger due = s->due;
		s->due = LT_TRIGGER_NONE;
		start_dump(s, due, s->due_trigger_ns, s->due_detail, 0);
	}
	if (s->child) {
		int st = 0;
		while (waitpid(s->child, &st, 0) < 0 && errno == EINTR)
			;
		lt_flight_session_reaped(s, s->child, st);
	}
	unsigned n = s->next_dump++;
	char path[PATH_MAX];
	dump_path(s, n, path, sizeof(path));
	struct snapshot sn;
	int rc = snapshot_take(s, &sn);
	if (rc == 0) {
		rc = write_dump(s, &sn, path, n, LT_TRIGGER_EXIT, now_ns(), "", now_ns(), exit_status, 0);
		snapshot_free(&sn);
	} else {
		lt_notice(s->o.notices, LT_NOTICE_ERROR, "record: dump %u: out of memory", n);
	}
	if (rc != 0)
		s->failed++;
	return s->failed ? -1 : 0;
}

void lt_flight_session_close(struct lt_flight_session *s)
{
	lt_rendezvous_close(&s->rv);
	lt_flight_free(s->flight);
	s->flight = NULL;
}
