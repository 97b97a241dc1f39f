/*
 * user_code.c — the user-code rule: default (outside node_modules, Node's
 * internals and the agent) or the --user-code globs.
 */
#include "user_code.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

int lt_user_code_add(struct lt_user_code *uc, const char *glob)
{
	if (uc->n_globs == LT_USER_CODE_MAX_GLOBS)
		return -E2BIG;
	if (strlen(glob) >= LT_USER_CODE_GLOB_MAX)
		return -ENAMETOOLONG;
	snprintf(uc->globs[uc->n_globs++], LT_USER_CODE_GLOB_MAX, "%s", glob);
	return 0;
}

int lt_is_native_source(const char *file)
{
	static const char *const suffixes[] = {".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".pyx"};
	size_t n = file ? strlen(file) : 0;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i]);
		if (n > k && !strcmp(file + n - k, suffixes[i]))
			return 1;
	}
	return 0;
}

int lt_is_node_internal(const char *file)
{
	return !file || !*file || !strncmp(file, "node:", 5) || !strncmp(file, "internal/", 9);
}

/* The last "node_modules" path component, or NULL. */
static const char *last_node_modules(const char *file)
{
	const char *found = NULL;
	static const char word[] = "node_modules";
	const size_t len = sizeof(word) - 1;
	for (const char *p = strstr(file, word); p; p = strstr(p + 1, word)) {
		int starts = p == file || p[-1] == '/' || p[-1] == '\\';
		int ends = p[len] == '/' || p[len] == '\\';
		if (starts && ends)
			found = p;
	}
	return found;
}

int lt_library_package(const char *file, char *pkg, size_t pkglen)
{
	if (!file)
		return 0;
	const char *nm = last_node_modules(file);
	if (!nm)
		return 0;
	if (pkg && pkglen) {
		const char *name = nm + strlen("node_modules/");
		const char *end = strpbrk(name, "/\\");
		if (*name == '@' && end)
			end = strpbrk(end + 1, "/\\");
		size_t n = end ? (size_t)(end - name) : strlen(name);
		if (n >= pkglen)
			n = pkglen - 1;
		memcpy(pkg, name, n);
		pkg[n] = '\0';
	}
	return 1;
}

/* looptrace's own agent (it drops its frames itself; this is the backstop):
 * ".../agent.js" next to the build or install of looptrace. */
static int is_agent_file(const char *file)
{
	static const char *const suffixes[] = {"/probes/agent/agent.js", "/lib/looptrace/agent.js"};
	size_t n = strlen(file);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i]);
		if (n >= k && !strcmp(file + n - k, suffixes[i]))
			return 1;
	}
	return 0;
}

int lt_is_system_library(const char *file)
{
	static const char *const dirs[] = {"/usr/lib/", "/lib/", "/lib64/", "/usr/lib64/"};
	if (!file)
		return 0;
	if (!strncmp(file, "linux-", 6) && !strchr(file, '/'))
		return 1; /* linux-vdso.so.1, linux-gate.so.1 */
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t k = strlen(dirs[i]);
		if (strncmp(file, dirs[i], k))
			continue;
		const char *rest = file + k, *slash = strchr(rest, '/');
		const char *triplet = strstr(rest, "-linux-gnu");
		if (slash && triplet && triplet < slash)
			rest = slash + 1; /* the multiarch directory */
		if (strchr(rest, '/') || !strstr(rest, ".so"))
			return 0;
		return !strncmp(rest, "lib", 3) || !strncmp(rest, "ld-", 3);
	}
	return 0;
}

int lt_is_user_file(const struct lt_user_code *uc, const char *file)
{
	if (lt_is_node_internal(file) || lt_is_system_library(file))
		return 0;
	if (uc && uc->n_globs) {
		for (size_t i = 0; i < uc->n_globs; i++)
			if (fnmatch(uc->globs[i], file, 0) == 0)
				return 1;
		return 0;
	}
	return !last_node_modules(file) && !is_agent_file(file);
}
