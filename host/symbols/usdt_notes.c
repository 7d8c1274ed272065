/* usdt_notes.c — .note.stapsdt, through libelf. */
#include "symbols/usdt_notes.h"

#include "symbols/elf_file.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#define NT_STAPSDT 3

struct pl_usdt_notes {
	struct pl_usdt_note *notes;
	size_t n, cap;
};

void pl_usdt_notes__free(struct pl_usdt_notes *un)
{
	if (!un)
		return;
	for (size_t i = 0; i < un->n; i++)
		free((char *)un->notes[i].provider);   /* one block: provider\0name\0args\0 */
	free(un->notes);
	free(un);
}

/* One note's description: three addresses (4 or 8 bytes each, by class),
 * then "provider\0name\0args\0". */
static int add_note(struct pl_usdt_notes *un, const char *desc, size_t len, size_t addr_size)
{
	uint64_t a[3] = { 0 };
	const char *p = desc, *end = desc + len, *prov, *name, *args;

	if (len < 3 * addr_size)
		return 0;
	for (int i = 0; i < 3; i++) {
		if (addr_size == 8) {
			memcpy(&a[i], p, 8);
		} else {
			uint32_t v;
			memcpy(&v, p, 4);
			a[i] = v;
		}
		p += addr_size;
	}
	prov = p;
	if (!(p = memchr(p, '\0', (size_t)(end - p))))
		return 0;
	name = ++p;
	if (p >= end || !(p = memchr(p, '\0', (size_t)(end - p))))
		return 0;
	args = ++p;
	const char *z = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
	size_t args_len = z ? (size_t)(z - args) : 0;
	if (!*prov || !*name)
		return 0;
	if (un->n == un->cap) {
		size_t cap = un->cap ? un->cap * 2 : 16;
		struct pl_usdt_note *nn = realloc(un->notes, cap * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		un->notes = nn;
		un->cap = cap;
	}
	size_t lp = strlen(prov), ln = strlen(name);
	char *blk = malloc(lp + ln + args_len + 3);
	if (!blk)
		return -ENOMEM;
	memcpy(blk, prov, lp + 1);
	memcpy(blk + lp + 1, name, ln + 1);
	memcpy(blk + lp + ln + 2, args, args_len);
	blk[lp + ln + 2 + args_len] = '\0';
	un->notes[un->n++] = (struct pl_usdt_note){
		.provider = blk, .name = blk + lp + 1, .args = blk + lp + ln + 2,
		.pc = a[0], .base = a[1], .semaphore = a[2],
	};
	return 0;
}

struct note_ctx {
	struct pl_usdt_notes *un;
	size_t addr_size;
};

static int take_note(const char *desc, size_t len, void *arg)
{
	struct note_ctx *c = arg;

	return add_note(c->un, desc, len, c->addr_size);
}

static int parse_elf(Elf *e, void *res)
{
	struct pl_usdt_notes **out = res;
	struct pl_usdt_notes *un = calloc(1, sizeof(*un));
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	int err = 0;

	*out = NULL;
	if (!un)
		return -ENOMEM;
	if (elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx)) {
		pl_usdt_notes__free(un);
		return -ENOEXEC;
	}
	size_t addr_size = gelf_getclass(e) == ELFCLASS32 ? 4 : 8;
	while (!err && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		const char *nm = elf_strptr(e, shstrndx, sh.sh_name);
		if (!nm || strcmp(nm, ".note.stapsdt"))
			continue;
		struct note_ctx c = { .un = un, .addr_size = addr_size };
		err = pl_elf_file__each_note(scn, "stapsdt", NT_STAPSDT, take_note, &c);
	}
	if (err) {
		pl_usdt_notes__free(un);
		return err;
	}
	*out = un;
	return 0;
}

int pl_usdt_notes__parse(const void *buf, size_t len, struct pl_usdt_notes **out)
{
	*out = NULL;
	return pl_elf_file__parse(buf, len, parse_elf, out);
}

int pl_usdt_notes__open(const char *path, struct pl_usdt_notes **out)
{
	*out = NULL;
	return pl_elf_file__open(path, parse_elf, out);
}

size_t pl_usdt_notes__count(const struct pl_usdt_notes *un)
{
	return un ? un->n : 0;
}

const struct pl_usdt_note *pl_usdt_notes__at(const struct pl_usdt_notes *un, size_t i)
{
	return un && i < un->n ? &un->notes[i] : NULL;
}
