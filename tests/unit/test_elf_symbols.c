/*
 * test_elf_symbols.c — symbol name -> file offset: static and exported
 * functions of this very test binary (the bytes at the offset are the
 * function's code), names that are absent, files that are not ELF, and the
 * node binary's libuv internals and mangled V8/Node names when it is there.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "recorder/attach_probes.h"
#include "recorder/elf_symbols.h"
#include "testutil.h"

__attribute__((noinline, used)) static int lt_test_static_target(int x)
{
	return x * 7 + 3;
}

__attribute__((noinline)) int lt_test_global_target(int x);
__attribute__((noinline)) int lt_test_global_target(int x)
{
	return lt_test_static_target(x) ^ 0x55;
}

/* The function's first bytes in the file are its code in memory. */
static void assert_code_at(uint64_t offset, const void *fn)
{
	unsigned char file[16];
	int fd = open("/proc/self/exe", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, file, sizeof(file), (off_t)offset), (ssize_t)sizeof(file));
	close(fd);
	assert_memory_equal(file, fn, sizeof(file));
}

static void test_own_functions(void **state)
{
	(void)state;
	const char *names[] = {"lt_test_static_target", "lt_test_global_target", "no_such_function_here", "main"};
	uint64_t off[4];
	assert_int_equal(lt_elf_find_functions("/proc/self/exe", names, 4, off), 3);
	assert_true(off[0] != 0);
	assert_true(off[1] != 0);
	assert_int_equal(off[2], 0);
	assert_true(off[3] != 0);
	assert_code_at(off[0], (const void *)lt_test_static_target);
	assert_code_at(off[1], (const void *)lt_test_global_target);
	assert_int_equal(lt_test_global_target(1), (10 ^ 0x55));
}

static void test_not_elf(void **state)
{
	(void)state;
	const char *dir = test_tmpdir();
	char path[4200];
	snprintf(path, sizeof(path), "%s/not-elf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho this is not an ELF file, but it is long enough for a header\n", f);
	fclose(f);
	const char *names[] = {"main"};
	uint64_t off[1];
	assert_int_equal(lt_elf_find_functions(path, names, 1, off), -ENOEXEC);
	/* truncated ELF: the magic, then nothing */
	f = fopen(path, "w");
	fwrite("\177ELF\2\1\1", 1, 7, f);
	fclose(f);
	assert_int_equal(lt_elf_find_functions(path, names, 1, off), -ENOEXEC);
	assert_int_equal(lt_elf_find_functions("/nonexistent/looptrace", names, 1, off), -ENOENT);
	test_rmdir(dir);
}

static void test_node_binary(void **state)
{
	(void)state;
	if (access("/usr/bin/node", R_OK) != 0)
		skip();
	const char *names[] = {"uv__io_poll", "uv_run",
			       "_ZN2v88internal14MicrotaskQueue13RunMicrotasksEPNS0_7IsolateE"};
	uint64_t off[3];
	int found = lt_elf_find_functions("/usr/bin/node", names, 3, off);
	if (found == 0)
		skip(); /* a stripped distribution build */
	assert_true(off[1] != 0); /* uv_run is exported wherever libuv is linked in */
	assert_true(found >= 1);
}

/* The whole attach catalog against the installed node: a Node upgrade that
 * renames a probed symbol shows up here, naming it. */
static void test_catalog_in_node(void **state)
{
	(void)state;
	if (access("/usr/bin/node", R_OK) != 0)
		skip();
	static struct lt_probe_sites sites;
	int rc = lt_probes_resolve(0, "/usr/bin/node", &sites);
	if (rc == -ENOEXEC)
		skip(); /* a node without libuv inside (a distribution build) */
	assert_int_equal(rc, 0);
	for (size_t i = 0; i < LT_N_PROBES; i++)
		if (!sites.offset[i])
			print_message("not in /usr/bin/node: %s (%s)\n", lt_probes[i].symbols[0], lt_probes[i].what);
	assert_int_equal(sites.found, LT_N_PROBES); /* Node 20 from NodeSource: every one */
	assert_string_equal(sites.module[0], "/usr/bin/node");
	assert_int_equal(lt_probes_resolve(0, "/etc/hostname", &sites), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_functions),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_node_binary),
		cmocka_unit_test(test_catalog_in_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
