/* elf_file.h — what the readers of ELF files share (libelf): opening an
 * image, from a buffer or a file, for a parser; and walking the notes of a
 * section. elf_syms.c (symbols, build ID) and usdt_notes.c (.note.stapsdt)
 * read through these. */
#ifndef PKTLUA_ELF_FILE_H
#define PKTLUA_ELF_FILE_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

/* Parses the open image E into *OUT: 0 or a negative errno. */
typedef int (*pl_elf_parse_fn)(Elf *e, void *out);

/* Run PARSE on the ELF image BUF (LEN bytes, read in place, never written,
 * not kept). Returns what PARSE returns, or -ENOEXEC when libelf cannot
 * take BUF. */
int pl_elf_file__parse(const void *buf, size_t len, pl_elf_parse_fn parse, void *out);
/* The same for the file at PATH (mapped, closed on return): also a negative
 * errno from open(). */
int pl_elf_file__open(const char *path, pl_elf_parse_fn parse, void *out);

/* Call FN(DESC, DESCSZ, ARG) for each note of section SCN whose owner is
 * OWNER ("GNU", "stapsdt") and whose type is TYPE, in order, until FN
 * returns non-zero. Returns that value, or 0. */
int pl_elf_file__each_note(Elf_Scn *scn, const char *owner, uint32_t type,
			   int (*fn)(const char *desc, size_t descsz, void *arg), void *arg);

#endif
