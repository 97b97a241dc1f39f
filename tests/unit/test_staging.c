/*
 * test_staging.c — capture directories and the leftovers of killed
 * recorders (recorder/staging.c): only directories of ours, named for a
 * recorder process that is gone, are removed; links, files, live
 * recorders' and other users' directories stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "recorder/notice.h"
#include "recorder/staging.h"
#include "testutil.h"

struct dirs {
	char root[PATH_MAX], shm[PATH_MAX + 8], tmp[PATH_MAX + 8], out[PATH_MAX + 8];
};

static int setup(void **state)
{
	static struct dirs d;
	static char tmpdir[PATH_MAX] = "";
	if (!tmpdir[0]) { /* the one the tests were started with */
		const char *t = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s", t && *t ? t : "/tmp");
	}
	setenv("TMPDIR", tmpdir, 1);
	snprintf(d.root, sizeof(d.root), "%s", test_tmpdir());
	snprintf(d.shm, sizeof(d.shm), "%s/shm", d.root);
	snprintf(d.tmp, sizeof(d.tmp), "%s/tmp", d.root);
	snprintf(d.out, sizeof(d.out), "%s/out", d.root);
	if (mkdir(d.shm, 0700) || mkdir(d.tmp, 0700) || mkdir(d.out, 0700))
		return -1;
	setenv("LOOPTRACE_RING_DIR", d.shm, 1);
	setenv("TMPDIR", d.tmp, 1);
	*state = &d;
	return 0;
}

static int teardown(void **state)
{
	struct dirs *d = *state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->root);
	return system(cmd) == 0 ? 0 : -1;
}

/* A pid that is certainly gone: a child that exited and was reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void make_dir(const char *parent, const char *name, size_t file_bytes)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", parent, name);
	assert_int_equal(mkdir(path, 0700), 0);
	if (!file_bytes)
		return;
	strcat(path, "/1-1.ltr");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	char *buf = calloc(1, file_bytes);
	assert_int_equal(write(fd, buf, file_bytes), (ssize_t)file_bytes);
	free(buf);
	close(fd);
}

static int exists(const char *parent, const char *name)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", parent, name);
	struct stat st;
	return lstat(path, &st) == 0;
}

static void leftovers_of_gone_recorders_only(void **state)
{
	struct dirs *d = *state;
	pid_t gone = dead_pid();
	char n[8][64];
	/* removed: record's ring dir, attach's capture on the ring fs and
	 * under $TMPDIR, a raw dir beside the output */
	snprintf(n[0], 64, "looptrace-%d-abcdef", (int)gone);
	snprintf(n[1], 64, "looptrace-attach-%d-ghijkl", (int)gone);
	snprintf(n[2], 64, "looptrace-attach-%d-mnopqr", (int)gone);
	snprintf(n[3], 64, ".looptrace-raw-%d-stuvwx", (int)gone);
	make_dir(d->shm, n[0], 8192);
	make_dir(d->shm, n[1], 4096);
	make_dir(d->tmp, n[2], 0);
	make_dir(d->out, n[3], 4096);
	/* kept: a live recorder (this process, its parent), other names */
	snprintf(n[4], 64, "looptrace-attach-%d-aaaaaa", (int)getpid());
	snprintf(n[5], 64, "looptrace-%d-bbbbbb", (int)getppid());
	snprintf(n[6], 64, "looptrace-%d-abc", (int)gone); /* not mkdtemp's six */
	snprintf(n[7], 64, "looptrace-fuzz-cccccc");
	for (int i = 4; i < 8; i++)
		make_dir(d->shm, n[i], 0);
	/* kept: a link planted under a leftover's name, pointing at a
	 * directory whose file must survive, and a plain file */
	char victim[PATH_MAX + 8], link[PATH_MAX * 2], file[PATH_MAX * 2];
	snprintf(victim, sizeof(victim), "%s/victim", d->root);
	make_dir(d->root, "victim", 100);
	snprintf(link, sizeof(link), "%s/looptrace-attach-%d-linkkk", d->shm, (int)gone);
	assert_int_equal(symlink(victim, link), 0);
	snprintf(file, sizeof(file), "%s/looptrace-%d-fileee", d->shm, (int)gone);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	/* kept: another user's directory (root only can make one) */
	char theirs[64];
	snprintf(theirs, sizeof(theirs), "looptrace-attach-%d-theirs", (int)gone);
	make_dir(d->shm, theirs, 0);
	char theirs_path[PATH_MAX * 2];
	snprintf(theirs_path, sizeof(theirs_path), "%s/%s", d->shm, theirs);
	int other_user = chown(theirs_path, 65534, 65534) == 0;

	unsigned removed;
	uint64_t bytes;
	char first[PATH_MAX];
	lt_staging_clean_leftovers(d->out, &removed, &bytes, first, sizeof(first));
	assert_int_equal(removed, 4);
	assert_true(bytes >= 16384);
	assert_non_null(strstr(first, "looptrace-"));
	assert_false(exists(d->shm, n[0]));
	assert_false(exists(d->shm, n[1]));
	assert_false(exists(d->tmp, n[2]));
	assert_false(exists(d->out, n[3]));
	for (int i = 4; i < 8; i++)
		assert_true(exists(d->shm, n[i]));
	assert_true(exists(victim, "1-1.ltr"));
	assert_true(exists(d->shm, strrchr(link, '/') + 1));
	assert_true(exists(d->shm, strrchr(file, '/') + 1));
	if (other_user)
		assert_true(exists(d->shm, theirs));

	/* a second pass finds nothing */
	lt_staging_clean_leftovers(d->out, &removed, &bytes, first, sizeof(first));
	assert_int_equal(removed, 0);
	assert_int_equal(bytes, 0);
	assert_string_equal(first, "");
}

