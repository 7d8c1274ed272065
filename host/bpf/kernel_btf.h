/* kernel_btf.h — the running kernel's BTF, parsed once per process.
 *
 * /sys/kernel/btf/vmlinux is ~5.5 MB; parsing it costs 4–11 ms. The host
 * needs it to make vmlinux.h, and libbpf needs it on every load of an object
 * with CO-RE relocations or BTF-typed attach targets (tp_btf/, raw_tp/, ...).
 * One parse serves all of them: see kernel_btf.c for how libbpf is made to
 * use it. */
#ifndef PKTLUA_KERNEL_BTF_H
#define PKTLUA_KERNEL_BTF_H

struct btf;

/* The kernel's BTF, loaded on the first call (a debug line says how long it
 * took) and kept for the life of the process. Owned here: never btf__free()
 * it (doing so anyway is harmless, see kernel_btf.c), never modify it.
 * Returns NULL with errno set when it cannot be loaded (ENOENT: the kernel
 * has no BTF); the failure is remembered, later calls fail the same way. */
const struct btf *pl_kernel_btf(void);

/* How many times the kernel BTF was parsed in this process (0 or 1 unless
 * the interposition below is not in effect): for tests. */
unsigned pl_kernel_btf_parses(void);

#endif
