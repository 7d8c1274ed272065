/* clang_shim.h — the extern "C" seam to the clang/LLVM shim (clang_shim.cpp).
 *
 * The shim is a separate shared object (libpktlua-cc.so) that links
 * clang-cpp and LLVM. Only a forked compiler child ever dlopen()s it (see
 * compiler.c): the host process never maps LLVM. Plain structs and buffers
 * cross this seam; no C++ exceptions, no LLVM types.
 *
 * One call compiles one translation unit held in memory into a BPF ELF
 * object in memory. The shim owns the clang-specific part of the command
 * line (target, CPU, optimisation, debug info for BTF, diagnostic format,
 * resource dir); the caller passes policy (include dirs, macros, user flags)
 * as cc1 arguments. */
#ifndef PKTLUA_CLANG_SHIM_H
#define PKTLUA_CLANG_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever the structs below change; the shim refuses other values. */
#define PL_CC_ABI_VERSION 3

/* The symbol compiler.c looks up with dlsym(). */
#define PL_CC_ENTRY "pl_cc_compile"

/* Exit status of a compiler child that hit an LLVM fatal error (report_fatal_error,
 * "error in backend", "Cannot select"): the shim's handler prints the message
 * on stderr and _exit()s with this code. */
#define PL_CC_EXIT_FATAL 70

/* A file of the in-memory file system: PATH is absolute ("/pktlua/include/x.h").
 * DATA is not copied and must outlive the call. */
struct pl_cc_file {
	const char *path;
	const char *data;
	size_t len;
};

struct pl_cc_input {
	unsigned abi;            /* PL_CC_ABI_VERSION */
	/* The translation unit, served from memory under MAIN_PATH (absolute). */
	const char *main_path;
	const char *src;
	size_t src_len;
	/* More in-memory files (headers); they shadow the real file system. */
	const struct pl_cc_file *files;
	size_t nfiles;
	/* Extra cc1 arguments ("-I/dir", "-DX=1", "-O1", "-Wno-foo", ...),
	 * appended after the shim's defaults, so they win where cc1 lets the
	 * last flag win. The driver spelling "-mcpu=vN" is accepted too. */
	const char *const *args;
	size_t nargs;
	/* Optional: the path (as the source's #line directives spell it, relative
	 * paths against the working directory) of one of FILES that holds the
	 * snippet at the line numbers #line gives it. Backend diagnostics carry
	 * only a debug location (file, line); with this file clang can place them
	 * on the right line instead of on the enclosing function. */
	const char *line_file;
	/* Optional: an absolute directory where the shim serves the kernel's
	 * UAPI headers it carries (linux/, asm/, asm-generic/: compile/uapi.h)
	 * from memory; NULL serves none. */
	const char *uapi_dir;
	/* Optional, with uapi_dir: the path of the one of FILES that is
	 * vmlinux.h. The shim serves it with the guard macros its UAPI headers
	 * test defined at its end, for the types it defines, so that a
	 * <linux/...> header included after it skips its own definitions of
	 * those (compile/uapi.h). */
	const char *vmlinux_path;
};

struct pl_cc_output {
	void *obj;       /* ELF object, malloc'd; NULL unless the call returned 0 */
	size_t obj_len;
	char *diag;      /* diagnostics text, malloc'd, NUL-terminated ("" if none) */
	size_t diag_len;
	/* The real files the compile read, i.e. every file not served from
	 * memory: headers next to the script or under -I, clang's own
	 * stddef.h... Each path as clang opened it (relative ones against the
	 * working directory), NUL-terminated, one after the other; malloc'd,
	 * NULL (and DEPS_LEN 0) when there are none or the call failed. The
	 * compile cache re-hashes them to know whether an entry still holds. */
	char *deps;
	size_t deps_len;
};

/* Compile IN into OUT. Returns 0 on success, -EINVAL when the source or the
 * arguments have errors (OUT->diag says which), -ENOMEM, or -EPROTO on an ABI
 * mismatch. OUT is always initialised; its buffers belong to the caller (the
 * compiler child just writes them out and exits). An LLVM fatal error does
 * not return: the process exits with PL_CC_EXIT_FATAL. */
int pl_cc_compile(const struct pl_cc_input *in, struct pl_cc_output *out);

typedef int (*pl_cc_compile_fn)(const struct pl_cc_input *in, struct pl_cc_output *out);

#ifdef __cplusplus
}
#endif

#endif
