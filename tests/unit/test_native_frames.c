/*
 * test_native_frames.c — native frames (module + bias-relative address, as
 * the preload's uv_* interposers write them) resolved through DWARF: a call
 * site and a static function of this very test binary, a module that is
 * missing, a link, a directory, and callback texts that are malformed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/user_code.h"
#include "probes/wire.h"
#include "recorder/native_frames.h"

static int site_line;

__attribute__((noinline)) static const void *where_am_i(void) { return __builtin_return_address(0); }

/* The address right after a call made on a known line, like the interposers'
 * return addresses. */
__attribute__((noinline)) static const void *call_site(void)
{
	site_line = __LINE__ + 1;
	const void *ra = where_am_i();
	__asm__ volatile("" : : "r"(ra)); /* not a tail call: the return address stays here */
	return ra;
}

__attribute__((noinline, used)) static int a_static_callback(int x) { return x + 1; }

static uintptr_t bias_of(const void *addr, char path[PATH_MAX])
{
	Dl_info info;
	struct link_map *map = NULL;
	assert_true(dladdr1(addr, &info, (void **)&map, RTLD_DL_LINKMAP) && map);
	assert_non_null(realpath("/proc/self/exe", path));
	return map->l_addr;
}

static void test_call_site_has_file_and_line(void **state)
{
	(void)state;
	char path[PATH_MAX];
	const void *ra = call_site();
	uintptr_t bias = bias_of(ra, path);
	struct lt_native_frames *cache = NULL;
	struct lt_native_place place;
	lt_native_frame_place(&cache, path, strlen(path), (uintptr_t)ra - bias - 1, "", 0, &place);
	assert_string_equal(place.function, "call_site");
	assert_non_null(strstr(place.file, "tests/unit/test_native_frames.c"));
	assert_int_equal(place.file[0], '/');
	assert_int_equal(place.line, site_line);
	assert_true(lt_is_native_source(place.file));
	lt_native_frames_free(cache);
}

static void test_static_callback_is_named(void **state)
{
	(void)state;
	char path[PATH_MAX], text[PATH_MAX + 32], name[256];
	uintptr_t bias = bias_of((const void *)a_static_callback, path);
	snprintf(text, sizeof(text), "%c%lx %s", LT_NATIVE_CALLBACK,
		 (unsigned long)((uintptr_t)a_static_callback - bias), path);
	struct lt_native_frames *cache = NULL;
	assert_int_equal(lt_native_callback_name(&cache, text, strlen(text), name, sizeof(name)), 0);
	assert_string_equal(name, "a_static_callback");
	lt_native_frames_free(cache);
}

static void test_malformed_callback_texts(void **state)
{
	(void)state;
	static const char *const bad[] = {"on_tick", "\x01", "\x01zz /bin/true", "\x01" "12", "\x01" "12 "};
	char name[64];
	struct lt_native_frames *cache = NULL;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(lt_native_callback_name(&cache, bad[i], strlen(bad[i]), name, sizeof(name)), -EINVAL);
	lt_native_frames_free(cache);
}

/* What cannot be opened keeps the capture's symbol and the module as file. */
static void test_unresolvable_modules(void **state)
{
	(void)state;
	char dir[] = "/tmp/lt-native-XXXXXX", link_path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(link_path, sizeof(link_path), "%s/exe", dir);
	assert_int_equal(symlink("/proc/self/exe", link_path), 0);
	const char *const modules[] = {"/nonexistent/libfoo.so", dir, link_path};
	struct lt_native_frames *cache = NULL;
	for (size_t i = 0; i < 3; i++) {
		struct lt_native_place place;
		lt_native_frame_place(&cache, modules[i], strlen(modules[i]), 0x1234, "sym", 3, &place);
		assert_string_equal(place.function, "sym");
		assert_string_equal(place.file, modules[i]);
		assert_int_equal(place.line, 0);
	}
	lt_native_frames_free(cache);
	unlink(link_path);
	rmdir(dir);
}

static void test_native_source_suffixes(void **state)
{
	(void)state;
	assert_true(lt_is_native_source("/src/loop.c"));
	assert_true(lt_is_native_source("x.cpp"));
	assert_false(lt_is_native_source("/app/server.js"));
	assert_false(lt_is_native_source("node:internal/timers"));
	assert_false(lt_is_native_source(".c"));
	assert_false(lt_is_native_source(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_site_has_file_and_line),
		cmocka_unit_test(test_static_callback_is_named),
		cmocka_unit_test(test_malformed_callback_texts),
		cmocka_unit_test(test_unresolvable_modules),
		cmocka_unit_test(test_native_source_suffixes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
