/*
 * sarif.h — an analysis's findings as a SARIF 2.1.0 log, the format code
 * scanning tools read (GitHub code scanning, editors' SARIF viewers).
 *
 * One run; the tool's rules are the finding kinds; one result per finding,
 * with its level (error, warning, note for info), message and fix text, the
 * user-code location as a physical location relative to the source root
 * (uriBaseId SRCROOT) when the file lies under it, an absolute file URI when
 * it does not, the library frame that ran as a related location, and the
 * finding's figures, process and thread as properties.  A stable
 * partialFingerprints entry (kind, file, line, function) lets a viewer
 * match a finding across runs.
 *
 * Ownership: borrows the FILE and the analysis; allocates nothing that
 * outlives the call.  Everything that came from the traced program is
 * escaped by the JSON writer (json.h) and percent-encoded in URIs.
 */
#ifndef LOOPTRACE_SARIF_H
#define LOOPTRACE_SARIF_H

#include <stdio.h>

#include "../analyzer/analysis.h"

/* `source_root`: an absolute directory (no trailing slash needed), or NULL
 * for none (every location absolute); `version`: the tool's version. */
void lt_report_sarif(FILE *out, const struct lt_analysis *a, const char *source_root, const char *version);

/* Percent-encode a path for a URI (RFC 3986: unreserved characters and
 * '/' kept) into out; returns 0, or -ENOSPC when it does not fit. */
int lt_sarif_uri_path(const char *path, char *out, size_t len);

#endif
