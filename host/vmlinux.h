/* vmlinux.h — the running kernel's types as C, for BPF programs.
 *
 * The text `bpftool btf dump file /sys/kernel/btf/vmlinux format c` prints,
 * made in-process with libbpf's btf_dump. The compiler serves it to clang as
 * <vmlinux.h> from memory. (This header is the host's API for it; it is not
 * the generated file.) */
#ifndef PKTLUA_VMLINUX_H
#define PKTLUA_VMLINUX_H

#include <stddef.h>

/* The generated text, NUL-terminated, LEN (if not NULL) set to its length
 * without the NUL. Made on the first call (tens of milliseconds) and kept for
 * the life of the process; the caller must not free it. Forked compiler
 * children inherit it, which is why the parent makes it.
 * Returns NULL with errno set when the kernel BTF cannot be read or dumped
 * (ENOENT: no /sys/kernel/btf/vmlinux); the failure is remembered too. */
const char *pl_vmlinux_h(size_t *len);

#endif
