/* tools.h — the bundled tools (the .lua files of scripts/), found by name and listed,
 * for `pktlua -t`.
 *
 * A tool is looked for where `cmake --install` puts them, relative to the
 * running binary (<bindir>/../share/pktlua/tools/NAME.lua), then among the
 * copies embedded in the binary at build time ("tools/NAME.lua"), so a
 * build-tree binary runs its own tools from anywhere and an installed one
 * runs the installed files. The compiled-in prefix is not searched: a build
 * tree binary must not pick up an older installed copy.
 *
 * Plain C; errors are negative errno values. */
#ifndef PKTLUA_TOOLS_H
#define PKTLUA_TOOLS_H

#include <limits.h>
#include <stddef.h>

#define PL_TOOL_NAME_MAX 64

struct pl_tool {
	char name[PL_TOOL_NAME_MAX];  /* "execsnoop" */
	char path[PATH_MAX];          /* the installed file, or "" when embedded */
	const char *text;             /* the embedded text (static), or NULL */
	size_t len;                   /* its length */
	char summary[256];            /* from the "-- name.lua — purpose" header */
};

/* Find tool NAME (letters, digits, '_', '-'; a trailing ".lua" is allowed).
 * Returns 0 and fills T, -EINVAL for a name that cannot be a tool, -ENOENT
 * when there is no such tool. */
int pl_tools__find(const char *name, struct pl_tool *t);

/* Every tool, installed and embedded (one entry per name, the installed one
 * winning), sorted by name, in a malloc'd array the caller frees. Returns
 * the count (>= 0) or a negative errno. */
int pl_tools__list(struct pl_tool **out);

/* The installed tools' directory next to the running binary, if it exists:
 * writes it to BUF and returns 0, else -ENOENT. */
int pl_tools__dir(char *buf, size_t len);

#endif
