/* uapi.h — the kernel's UAPI headers pktlua serves to clang: <linux/...>,
 * <asm/...> (this machine's multiarch asm/), <asm-generic/...> and the rest
 * of the linux-libc-dev package (rdma/, sound/, ...), made at build time by
 * tools/uapi.c.
 *
 * Two generated tables, in two places:
 *  - in the compiler shim (uapi_files.c): the headers themselves, each type
 *    definition in them guarded by __PL_VMLINUX_tag_NAME /
 *    __PL_VMLINUX_id_NAME, and the names those guards test. The shim serves
 *    the headers on demand (a compile that includes none reads none) and
 *    defines the guards at the end of vmlinux.h for what it defines;
 *  - in the host (uapi_names.c): only the headers' names. */
#ifndef PKTLUA_UAPI_H
#define PKTLUA_UAPI_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A served header, as offsets (the tables hold no pointers: nothing for the
 * loader to relocate): its name relative to the include directory
 * ("linux/bpf.h") at pl_uapi_file_names + NAME, its LEN bytes of text at
 * pl_uapi_text + TEXT, NUL-terminated. */
struct pl_uapi_file {
	unsigned name;
	unsigned text;
	unsigned len;
};

/* In the shim: the headers, sorted by name; the guard names, "tNAME" (a
 * struct, union or enum tag) and "iNAME" (a typedef or enumerator),
 * NUL-separated and sorted, and the offset of each. */
extern const struct pl_uapi_file pl_uapi_files[];
extern const size_t pl_uapi_count;
extern const char pl_uapi_file_names[];
extern const char pl_uapi_text[];
extern const char pl_uapi_names[];
extern const unsigned pl_uapi_name_off[];
extern const size_t pl_uapi_name_count;

/* Guard macro prefixes, as the headers test them. */
#define PL_UAPI_GUARD_TAG "__PL_VMLINUX_tag_"
#define PL_UAPI_GUARD_ID "__PL_VMLINUX_id_"

/* In the host: the headers' names, NUL-separated and sorted, the offset of
 * each. */
extern const char pl_uapi_headers[];
extern const unsigned pl_uapi_header_off[];
extern const size_t pl_uapi_header_count;

/* Whether the sorted table of COUNT names at BLOB + OFF[i] (pl_uapi_names,
 * pl_uapi_headers) holds KIND followed by the LEN bytes at NAME (KIND 0:
 * NAME alone). Bytes compare unsigned, a shorter name first, as strcmp()
 * and tools/uapi.c's sort do. Inline, so the C++ shim and the host share
 * it without sharing an object. */
static inline bool pl_uapi__has(const char *blob, const unsigned *off, size_t count,
				char kind, const char *name, size_t len)
{
	const unsigned char *k = (const unsigned char *)name;
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, i = 0;
		const unsigned char *e = (const unsigned char *)blob + off[mid];
		int c = kind ? (unsigned char)kind - *e++ : 0;

		if (!c) {
			while (i < len && e[i] && k[i] == e[i])
				i++;
			c = i < len ? (e[i] ? k[i] - e[i] : 1) : (e[i] ? -1 : 0);
		}
		if (!c)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* Is NAME ("linux/bpf.h") one of the served headers? (host only) */
bool pl_uapi_serves(const char *name);

#ifdef __cplusplus
}
#endif

#endif
