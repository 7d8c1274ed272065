/* libs.h — shared libraries by short name, as BCC finds them: "c", "libc",
 * "libc.so" and "libc.so.6" all name /lib/x86_64-linux-gnu/libc.so.6.
 *
 * With a process, the library it has mapped (its maps name the file);
 * otherwise the dynamic linker's cache (/etc/ld.so.cache, the entries for
 * this machine's ABI). */
#ifndef PKTLUA_LIBS_H
#define PKTLUA_LIBS_H

#include <stddef.h>

/* The base of a library name: "libc.so.6" → "c", "libc" → "c", "c" → "c";
 * copied into OUT. */
void pl_lib_base(const char *name, char *out, size_t len);

/* The path of the file process PID has mapped whose name is
 * lib<BASE>.so... or lib<BASE>-... (libc-2.31.so). 0 and OUT, or -ENOENT
 * (-ESRCH: no such process). */
int pl_lib_in_process(int pid, const char *base, char *out, size_t len);

/* The path /etc/ld.so.cache gives for lib<BASE>.so... for this machine's
 * ABI (the first entry: the cache is sorted as ld.so prefers). 0 and OUT,
 * or -ENOENT. CACHE NULL: /etc/ld.so.cache. */
int pl_lib_in_ld_cache(const char *cache, const char *base, char *out, size_t len);

/* BIN as a path to an existing file, in OUT: a path as it is; with PID > 0,
 * the library of that base name the process has mapped; a "*.so*" name in
 * LD_LIBRARY_PATH and the library directories (ELF files only: libc.so there
 * is often a linker script); another name in PATH (executable); then
 * ld.so.cache by base name. Returns 0 or -ENOENT. */
int pl_lib_find(const char *bin, int pid, char *out, size_t len);

/* 0 if PATH starts with the ELF magic; -ENOEXEC if not; -errno if it cannot
 * be read. */
int pl_lib_check_elf(const char *path);

#endif
