/* pktlua/maps.h — one-line map declarations (BTF-defined, libbpf style).
 *
 *   PKTLUA_HASH(counts, __u32, __u64, 1024);
 *   PKTLUA_ARRAY(totals, __u64, 4);              // key is __u32
 *   PKTLUA_RINGBUF(events, 256 * 1024);
 *
 * Key and value types are recorded in BTF, so the host converts them to and
 * from Lua values by field name. */
#ifndef PKTLUA_MAPS_H
#define PKTLUA_MAPS_H

#define PKTLUA_MAP(_name, _type, _key, _value, _max)                 \
	struct {                                                     \
		__uint(type, _type);                                 \
		__type(key, _key);                                   \
		__type(value, _value);                               \
		__uint(max_entries, _max);                           \
	} _name SEC(".maps")

#define PKTLUA_HASH(name, key, value, max) \
	PKTLUA_MAP(name, BPF_MAP_TYPE_HASH, key, value, max)
#define PKTLUA_LRU_HASH(name, key, value, max) \
	PKTLUA_MAP(name, BPF_MAP_TYPE_LRU_HASH, key, value, max)
#define PKTLUA_PERCPU_HASH(name, key, value, max) \
	PKTLUA_MAP(name, BPF_MAP_TYPE_PERCPU_HASH, key, value, max)
#define PKTLUA_ARRAY(name, value, max) \
	PKTLUA_MAP(name, BPF_MAP_TYPE_ARRAY, __u32, value, max)
#define PKTLUA_PERCPU_ARRAY(name, value, max) \
	PKTLUA_MAP(name, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, value, max)

#define PKTLUA_RINGBUF(name, bytes)                                  \
	struct {                                                     \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                  \
		__uint(max_entries, bytes);                          \
	} name SEC(".maps")

#define PKTLUA_PERF_EVENTS(name)                                     \
	struct {                                                     \
		__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);         \
		__uint(key_size, sizeof(__u32));                     \
		__uint(value_size, sizeof(__u32));                   \
	} name SEC(".maps")

/* Add DELTA to the value at KEY, creating it if missing (the usual counter).
 * The arithmetic is done in the map's value type (its __type(value, ...)),
 * so a plain 1 adds to a __u64 counter correctly. */
#define PKTLUA_ADD(map, key, delta)                                              \
	({                                                                       \
		__typeof__(*(map).value) __d = (delta);                          \
		__typeof__(*(map).value) *__v = bpf_map_lookup_elem(&(map), (key)); \
		if (!__v && bpf_map_update_elem(&(map), (key), &__d, BPF_NOEXIST)) \
			/* another CPU created it first: add to theirs */        \
			__v = bpf_map_lookup_elem(&(map), (key));                \
		if (__v)                                                         \
			__sync_fetch_and_add(__v, __d);                          \
	})

#endif
