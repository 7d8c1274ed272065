/* runtime_maps.c — pktlua_* maps created only where used (runtime_maps.h). */
#include "bpf/runtime_maps.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PRUNABLE 16

/* Whether any relocation of an executable section names symbol NAME. */
static bool referenced(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh, target, symsh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL)
			continue;
		Elf_Scn *tscn = elf_getscn(elf, sh.sh_info);
		Elf_Scn *symscn = elf_getscn(elf, sh.sh_link);
		if (!tscn || !symscn || !gelf_getshdr(tscn, &target) ||
		    !(target.sh_flags & SHF_EXECINSTR) || !gelf_getshdr(symscn, &symsh))
			continue;
		Elf_Data *rels = elf_getdata(scn, NULL), *syms = elf_getdata(symscn, NULL);
		if (!rels || !syms || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rel rel;
			GElf_Sym sym;
			if (!gelf_getrel(rels, (int)i, &rel) ||
			    !gelf_getsym(syms, (int)GELF_R_SYM(rel.r_info), &sym))
				continue;
			const char *s = elf_strptr(elf, symsh.sh_link, sym.st_name);
			if (s && !strcmp(s, name))
				return true;
		}
	}
	return false;
}

int pl_runtime_maps__prune(struct bpf_object *obj, const void *image, size_t len)
{
	struct bpf_map *map, *candidates[MAX_PRUNABLE];
	int n = 0, pruned = 0;

	bpf_object__for_each_map(map, obj)
		if (!bpf_map__is_internal(map) && !strncmp(bpf_map__name(map), "pktlua_", 7) &&
		    n < MAX_PRUNABLE)
			candidates[n++] = map;
	if (!n)
		return 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	/* libelf only reads the image here (ELF_C_READ on memory). */
	Elf *elf = elf_memory((char *)image, len);
	if (!elf)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (!referenced(elf, bpf_map__name(candidates[i])) &&
		    !bpf_map__set_autocreate(candidates[i], false))
			pruned++;
	elf_end(elf);
	return pruned;
}
