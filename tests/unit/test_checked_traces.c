/*
 * test_checked_traces.c — the record of checked traces: a hit for the bytes
 * recorded, a miss after any write (even with the mtime put back), a
 * corrupt or short record ignored and rewritten, a record directory that is
 * a link or writable by others refused, the opt-out, and the bound.  And
 * through lt_store_open: a recorded trace skips the value check, a changed
 * one is checked again.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/checked_traces.h"
#include "analyzer/store.h"
#include "testutil.h"

static char dir[4096], cache[4200], path[4200], record[4300];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", test_tmpdir());
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(path, sizeof(path), "%s/trace.db", dir);
	snprintf(record, sizeof(record), "%s/looptrace/checked-traces", cache);
	assert_int_equal(mkdir(cache, 0700), 0);
	setenv("XDG_CACHE_HOME", cache, 1);
	unsetenv("LOOPTRACE_FULL_CHECK");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[8400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* A trace with one dispatch whose begin_ns is `begin` (negative: a value
 * the check refuses). */
static void make_trace(const char *at, long long begin)
{
	sqlite3 *db;
	assert_int_equal(lt_store_create(at, &db), 0);
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO threads(pid,tid,start_ns,end_ns) VALUES(1,1,0,100);"
		 "INSERT INTO dispatches(seq,pid,tid,queue,type,depth,iteration,phase,begin_ns,end_ns)"
		 " VALUES(1,1,1,'timer','Timeout',1,1,'timers',%lld,50);",
		 begin);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(lt_store_finish(db), 0);
	sqlite3_close(db);
}

static int add_path(const char *at)
{
	int fd = open(at, O_RDONLY);
	assert_true(fd >= 0);
	int rc = lt_checked_traces_add(fd, NULL);
	close(fd);
	return rc;
}

static int known(const char *at)
{
	int fd = open(at, O_RDONLY);
	assert_true(fd >= 0);
	struct lt_trace_key key;
	assert_int_equal(lt_trace_key_read(fd, &key), 0);
	close(fd);
	return lt_checked_traces_find(&key);
}

