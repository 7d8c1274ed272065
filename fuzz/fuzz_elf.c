/* fuzz_elf.c — the ELF readers of host/symbols/ on arbitrary bytes: the
 * function symbols and loadable segments (elf_syms.c: every symbol looked
 * up again by its address, file offsets placed, the uprobe function list
 * built) and the USDT notes (usdt_notes.c: every probe's strings read). */
#include "symbols/elf_syms.h"
#include "symbols/usdt_notes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_elf_syms *es = NULL;
	struct pl_usdt_notes *un = NULL;
	size_t sink = 0;

	if (pl_elf_syms__parse(data, size, &es) == 0) {
		size_t n = pl_elf_syms__count(es);
		for (size_t i = 0; i < n; i++) {
			const struct pl_elf_sym *s = pl_elf_syms__at(es, i);
			sink += strlen(s->name);
			uint64_t off;
			pl_elf_syms__find(es, s->addr, &off);
		}
		const struct pl_elf_seg *segs;
		size_t nseg = pl_elf_syms__segments(es, &segs);
		for (size_t i = 0; i < nseg; i++) {
			uint64_t va;
			pl_elf_syms__vaddr(es, segs[i].offset, &va);
		}
		size_t blen;
		pl_elf_syms__build_id(es, &blen);
		const char *dl = pl_elf_syms__debuglink(es);
		if (dl)
			sink += strlen(dl);
		struct pl_elf_func *fn;
		size_t nfn;
		if (pl_elf_syms__functions(es, &fn, &nfn) == 0) {
			for (size_t i = 0; i < nfn; i++)
				sink += strlen(fn[i].name) + (size_t)fn[i].offset;
			free(fn);
		}
		pl_elf_syms__free(es);
	}
	if (pl_usdt_notes__parse(data, size, &un) == 0) {
		for (size_t i = 0; i < pl_usdt_notes__count(un); i++) {
			const struct pl_usdt_note *p = pl_usdt_notes__at(un, i);
			sink += strlen(p->provider) + strlen(p->name) + strlen(p->args);
		}
		pl_usdt_notes__free(un);
	}
	return sink == (size_t)-1;
}
