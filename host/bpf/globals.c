/* globals.c — global variables of an object through its internal maps
 * (globals.h). */
#include "bpf/globals.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The DATASEC of an internal map that holds variables, or NULL (.kconfig,
 * .ksyms, string literal sections, maps without BTF). */
static const struct btf_type *data_section(const struct btf *btf, struct bpf_map *map,
					   const char **name)
{
	if (!btf || !bpf_map__is_internal(map))
		return NULL;
	__u32 id = bpf_map__btf_value_type_id(map);
	const struct btf_type *t = id ? btf__type_by_id(btf, id) : NULL;
	if (!t || !btf_is_datasec(t))
		return NULL;
	*name = btf__name_by_offset(btf, t->name_off);
	if (!*name || !(starts_with(*name, ".bss") || starts_with(*name, ".data") ||
			starts_with(*name, ".rodata")))
		return NULL;
	return t;
}

int pl_globals__for_each(struct bpf_object *obj,
			 int (*fn)(const struct pl_global *g, void *ctx), void *ctx)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const char *sec;
		const struct btf_type *t = data_section(btf, map, &sec);
		if (!t)
			continue;
		const struct btf_var_secinfo *vsi = btf_var_secinfos(t);
		for (int i = 0; i < btf_vlen(t); i++, vsi++) {
			const struct btf_type *v = btf__type_by_id(btf, vsi->type);
			if (!v || !btf_is_var(v) || !vsi->size)
				continue;
			const char *name = btf__name_by_offset(btf, v->name_off);
			if (!name || !name[0] || starts_with(name, "pktlua_") ||
			    starts_with(name, "___pktlua"))
				continue;
			struct pl_global g = {
				.name = name, .section = sec, .map = map, .btf = btf,
				.type_id = v->type, .offset = vsi->offset, .size = vsi->size,
				.rodata = starts_with(sec, ".rodata"),
			};
			int rc = fn(&g, ctx);
			if (rc)
				return rc;
		}
	}
	return 0;
}

struct find_ctx {
	const char *name;
	struct pl_global *out;
};

static int match_name(const struct pl_global *g, void *ctx)
{
	struct find_ctx *f = ctx;

	if (strcmp(g->name, f->name))
		return 0;
	*f->out = *g;
	return 1;
}

int pl_global__find(struct bpf_object *obj, const char *name, struct pl_global *g)
{
	struct find_ctx f = { .name = name, .out = g };

	return pl_globals__for_each(obj, match_name, &f) == 1 ? 0 : -ENOENT;
}

/* The bytes of the section: libbpf's image before load; the kernel's memory
 * after it when the map is mmap-able (pl_globals__map_loaded put it there).
 * NULL when the section must be read with a syscall. */
static char *section_bytes(struct bpf_map *map, size_t *size)
{
	if (bpf_map__fd(map) >= 0 && !(bpf_map__map_flags(map) & BPF_F_MMAPABLE))
		return NULL;
	return (char *)bpf_map__initial_value(map, size);
}

/* A loaded section that is not mmap-able (only static variables: libbpf
 * made the map without BPF_F_MMAPABLE) goes through a syscall: its whole
 * value, read into a buffer the caller frees. NULL and *err set on failure. */
static char *section_fetch(const struct pl_global *g, int *err)
{
	size_t size = bpf_map__value_size(g->map);
	int zero = 0;
	char *all;

	if ((size_t)g->offset + g->size > size) {
		*err = -ERANGE;
		return NULL;
	}
	all = malloc(size);
	if (!all) {
		*err = -ENOMEM;
		return NULL;
	}
	if (bpf_map_lookup_elem(bpf_map__fd(g->map), &zero, all)) {
		*err = -errno;
		free(all);
		return NULL;
	}
	return all;
}

int pl_global__read(const struct pl_global *g, void *buf)
{
	size_t size = 0;
	char *p = section_bytes(g->map, &size);
	int err = 0;

	if (p) {
		if ((size_t)g->offset + g->size > size)
			return -ERANGE;
		memcpy(buf, p + g->offset, g->size);
		return 0;
	}
	char *all = section_fetch(g, &err);
	if (!all)
		return err;
	memcpy(buf, all + g->offset, g->size);
	free(all);
	return 0;
}

int pl_global__write(const struct pl_global *g, const void *buf)
{
	bool loaded = bpf_map__fd(g->map) >= 0;
	size_t size = 0;
	int zero = 0, err = 0;

	if (loaded && g->rodata)
		return -EROFS;
	char *p = section_bytes(g->map, &size);
	if (p) {
		if ((size_t)g->offset + g->size > size)
			return -ERANGE;
		memcpy(p + g->offset, buf, g->size);
		return 0;
	}
	/* Read, patch, write back: not atomic against the programs' own
	 * writes to the same section. */
	char *all = section_fetch(g, &err);
	if (!all)
		return err;
	memcpy(all + g->offset, buf, g->size);
	if (bpf_map_update_elem(bpf_map__fd(g->map), &zero, all, BPF_ANY))
		err = -errno;
	free(all);
	return err;
}

/* libbpf's own size of an internal map's image (bpf_map_mmap_sz): what it
 * munmap()s at close. */
static size_t image_size(struct bpf_map *map)
{
	size_t page = (size_t)sysconf(_SC_PAGE_SIZE);
	size_t sz = (((size_t)bpf_map__value_size(map) + 7) & ~(size_t)7) *
		    bpf_map__max_entries(map);

	return (sz + page - 1) / page * page;
}

int pl_globals__map_loaded(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		size_t size;
		void *img;

		const char *sec;

		if (!data_section(bpf_object__btf(obj), map, &sec) ||
		    !(bpf_map__map_flags(map) & BPF_F_MMAPABLE))
			continue;
		img = (void *)bpf_map__initial_value(map, &size);
		if (!img || bpf_map__fd(map) < 0)
			continue;
		/* .rodata is frozen: the kernel maps it read-only. */
		int prot = bpf_map__map_flags(map) & BPF_F_RDONLY_PROG ? PROT_READ :
			   PROT_READ | PROT_WRITE;
		if (mmap(img, image_size(map), prot, MAP_SHARED | MAP_FIXED, bpf_map__fd(map),
			 0) == MAP_FAILED)
			return -errno;
	}
	return 0;
}
