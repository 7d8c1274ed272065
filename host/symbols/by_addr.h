/* by_addr.h — the search both symbol tables make (kallsyms.c, elf_syms.c):
 * in entries sorted by address, the first of those at the greatest address
 * at or below ADDR (the one whose extent may hold ADDR; of several names at
 * one address, the first sorts best). */
#ifndef PKTLUA_BY_ADDR_H
#define PKTLUA_BY_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* N entries of SIZE bytes from BASE, each with its address (a uint64_t) at
 * byte OFFSET, sorted by it. Returns 0 and the entry's index in *I, or
 * -ENOENT when ADDR is below them all (or N is 0). */
int pl_by_addr__floor(const void *base, size_t n, size_t size, size_t offset, uint64_t addr,
		      size_t *i);

#endif
