/* usdt_notes.h — the USDT probes of an ELF file: its .note.stapsdt notes
 * (SystemTap's <sys/sdt.h> format), read with libelf.
 *
 * pl_usdt_notes__parse() reads a byte buffer: the entry point for fuzzing
 * (any bytes give an error or a consistent result, never a read outside
 * BUF). */
#ifndef PKTLUA_USDT_NOTES_H
#define PKTLUA_USDT_NOTES_H

#include <stddef.h>
#include <stdint.h>

struct pl_usdt_note {
	const char *provider, *name;
	const char *args;        /* the argument specs, "-4@%eax 8@-16(%rbp)"; "" if none */
	uint64_t pc;             /* the probe's address (link-time) */
	uint64_t base;           /* the .stapsdt.base address recorded in the note */
	uint64_t semaphore;      /* its semaphore's address, 0 if none */
};

struct pl_usdt_notes;

/* Returns 0 and *OUT (possibly with no probes), or -ENOEXEC (not ELF),
 * -ENOMEM. BUF is not kept. */
int pl_usdt_notes__parse(const void *buf, size_t len, struct pl_usdt_notes **out);
/* The same for the file at PATH: 0, a negative errno from open(), -ENOEXEC. */
int pl_usdt_notes__open(const char *path, struct pl_usdt_notes **out);
void pl_usdt_notes__free(struct pl_usdt_notes *un);

size_t pl_usdt_notes__count(const struct pl_usdt_notes *un);
const struct pl_usdt_note *pl_usdt_notes__at(const struct pl_usdt_notes *un, size_t i);

#endif
