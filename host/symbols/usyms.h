/* usyms.h — user-space addresses to function names.
 *
 * A resolver keeps, per process, its executable mappings (read from
 * /proc/PID/maps on first use, re-read when an address falls outside them,
 * or given by pktlua's exit hook for a process that is gone), and, per file
 * (device + inode), its symbols (elf_syms.h), parsed once and shared by
 * every process that maps it. A file without a .symtab gets the symbols of
 * its separate debug file when one is found: DEBUG_DIR/.build-id/NN/REST.debug
 * by GNU build ID, then its .gnu_debuglink name beside it, in .debug/ beside
 * it, and under DEBUG_DIR + its directory (gdb's order). C++ and Rust names
 * come back demangled. */
#ifndef PKTLUA_USYMS_H
#define PKTLUA_USYMS_H

#include "symbols/procmaps.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pl_usyms_opts {
	const char *debug_dir;   /* NULL: /usr/lib/debug */
};

struct pl_usym {
	const char *name;        /* demangled function name; NULL when unknown */
	uint64_t offset;         /* ADDR - the function's start; when NAME is
				  * NULL, the offset of ADDR in MODULE's file */
	const char *module;      /* the mapped file's path ("[vdso]", "" for
				  * anonymous memory) */
};

struct pl_usyms;

struct pl_usyms *pl_usyms__new(const struct pl_usyms_opts *opts);
void pl_usyms__free(struct pl_usyms *us);

/* Resolve ADDR in process PID. Returns 0 with *OUT filled (strings owned by
 * US, valid until it is freed), or -ESRCH: PID's mappings are unknown (it
 * is gone and nothing was kept), -ENOENT: ADDR is in none of them. A file
 * that cannot be read or has no symbols is not an error: NAME is NULL,
 * MODULE and OFFSET say where ADDR is. */
int pl_usyms__resolve(struct pl_usyms *us, pid_t pid, uint64_t addr, struct pl_usym *out);

/* Read PID's mappings now and keep them (for a process about to exit).
 * Returns 0 or a negative errno. */
int pl_usyms__snapshot(struct pl_usyms *us, pid_t pid);
/* Add one mapping to what is kept for PID, which has exited (the exit
 * hook's records): from then on PID's mappings come from these records,
 * not from /proc. Returns 0 or -ENOMEM. */
int pl_usyms__remember(struct pl_usyms *us, pid_t pid, const struct pl_mapping *m);
/* The same from one record of <pktlua/stack.h>'s exit hook (struct
 * pktlua_stack_vma, SIZE bytes at DATA: any bytes are safe). Returns 0,
 * -EINVAL for a record that is too short, or -ENOMEM. */
int pl_usyms__remember_record(struct pl_usyms *us, const void *data, size_t size);
/* Forget PID (its number may be reused). */
void pl_usyms__forget(struct pl_usyms *us, pid_t pid);

struct pl_usyms_stats {
	size_t procs, files, maps_reads, file_parses;
};
void pl_usyms__stats(const struct pl_usyms *us, struct pl_usyms_stats *st);

#endif
