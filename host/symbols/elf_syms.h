/* elf_syms.h — the function symbols of an ELF file, and what placing them
 * in a process needs (its loadable segments), read with libelf.
 *
 * One pl_elf_syms holds a file's functions (.symtab and .dynsym, merged,
 * sorted by address, names copied: the file is closed after parsing), its
 * PT_LOAD segments, its GNU build ID and its .gnu_debuglink name. A stripped
 * file parses fine with only its .dynsym (or nothing); the symbols of its
 * separate debug file can be merged in (pl_elf_syms__merge).
 *
 * pl_elf_syms__parse() reads a byte buffer: it is the entry point for fuzzing
 * (any bytes: an error or a consistent result, never a read outside BUF). */
#ifndef PKTLUA_ELF_SYMS_H
#define PKTLUA_ELF_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_elf_sym {
	uint64_t addr;        /* st_value: a link-time virtual address */
	uint64_t size;        /* 0 when the file does not say */
	const char *name;     /* as in the file (mangled) */
};

struct pl_elf_seg {
	uint64_t offset, vaddr, filesz, memsz;
	uint32_t flags;       /* PF_X, PF_W, PF_R */
};

struct pl_elf_syms;

/* Parse the ELF image BUF (LEN bytes). Returns 0 and *OUT, or -ENOEXEC (not
 * ELF, or corrupt), -ENOMEM. BUF is not kept. */
int pl_elf_syms__parse(const void *buf, size_t len, struct pl_elf_syms **out);
/* Parse the file at PATH (mapped, read, closed). Returns 0, or a negative
 * errno from open() or -ENOEXEC. */
int pl_elf_syms__open(const char *path, struct pl_elf_syms **out);
void pl_elf_syms__free(struct pl_elf_syms *es);

/* The function holding VADDR: the last symbol at or before it, when VADDR is
 * inside its size (or, for a symbol without a size, before the next
 * symbol). *OFFSET gets VADDR - its address. NULL if none. Points into ES. */
const struct pl_elf_sym *pl_elf_syms__find(const struct pl_elf_syms *es, uint64_t vaddr,
					   uint64_t *offset);
size_t pl_elf_syms__count(const struct pl_elf_syms *es);
const struct pl_elf_sym *pl_elf_syms__at(const struct pl_elf_syms *es, size_t i);

/* The virtual address that file offset OFF is loaded at (through the
 * PT_LOAD segment holding it). Returns 0, or -ENOENT when no segment maps
 * OFF. */
int pl_elf_syms__vaddr(const struct pl_elf_syms *es, uint64_t off, uint64_t *vaddr);
size_t pl_elf_syms__segments(const struct pl_elf_syms *es, const struct pl_elf_seg **segs);

/* ET_DYN (PIE, shared library) or ET_EXEC. */
bool pl_elf_syms__is_dyn(const struct pl_elf_syms *es);
/* Whether the file has a .symtab (is not stripped). */
bool pl_elf_syms__has_symtab(const struct pl_elf_syms *es);
/* The GNU build ID (NULL when none; *LEN bytes). */
const uint8_t *pl_elf_syms__build_id(const struct pl_elf_syms *es, size_t *len);
/* The .gnu_debuglink file name (NULL when none). */
const char *pl_elf_syms__debuglink(const struct pl_elf_syms *es);

/* The file offset that virtual address VADDR is loaded from, through the
 * executable PT_LOAD segment holding it (where a uprobe on the function at
 * VADDR attaches). Returns 0, or -ENOENT when none holds it. */
int pl_elf_syms__offset(const struct pl_elf_syms *es, uint64_t vaddr, uint64_t *off);

struct pl_elf_func {
	const char *name;     /* without its symbol version */
	uint64_t addr, size;  /* st_value, st_size */
	uint64_t offset;      /* the file offset of ADDR (pl_elf_syms__offset) */
};

/* The functions a uprobe can attach to by name, sorted by name, one per
 * name: STT_FUNC symbols (not IFUNC resolvers) in an executable segment.
 * Names lose their symbol version ("pthread_create@@GLIBC_2.34" ->
 * "pthread_create"); of one name, the default version or an unversioned
 * symbol wins over an older version ("NAME@V", or hidden in .gnu.version),
 * then global over weak over local, then the lowest address. Returns 0 and
 * *OUT (*COUNT entries, names included: one free() releases it), or
 * -ENOMEM. */
int pl_elf_syms__functions(const struct pl_elf_syms *es, struct pl_elf_func **out,
			   size_t *count);

/* Add the symbols of DEBUG (the file's separate debug file) to ES: the
 * addresses are the same link-time ones. Returns 0 or -ENOMEM. */
int pl_elf_syms__merge(struct pl_elf_syms *es, const struct pl_elf_syms *debug);

#endif
