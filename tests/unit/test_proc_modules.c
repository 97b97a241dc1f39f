/*
 * test_proc_modules.c — what `attach` reads of a running process for
 * programs on the shared libuv and USDT probes (recorder/proc_modules.h,
 * recorder/uv_loop_walk.h), on this very test process: an address -> its
 * file offset (the bytes there are the function's code) and its link-time
 * address (as the dynamic linker's load bias says), the looptrace USDT note
 * this binary carries, and a libuv-shaped loop built in memory, walked with
 * process_vm_readv.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#if __has_include(<sys/sdt.h>)
#include <sys/sdt.h> /* systemtap-sdt-dev (scripts/setup.sh) */
#define HAVE_SDT 1
#else
#define STAP_PROBE1(provider, name, arg) (void)(arg)
#define HAVE_SDT 0
#endif

#include <cmocka.h>

#include "recorder/proc_modules.h"
#include "recorder/uv_loop_walk.h"

__attribute__((noinline)) int lt_test_probe_target(int x);
__attribute__((noinline)) int lt_test_probe_target(int x)
{
	STAP_PROBE1(looptrace, unit_test, x); /* a note of provider looptrace */
	return x * 5 + 1;
}

static void address_to_file_and_link_address(void **state)
{
	(void)state;
	struct lt_proc_modules mods = {0};
	assert_int_equal(lt_proc_modules_read(&mods, getpid()), 0);
	uint64_t addr = (uint64_t)(uintptr_t)&lt_test_probe_target;
	struct lt_proc_module *m = lt_proc_modules_find(&mods, addr);
	assert_non_null(m);
	/* the file's bytes at the offset are the code */
	unsigned char file[16];
	int fd = open("/proc/self/exe", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, file, sizeof(file), (off_t)lt_proc_module_file_offset(m, addr)), (ssize_t)sizeof(file));
	close(fd);
	assert_memory_equal(file, (const void *)(uintptr_t)addr, sizeof(file));
	/* the link-time address is the address less the load bias */
	Dl_info info;
	struct link_map *map = NULL;
	assert_true(dladdr1((void *)(uintptr_t)addr, &info, (void **)&map, RTLD_DL_LINKMAP));
	assert_int_equal(lt_proc_module_link_address(&mods, m, addr), addr - map->l_addr);
	assert_null(lt_proc_modules_find(&mods, 8)); /* nothing is mapped there */
	assert_int_equal(lt_test_probe_target(1), 6);
	lt_proc_modules_free(&mods);
}

static void usdt_provider_notes(void **state)
{
	(void)state;
	assert_int_equal(lt_elf_has_usdt_provider("/proc/self/exe", "looptrace"), HAVE_SDT);
	assert_int_equal(lt_elf_has_usdt_provider("/proc/self/exe", "nobody"), 0);
	assert_int_equal(lt_elf_has_usdt_provider("/proc/self/status", "looptrace"), -ENOEXEC);
	assert_int_equal(lt_elf_has_usdt_provider("/nonexistent/file", "looptrace"), -ENOENT);
}

/* A libuv 1.x (LP64) loop and handles, as far as the walk reads them. */
struct fake_handle {
	unsigned char bytes[232];
};

static void put64(struct fake_handle *h, size_t at, uint64_t v) { memcpy(h->bytes + at, &v, 8); }
static void put32(struct fake_handle *h, size_t at, uint32_t v) { memcpy(h->bytes + at, &v, 4); }

static void walks_a_loop(void **state)
{
	(void)state;
	static uint64_t loop[8];
	static struct fake_handle timer, internal, server;
	uint64_t head = (uint64_t)(uintptr_t)&loop[2];
	uint64_t q_timer = (uint64_t)(uintptr_t)&timer + 32, q_internal = (uint64_t)(uintptr_t)&internal + 32,
		 q_server = (uint64_t)(uintptr_t)&server + 32;
	/* head -> timer -> internal -> server -> head */
	loop[2] = q_timer;
	loop[3] = q_server;
	put64(&timer, 32, q_internal);
	put64(&timer, 40, head);
	put64(&internal, 32, q_server);
	put64(&internal, 40, q_timer);
	put64(&server, 32, head);
	put64(&server, 40, q_internal);
	put64(&timer, 8, (uint64_t)(uintptr_t)loop);
	put32(&timer, 16, 13);         /* UV_TIMER */
	put32(&timer, 88, 0x4 | 0x8);  /* active, ref'd */
	put64(&timer, 96, 0x1234);     /* timer_cb */
	put32(&internal, 16, 1);       /* UV_ASYNC */
	put32(&internal, 88, 0x4 | 0x10); /* libuv's own */
	put64(&internal, 96, 0x5678);
	put32(&server, 16, 12);        /* UV_TCP */
	put32(&server, 88, 0x4);
	put64(&server, 224, 0x9abc);   /* connection_cb */
	struct lt_uv_walked seen[4];
	int n = lt_uv_loop_handles(getpid(), (uint64_t)(uintptr_t)loop, seen, 4);
	assert_int_equal(n, 2);
	assert_int_equal(seen[0].handle, (uint64_t)(uintptr_t)&timer);
	assert_int_equal(seen[0].type, 13);
	assert_int_equal(seen[0].cb[0], 0x1234);
	assert_int_equal(seen[1].handle, (uint64_t)(uintptr_t)&server);
	assert_int_equal(seen[1].cb[0], 0);
	assert_int_equal(seen[1].cb[1], 0x9abc);
	assert_int_equal(lt_uv_handle_loop(getpid(), (uint64_t)(uintptr_t)&timer), (uint64_t)(uintptr_t)loop);
	/* a loop that cannot be read */
	assert_true(lt_uv_loop_handles(getpid(), 8, seen, 4) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(address_to_file_and_link_address),
		cmocka_unit_test(usdt_provider_notes),
		cmocka_unit_test(walks_a_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
