/*
 * user_code.h — which source files are the program's own code.
 *
 * By default a file is user code when it is named (not ""), is not one of
 * Node's internals ("node:...", "internal/..."), has no "node_modules" path
 * component, and is not looptrace's agent.  When globs are given
 * (--user-code GLOB, repeatable) a file is user code iff it matches one of
 * them (fnmatch without FNM_PATHNAME, so '*' also crosses '/').
 *
 * Ownership: struct lt_user_code holds copies of its globs (fixed-size, no
 * allocation), so it can be copied by value with the analysis options.
 * Errors: lt_user_code_add returns 0, -E2BIG (too many globs) or
 * -ENAMETOOLONG (glob too long).
 */
#ifndef LOOPTRACE_USER_CODE_H
#define LOOPTRACE_USER_CODE_H

#include <stddef.h>

#define LT_USER_CODE_MAX_GLOBS 16
#define LT_USER_CODE_GLOB_MAX 512

struct lt_user_code {
	char globs[LT_USER_CODE_MAX_GLOBS][LT_USER_CODE_GLOB_MAX];
	size_t n_globs;
};

/* 1 when `file` is the path of one of the system's shared libraries: a
 * "lib*.so*" or "ld-*.so*" right in /lib, /usr/lib, /lib64, /usr/lib64 or
 * their multiarch directory (libc, libuv, libstdc++; not a package's
 * extension deeper down), or the vDSO ("linux-vdso.so.1").  The importer
 * keeps such a module's path as the file of its machine-code frames. */
int lt_is_system_library(const char *file);

int lt_user_code_add(struct lt_user_code *uc, const char *glob);

/* 1 when `file` is user code under `uc` (NULL: the default rule).  Never
 * Node's internals or a system library (lt_is_system_library). */
int lt_is_user_file(const struct lt_user_code *uc, const char *file);

/* 1 when `file` is native source (C, C++, Cython: a frame of a program on
 * the shared libuv, or of a USDT-instrumented one), whose fixes are not
 * JavaScript's. */
int lt_is_native_source(const char *file);

/* 1 when `file` is one of Node's own ("node:...", "internal/...") or has no name. */
int lt_is_node_internal(const char *file);

/* 1 when `file` lies under a node_modules directory; then, if pkg is not
 * NULL, the package's name ("express", "@fastify/router") goes into pkg. */
int lt_library_package(const char *file, char *pkg, size_t pkglen);

#endif
