/* globals.h — an object's global variables, as a libbpf skeleton gives them.
 *
 * The variables of the .bss, .data, .data.* and .rodata(.*) sections live in
 * internal array maps of one element. Before load their bytes are libbpf's
 * initial image (every section writable: `const volatile` knobs are set
 * there); pl_globals__map_loaded() then maps the kernel's maps over those
 * images, as bpftool's skeletons do, so that reads see what the BPF programs
 * write and writes reach them at once. Once loaded, .rodata is read-only.
 *
 * Variables are found through the object's BTF (DATASEC entries); names the
 * runtime uses for itself (pktlua_*, ___pktlua*) are not listed. */
#ifndef PKTLUA_GLOBALS_H
#define PKTLUA_GLOBALS_H

#include <stdbool.h>
#include <stdint.h>

struct bpf_object;
struct bpf_map;
struct btf;

struct pl_global {
	const char *name;          /* the C name; owned by the object's BTF */
	const char *section;       /* ".bss", ".data", ".rodata", ".data.x", ... */
	struct bpf_map *map;       /* the internal map that holds it */
	const struct btf *btf;
	uint32_t type_id;          /* the variable's type in BTF */
	uint32_t offset, size;     /* within the section */
	bool rodata;               /* read-only once loaded */
};

/* Find NAME among OBJ's variables (opened or loaded). 0 and *G, or -ENOENT. */
int pl_global__find(struct bpf_object *obj, const char *name, struct pl_global *g);

/* Call FN for every variable, section by section in the object's map order,
 * by offset within one. Stops at the first non-zero FN result and returns
 * it; 0 when all were visited. */
int pl_globals__for_each(struct bpf_object *obj,
			 int (*fn)(const struct pl_global *g, void *ctx), void *ctx);

/* Copy the variable's G->size bytes into BUF: before load from the initial
 * image, after it from the live map. 0 or a negative errno. */
int pl_global__read(const struct pl_global *g, void *buf);

/* Set the variable to the G->size bytes at BUF. Before load any section
 * (the initial image); after load -EROFS for .rodata. 0 or a negative errno. */
int pl_global__write(const struct pl_global *g, const void *buf);

/* Right after bpf_object__load(OBJ): map each mmap-able internal map's
 * kernel memory over its initial image (same address, so libbpf's own unmap
 * at bpf_object__close releases it). 0 or a negative errno. */
int pl_globals__map_loaded(struct bpf_object *obj);

#endif
