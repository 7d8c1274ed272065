/* compiler.h — C source in memory → BPF ELF object in memory.
 *
 * Plain C front of the compiler. The clang/LLVM work happens in a forked
 * child that dlopen()s the shim library (clang_shim.cpp), so
 *  - the host process never maps libLLVM/libclang-cpp,
 *  - an LLVM crash or fatal error (backend errors abort) only kills the child,
 *  - LLVM 19's static GEPGlobals map (second CO-RE compile crashes) and the
 *    driver's -disable-free leak die with the child.
 *
 * Headers: <pktlua/...> (runtime/), <bpf/...> (libbpf's BPF side),
 * <vmlinux.h> (made from /sys/kernel/btf/vmlinux) and the kernel's UAPI
 * headers (<linux/...>, <asm/...>: uapi.h) are served from memory, after the
 * caller's -I directories. */
#ifndef PKTLUA_COMPILER_H
#define PKTLUA_COMPILER_H

#include <stddef.h>

struct pl_compile_opts {
	/* Script file name and the line of it where the snippet starts (1-based):
	 * diagnostics and BTF line info name these. Default "<snippet>", 1. */
	const char *filename;
	int first_line;
	/* NULL-terminated lists, may be NULL: "NAME" or "NAME=VALUE" macros, and
	 * extra clang flags (e.g. "-I/some/dir"). */
	const char *const *defines;
	const char *const *cflags;
	/* Extra C text compiled before the snippet (generated helpers such as
	 * filter functions); may be NULL. Diagnostics in it name "<generated>". */
	const char *prelude;
};

struct pl_compile_result {
	void *obj;      /* ELF object, malloc'd; NULL on failure */
	size_t obj_len;
	char *diag;     /* clang's diagnostics (warnings too), malloc'd, "" if none */
	/* The real files the compile read (headers next to the script or under
	 * -I, ...), NUL-terminated paths one after the other, malloc'd; NULL when
	 * none and on failure (a cache hit gives those it recorded). The compile
	 * cache records them. */
	char *deps;
	size_t deps_len;
};

/* Compile SRC (LEN bytes, need not be NUL-terminated). Returns 0 with
 * res->obj set, or a negative errno: -EINVAL when the source does not
 * compile (res->diag says why), -ECHILD when the compiler crashed or hit a
 * fatal error (res->diag holds its message), others for system failures.
 * res is always initialised; release it with pl_compile_result__free(). */
int pl_compile(const char *src, size_t len, const struct pl_compile_opts *opts,
	       struct pl_compile_result *res);

void pl_compile_result__free(struct pl_compile_result *res);

/* The compiler child dlopen()s the shim library PKTLUA_CC_SHIM_NAME
 * (libpktlua-cc.so), looking in this order: the file named by the environment
 * variable PKTLUA_CC_SHIM (only there, if set); the directory DIR given here;
 * the directory of the running executable (a build tree); ../lib/pktlua from
 * there (an installed tree, whatever prefix it went to); PKTLUA_LIBDIR. Tests, whose
 * executable lives elsewhere, point DIR at the build's host/ directory.
 * DIR is copied; NULL forgets it. Returns 0 or -ENOMEM. */
int pl_compiler_set_shim_dir(const char *dir);

#endif