static void a_recorded_trace_is_known_and_private(void **state)
{
	(void)state;
	make_trace(path, 10);
	assert_int_equal(known(path), 0);
	assert_int_equal(add_path(path), 0);
	assert_int_equal(known(path), 1);
	struct stat st;
	assert_int_equal(stat(record, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char d[4300];
	snprintf(d, sizeof(d), "%s/looptrace", cache);
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void a_byte_changed_with_its_mtime_put_back_is_unknown(void **state)
{
	(void)state;
	make_trace(path, 10);
	assert_int_equal(add_path(path), 0);
	struct stat before;
	assert_int_equal(stat(path, &before), 0);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	char byte;
	int rfd = open(path, O_RDONLY);
	assert_int_equal(pread(rfd, &byte, 1, before.st_size - 1), 1);
	close(rfd);
	byte ^= 1;
	assert_int_equal(pwrite(fd, &byte, 1, before.st_size - 1), 1);
	close(fd);
	struct timespec times[2] = {before.st_atim, before.st_mtim};
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	struct stat after;
	assert_int_equal(stat(path, &after), 0);
	/* Same size, mtime and header: only the ctime tells. */
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(known(path), 0);
}

static void a_corrupt_or_short_record_is_ignored_and_rewritten(void **state)
{
	(void)state;
	make_trace(path, 10);
	assert_int_equal(add_path(path), 0);
	assert_int_equal(known(path), 1);
	/* one byte of a key flipped: the checksum no longer holds */
	int fd = open(record, O_RDWR);
	assert_true(fd >= 0);
	char byte;
	assert_int_equal(pread(fd, &byte, 1, 40), 1);
	byte ^= 0x40;
	assert_int_equal(pwrite(fd, &byte, 1, 40), 1);
	close(fd);
	assert_int_equal(known(path), 0);
	assert_int_equal(add_path(path), 0);
	assert_int_equal(known(path), 1);
	/* cut short */
	assert_int_equal(truncate(record, 30), 0);
	assert_int_equal(known(path), 0);
	assert_int_equal(add_path(path), 0);
	assert_int_equal(known(path), 1);
	/* not private: writable by the group */
	assert_int_equal(chmod(record, 0620), 0);
	assert_int_equal(known(path), 0);
}

static void a_linked_or_shared_record_directory_is_refused(void **state)
{
	(void)state;
	make_trace(path, 10);
	char elsewhere[4300], link[4300];
	snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", dir);
	snprintf(link, sizeof(link), "%s/looptrace", cache);
	assert_int_equal(mkdir(elsewhere, 0700), 0);
	assert_int_equal(symlink(elsewhere, link), 0);
	assert_int_equal(add_path(path), -EPERM);
	assert_int_equal(known(path), 0);
	char planted[4400];
	snprintf(planted, sizeof(planted), "%s/checked-traces", elsewhere);
	assert_int_equal(access(planted, F_OK), -1);
	/* a real directory, but writable by others */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(mkdir(link, 0700), 0);
	assert_int_equal(chmod(link, 0777), 0);
	assert_int_equal(add_path(path), -EPERM);
	assert_int_equal(known(path), 0);
	/* the base itself shared */
	assert_int_equal(chmod(link, 0700), 0);
	assert_int_equal(chmod(cache, 0777), 0);
	assert_int_equal(add_path(path), -EPERM);
	assert_int_equal(chmod(cache, 0700), 0);
	assert_int_equal(add_path(path), 0);
	assert_int_equal(known(path), 1);
}

static void no_home_or_the_opt_out_means_no_record(void **state)
{
	(void)state;
	make_trace(path, 10);
	setenv("LOOPTRACE_FULL_CHECK", "1", 1);
	assert_int_equal(add_path(path), -ECANCELED);
	unsetenv("LOOPTRACE_FULL_CHECK");
	assert_int_equal(add_path(path), 0);
	setenv("LOOPTRACE_FULL_CHECK", "1", 1);
	assert_int_equal(known(path), 0);
	unsetenv("LOOPTRACE_FULL_CHECK");
	assert_int_equal(known(path), 1);
	/* a relative XDG_CACHE_HOME is ignored, and without HOME there is none */
	char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	setenv("XDG_CACHE_HOME", "relative", 1);
	unsetenv("HOME");
	assert_int_equal(add_path(path), -ENOENT);
	assert_int_equal(known(path), 0);
	if (home) {
		setenv("HOME", home, 1);
		free(home);
	}
}

static void a_written_trace_others_may_write_is_not_vouched_for(void **state)
{
	(void)state;
	make_trace(path, 10);
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(add_path(path), -EPERM);
	assert_int_equal(known(path), 0);
	/* after a check (a key taken before it) another's file may be recorded */
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct lt_trace_key key;
	assert_int_equal(lt_trace_key_read(fd, &key), 0);
	assert_int_equal(lt_checked_traces_add(fd, &key), 0);
	close(fd);
	assert_int_equal(known(path), 1);
}

static void a_record_locked_for_long_is_left_alone(void **state)
{
	(void)state;
	char other[4300], d[4300];
	snprintf(other, sizeof(other), "%s/other.db", dir);
	make_trace(other, 10);
	assert_int_equal(add_path(other), 0); /* makes the directory */
	make_trace(path, 10);
	snprintf(d, sizeof(d), "%s/looptrace", cache);
	int held = open(d, O_RDONLY | O_DIRECTORY);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0); /* a looptrace stopped while registering */
	assert_int_equal(add_path(path), -EWOULDBLOCK);
	assert_int_equal(known(path), 0);
	assert_int_equal(known(other), 1); /* reading needs no lock */
	close(held);
	assert_int_equal(add_path(path), 0);
	assert_int_equal(known(path), 1);
}

static void a_key_that_changed_during_the_check_is_not_recorded(void **state)
{
	(void)state;
	make_trace(path, 10);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	struct lt_trace_key key;
	assert_int_equal(lt_trace_key_read(fd, &key), 0);
	key.ctime_ns ^= 1;
	assert_int_equal(lt_checked_traces_add(fd, &key), -ESTALE);
	close(fd);
	assert_int_equal(known(path), 0);
}

static void the_record_keeps_the_newest_keys(void **state)
{
	(void)state;
	enum { N = LT_CHECKED_TRACES_MAX + 4 };
	char name[4400];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%s/f%d", dir, i);
		FILE *f = fopen(name, "w");
		assert_non_null(f);
		for (int k = 0; k < 128; k++)
			fputc('a' + i % 26, f);
		fclose(f);
	}
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%s/f%d", dir, i);
		assert_int_equal(add_path(name), 0);
	}
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%s/f%d", dir, i);
		assert_int_equal(known(name), i >= N - LT_CHECKED_TRACES_MAX);
	}
	struct stat st;
	assert_int_equal(stat(record, &st), 0);
	assert_int_equal(st.st_size, 24 + LT_CHECKED_TRACES_MAX * (off_t)sizeof(struct lt_trace_key));
}

static void open_skips_the_value_check_only_for_the_recorded_bytes(void **state)
{
	(void)state;
	char err[512] = "";
	sqlite3 *db = NULL;
	/* a bad trace passed off as checked (as only this user could) opens */
	make_trace(path, -5);
	assert_int_equal(lt_store_open(path, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "begin_ns -5 is out of range"));
	assert_int_equal(add_path(path), 0);
	assert_int_equal(lt_store_open(path, &db, err, sizeof(err)), 0);
	sqlite3_close(db);
	/* any write to it makes it a stranger again */
	sqlite3 *w;
	assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
	assert_int_equal(sqlite3_exec(w, "UPDATE dispatches SET end_ns = 60", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(w);
	assert_int_equal(lt_store_open(path, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "begin_ns -5 is out of range"));
	/* a good trace that passes the check is recorded by the open */
	char good[4300];
	snprintf(good, sizeof(good), "%s/good.db", dir);
	make_trace(good, 10);
	assert_int_equal(known(good), 0);
	assert_int_equal(lt_store_open(good, &db, err, sizeof(err)), 0);
	sqlite3_close(db);
	assert_int_equal(known(good), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_recorded_trace_is_known_and_private, setup, teardown),
		cmocka_unit_test_setup_teardown(a_byte_changed_with_its_mtime_put_back_is_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(a_corrupt_or_short_record_is_ignored_and_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(a_linked_or_shared_record_directory_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(no_home_or_the_opt_out_means_no_record, setup, teardown),
		cmocka_unit_test_setup_teardown(a_written_trace_others_may_write_is_not_vouched_for, setup, teardown),
		cmocka_unit_test_setup_teardown(a_record_locked_for_long_is_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(a_key_that_changed_during_the_check_is_not_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(the_record_keeps_the_newest_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(open_skips_the_value_check_only_for_the_recorded_bytes, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
