/* names.h — a block of NUL-terminated names that grows, each addressed by
 * its offset (the block moves as it grows, so pointers into it are taken
 * only once it is complete). The symbol tables of elf_syms.c and
 * kallsyms.c keep their names in one. */
#ifndef PKTLUA_NAMES_H
#define PKTLUA_NAMES_H

#include <stddef.h>

struct pl_names {
	char *p;              /* the block; the caller frees it */
	size_t len, cap;
	size_t first;         /* the first allocation (0: 16 KiB) */
};

/* Append the N bytes at S and a NUL; *OFF gets where they start. Returns 0
 * or -ENOMEM. */
int pl_names__add(struct pl_names *b, const char *s, size_t n, size_t *off);

#endif
