/* vmlinux.h — the running kernel's types as C, for BPF programs.
 *
 * The text `bpftool btf dump file /sys/kernel/btf/vmlinux format c` prints,
 * made in-process with libbpf's btf_dump from the process's one parse of the
 * kernel BTF (kernel_btf.h). The compiler serves it to clang as <vmlinux.h>
 * from memory. (This header is the host's API for it; it is not the
 * generated file.)
 *
 * Two flavours: the full header (~5.5 MB, ~180 ms for clang to parse), and a
 * pruned one with only the types a translation unit can name (a few KB to a
 * few hundred KB, parsed in a few ms). The compiler tries the pruned one
 * first and falls back to the full one when the compile fails. */
#ifndef PKTLUA_VMLINUX_H
#define PKTLUA_VMLINUX_H

#include <stddef.h>

/* The full text, NUL-terminated, LEN (if not NULL) set to its length without
 * the NUL. Made on the first call (tens of milliseconds) and kept for the
 * life of the process; the caller must not free it. Forked compiler children
 * inherit it, which is why the parent makes it.
 * Returns NULL with errno set when the kernel BTF cannot be read or dumped
 * (ENOENT: no /sys/kernel/btf/vmlinux); the failure is remembered too. */
const char *pl_vmlinux_h(size_t *len);

/* C text the pruned header is made for: the translation unit, -D macros. */
struct pl_vmlinux_text {
	const char *text;
	size_t len;
};

/* A vmlinux.h with the same preamble and epilogue as the full one, holding
 * only what the identifiers of TEXTS (comments skipped) can name:
 *  - structs, unions, enums and typedefs of that name, with everything they
 *    need by value (btf_dump emits dependencies first and forward-declares
 *    what is only pointed to);
 *  - the enum of each enum constant named (BPF_ANY, XDP_PASS, true);
 *  - the struct or union behind a pointer member whose name is used, to a
 *    fixpoint, so t->mm->mmap_base or BPF_CORE_READ(t, mm, mmap_base) works
 *    with only struct task_struct named;
 * but never a struct, union or enum whose tag (or one of whose enumerators)
 * TEXTS define themselves ("struct key { ... }"): the code's own type wins.
 * Embedded headers TEXTS #include (<pktlua/...>, <bpf/...>) are scanned
 * too, to any depth; bpf_helper_defs.h's identifiers name typedefs only (its
 * structs are only pointed to). Anything else (token pasting, a -I header, a helper's return type
 * used without naming it) can miss: the caller then uses the full header.
 * Deterministic: the same TEXTS give the same bytes, for the same kernel.
 * Returns a malloc'd NUL-terminated text (LEN without the NUL), or NULL with
 * errno set (as pl_vmlinux_h(), or ENOMEM). */
char *pl_vmlinux_h_pruned(const struct pl_vmlinux_text *texts, size_t n, size_t *len);

/* The full header for TEXTS: every kernel type but those TEXTS define
 * themselves (a struct, union or enum tag, an enumerator: the same names
 * pl_vmlinux_h_pruned() leaves out), so a snippet with its own struct key
 * compiles. When TEXTS define none of the kernel's names this is
 * pl_vmlinux_h()'s text and *OWNED is NULL; else *OWNED is the malloc'd
 * text returned, for the caller to free. NULL with errno set on failure. */
const char *pl_vmlinux_h_full(const struct pl_vmlinux_text *texts, size_t n, size_t *len,
			      char **owned);

/* The compiler reads PKTLUA_VMLINUX from the environment: "full" serves the
 * full header only (measurements, a workaround), "pruned" the pruned one
 * only, without the fallback (tests, measurements). */
#define PL_VMLINUX_ENV "PKTLUA_VMLINUX"

#endif
