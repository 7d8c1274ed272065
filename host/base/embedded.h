/* embedded.h — files compiled into the binary at build time.
 *
 * Names are namespaced: "include/<path>" for headers served to clang
 * (runtime/pktlua/ headers, libbpf BPF-side headers), "lua/<module>" for stdlib modules.
 * The data is static and NUL-terminated; nobody frees it. */
#ifndef PKTLUA_EMBEDDED_H
#define PKTLUA_EMBEDDED_H

#include <stddef.h>

struct pl_embedded_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};

extern const struct pl_embedded_file pl_embedded_files[]; /* sorted by name */
extern const size_t pl_embedded_count;

/* SHA-256 of the embedded headers and the compiler's own sources, made at
 * build time by tools/embed.c: the compile cache's build identity. */
extern const unsigned char pl_embedded_digest[32];

/* The file called exactly NAME, or NULL. */
const struct pl_embedded_file *pl_embedded_find(const char *name);

#endif
