/*
 * proc_modules.h — the code a running process has mapped (its executable
 * and shared libraries, from /proc/PID/maps), for `attach` on programs whose
 * functions are learnt at run time (recorder/attach_uv.c): an address in the
 * process -> the module file, the file offset a uprobe attaches at, and the
 * module's link-time address (what the importer symbolises with DWARF,
 * recorder/native_frames.h).  Also whether a module carries USDT notes
 * (.note.stapsdt) of a given provider.
 *
 * The files are the traced program's: untrusted, read through
 * /proc/PID/root, every ELF table bounds-checked.
 * Ownership: struct lt_proc_modules owns its array (lt_proc_modules_free).
 * Errors: 0 or -errno.
 */
#ifndef LOOPTRACE_PROC_MODULES_H
#define LOOPTRACE_PROC_MODULES_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct lt_proc_module {
	uint64_t start, end, offset; /* an executable mapping and its file offset */
	uint64_t bias;               /* address - bias = link-time address; */
	int bias_known;              /* (computed on first use) */
	char path[PATH_MAX];         /* as the process names it */
};

struct lt_proc_modules {
	pid_t pid;
	struct lt_proc_module *m;
	size_t n, cap;
};

/* (Re)read the executable mappings of pid. */
int lt_proc_modules_read(struct lt_proc_modules *mods, pid_t pid);

/* The mapping holding addr, re-reading the maps once when none does (a
 * library loaded since); NULL when none. */
struct lt_proc_module *lt_proc_modules_find(struct lt_proc_modules *mods, uint64_t addr);

/* The path to open the module by from here (/proc/PID/root/...). */
void lt_proc_module_open_path(const struct lt_proc_modules *mods, const struct lt_proc_module *m, char *out,
			      size_t cap);

/* addr's file offset in its module, and its link-time address (0 when the
 * module's program headers do not place it). */
uint64_t lt_proc_module_file_offset(const struct lt_proc_module *m, uint64_t addr);
uint64_t lt_proc_module_link_address(const struct lt_proc_modules *mods, struct lt_proc_module *m, uint64_t addr);

/* 1 when the ELF file at path has a .note.stapsdt note of `provider`, 0 if
 * not, -errno when it cannot be read. */
int lt_elf_has_usdt_provider(const char *path, const char *provider);

void lt_proc_modules_free(struct lt_proc_modules *mods);

#endif
