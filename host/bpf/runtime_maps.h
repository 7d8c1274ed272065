/* runtime_maps.h — the maps pktlua's BPF headers define for themselves
 * (pktlua_*: pktlua_printf's ring, lost-event counters) exist only in the
 * objects whose programs use them.
 *
 * libbpf refuses static maps, so the headers define them as globals, and
 * every object that includes the header carries them. Before load, the
 * object's relocations tell which maps the programs' instructions refer to;
 * the pktlua_* maps none refers to are not created (bpf_map__fd() stays < 0).
 * A user's own maps are always created. */
#ifndef PKTLUA_RUNTIME_MAPS_H
#define PKTLUA_RUNTIME_MAPS_H

#include <stddef.h>

struct bpf_object;

/* OBJ was opened from the LEN bytes at ELF. Returns the number of maps left
 * out, or a negative errno (the ELF cannot be read: everything is created). */
int pl_runtime_maps__prune(struct bpf_object *obj, const void *elf, size_t len);

#endif