static char said[1024];
static int says;

static void say(void *arg, enum lt_notice_kind kind, const char *text)
{
	(void)arg;
	assert_int_equal(kind, LT_NOTICE_INFO);
	snprintf(said, sizeof(said), "%s", text);
	says++;
}

static void one_line_says_what_went(void **state)
{
	struct dirs *d = *state;
	const struct lt_notices n = {say, NULL};
	char name[64];
	snprintf(name, sizeof(name), "looptrace-attach-%d-zzzzzz", (int)dead_pid());
	make_dir(d->shm, name, 1 << 20);
	says = 0;
	lt_staging_clean_leftovers_noting(d->out, &n, 0);
	assert_int_equal(says, 1);
	assert_non_null(strstr(said, "removed 1 leftover capture directory of recorders that are gone (1.0 MiB, "));
	assert_non_null(strstr(said, name));
	/* nothing left: nothing said; quiet: nothing said either */
	lt_staging_clean_leftovers_noting(d->out, &n, 0);
	make_dir(d->shm, name, 0);
	lt_staging_clean_leftovers_noting(d->out, &n, 1);
	assert_int_equal(says, 1);
	assert_false(exists(d->shm, name));
}

static void attach_directory_is_named_for_its_recorder(void **state)
{
	struct dirs *d = *state;
	char dir[PATH_MAX], want[PATH_MAX + 64];
	assert_int_equal(lt_staging_create_attach(dir, sizeof(dir)), 0);
	snprintf(want, sizeof(want), "%s/looptrace-attach-%d-", d->shm, (int)getpid());
	assert_memory_equal(dir, want, strlen(want));
	assert_int_equal(strlen(dir), strlen(want) + 6);
	struct stat st;
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(rmdir(dir), 0);

	/* no ring file system: $TMPDIR */
	char gone[PATH_MAX + 16];
	snprintf(gone, sizeof(gone), "%s/missing", d->root);
	setenv("LOOPTRACE_RING_DIR", gone, 1);
	assert_int_equal(lt_staging_create_attach(dir, sizeof(dir)), 0);
	snprintf(want, sizeof(want), "%s/looptrace-attach-%d-", d->tmp, (int)getpid());
	assert_memory_equal(dir, want, strlen(want));
	assert_int_equal(rmdir(dir), 0);

	/* neither: -errno */
	setenv("TMPDIR", gone, 1);
	assert_int_equal(lt_staging_create_attach(dir, sizeof(dir)), -ENOENT);
	setenv("LOOPTRACE_RING_DIR", d->shm, 1);
	setenv("TMPDIR", d->tmp, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(leftovers_of_gone_recorders_only, setup, teardown),
		cmocka_unit_test_setup_teardown(one_line_says_what_went, setup, teardown),
		cmocka_unit_test_setup_teardown(attach_directory_is_named_for_its_recorder, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
