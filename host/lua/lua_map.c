/* lua_map.c — a BPF map as a Lua table.
 *
 *   m[k]          lookup (nil when absent)
 *   m[k] = v      update (BPF_ANY)
 *   m[k] = nil    delete (array maps: the slot is zeroed; arrays cannot shrink)
 *   pairs(m)      every entry, read in batches where the kernel offers them
 *   #m            number of entries (array maps: max_entries)
 *
 * Keys and values convert through the object's BTF (codec.h, lua_codec.h).
 * Per-CPU maps read as a sequence with one value per possible CPU; writing
 * one value sets it on every CPU, a sequence sets each CPU's. No method
 * names live on a Map, so no key is ever shadowed: helpers are functions of
 * require "pktlua.map". */
#include "lua/lua_map.h"

#include "bpf/codec.h"
#include "lua/lua_codec.h"
#include "lua/lua_program.h"

#include <lauxlib.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ITER_MT "pktlua.MapIter"
#define BATCH_ENTRIES 4096   /* entries per BPF_MAP_LOOKUP_BATCH */

struct pl_lua_map {
	struct bpf_map *map;
	struct pl_lua_program *owner;
	struct pl_codec *key, *value;
	enum bpf_map_type type;
	int fd;
	uint32_t key_size, value_size;
	uint32_t stride;             /* bytes per CPU slot (per-CPU maps) */
	int ncpus;                   /* 1 unless per-CPU */
	uint32_t max_entries;
	char *kbuf, *vbuf;           /* scratch: one key, one (all-CPU) value */
	char name[64];
};

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static bool is_array(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static const char *map_type_name(enum bpf_map_type t)
{
	const char *s = libbpf_bpf_map_type_str(t);
	return s ? s : "unknown";
}

static struct pl_lua_map *check_map(lua_State *L, int idx)
{
	struct pl_lua_map *m = luaL_checkudata(L, idx, PL_MAP_MT);

	if (!m->owner->obj)
		luaL_error(L, "map '%s': its Program is closed", m->name);
	return m;
}

struct bpf_map *pl_lua_check_map(lua_State *L, int idx)
{
	return check_map(L, idx)->map;
}

struct pl_lua_program *pl_lua_map_program(lua_State *L, int idx)
{
	return check_map(L, idx)->owner;
}

/* Maps whose values user space cannot read as data. */
static void check_readable(lua_State *L, struct pl_lua_map *m)
{
	switch (m->type) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		luaL_error(L, "map '%s' is a %s: read it with bpf.on(map, fn), not as a table",
			   m->name, map_type_name(m->type));
		break;
	default:
		break;
	}
}

static void to_key(lua_State *L, struct pl_lua_map *m, int idx)
{
	char err[256];

	if (lua_isnil(L, idx))
		luaL_error(L, "map '%s': key is nil", m->name);
	if (pl_lua_to_value(L, idx, m->key, m->kbuf, err, sizeof(err)))
		luaL_error(L, "map '%s': key: %s", m->name, err);
}

/* Push the BTF value at P: 32- and 64-bit integers (most keys and values:
 * counters, ids, addresses) here, the same way the codec would, without a
 * call into it; anything else through the codec. */
static inline void push_btf(lua_State *L, const struct pl_codec *c, const char *p)
{
	if (c->kind == PL_CODEC_INT && c->size == 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		lua_pushinteger(L, (lua_Integer)v);    /* __u64 wraps, as in the codec */
	} else if (c->kind == PL_CODEC_INT && c->size == 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		lua_pushinteger(L, c->is_signed ? (lua_Integer)(int32_t)v : (lua_Integer)v);
	} else {
		pl_lua_push_value(L, c, p);
	}
}

/* Push the value held in BUF (all CPUs for per-CPU maps). */
static void push_value(lua_State *L, struct pl_lua_map *m, const char *buf)
{
	if (m->ncpus == 1) {
		push_btf(L, m->value, buf);
		return;
	}
	lua_createtable(L, m->ncpus, 0);                   /* seq */
	for (int cpu = 0; cpu < m->ncpus; cpu++) {
		push_btf(L, m->value, buf + (size_t)cpu * m->stride);
		lua_rawseti(L, -2, cpu + 1);
	}
}

static void to_value(lua_State *L, struct pl_lua_map *m, int idx)
{
	char err[256];

	memset(m->vbuf, 0, (size_t)m->stride * m->ncpus);
	if (m->ncpus > 1 && lua_type(L, idx) == LUA_TTABLE && m->value->kind != PL_CODEC_STRUCT &&
	    m->value->kind != PL_CODEC_ARRAY) {
		/* A sequence: one value per CPU. */
		lua_Integer n = luaL_len(L, idx);
		if (n != m->ncpus)
			luaL_error(L, "map '%s': value: per-CPU sequence has %d values, "
				   "expected %d (one per possible CPU)", m->name, (int)n, m->ncpus);
		for (int cpu = 0; cpu < m->ncpus; cpu++) {
			lua_rawgeti(L, idx, cpu + 1);
			if (pl_lua_to_value(L, lua_gettop(L), m->value,
					    m->vbuf + (size_t)cpu * m->stride, err, sizeof(err)))
				luaL_error(L, "map '%s': value[%d]: %s", m->name, cpu + 1, err);
			lua_pop(L, 1);
		}
		return;
	}
	if (pl_lua_to_value(L, idx, m->value, m->vbuf, err, sizeof(err)))
		luaL_error(L, "map '%s': value: %s", m->name, err);
	for (int cpu = 1; cpu < m->ncpus; cpu++)
		memcpy(m->vbuf + (size_t)cpu * m->stride, m->vbuf, m->value_size);
}

static int map_index(lua_State *L)
{
	struct pl_lua_map *m = check_map(L, 1);

	check_readable(L, m);
	to_key(L, m, 2);
	if (bpf_map_lookup_elem(m->fd, m->kbuf, m->vbuf)) {
		if (errno == ENOENT)
			return lua_pushnil(L), 1;
		return luaL_error(L, "map '%s': lookup failed: %s", m->name, strerror(errno));
	}
	push_value(L, m, m->vbuf);
	return 1;
}

static int map_newindex(lua_State *L)
{
	struct pl_lua_map *m = check_map(L, 1);

	check_readable(L, m);
	to_key(L, m, 2);
	if (lua_isnil(L, 3) && !is_array(m->type)) {
		if (bpf_map_delete_elem(m->fd, m->kbuf) && errno != ENOENT)
			return luaL_error(L, "map '%s': delete failed: %s", m->name, strerror(errno));
		return 0;
	}
	if (lua_isnil(L, 3))
		memset(m->vbuf, 0, (size_t)m->stride * m->ncpus);  /* array: zero the slot */
	else
		to_value(L, m, 3);
	if (bpf_map_update_elem(m->fd, m->kbuf, m->vbuf, BPF_ANY)) {
		int e = errno;
		if ((e == E2BIG || e == EINVAL) && is_array(m->type))
			return luaL_error(L, "map '%s': index out of range (max_entries %d)",
					  m->name, (int)m->max_entries);
		if (e == E2BIG)
			return luaL_error(L, "map '%s' is full (max_entries %d)", m->name,
					  (int)m->max_entries);
		return luaL_error(L, "map '%s': update failed: %s", m->name, strerror(e));
	}
	return 0;
}

/* ---- iteration --------------------------------------------------------- */

/* The state of one pairs() loop: a chunk of entries read in one batch (or
 * one at a time where batches are not offered), handed out one by one. */
struct map_iter {
	struct pl_lua_map *m;        /* pinned by the iterator's user value */
	char *keys, *values;         /* chunk */
	uint32_t count, pos, cap;
	char token[8];               /* batch position: a __u32 (hash: bucket; array: index) */
	bool started, done, use_batch;
	char *next_key;              /* get_next_key fallback */
	bool have_key;
};

static int iter_gc(lua_State *L)
{
	struct map_iter *it = luaL_checkudata(L, 1, ITER_MT);

	free(it->keys);
	free(it->values);
	free(it->next_key);
	it->keys = it->values = it->next_key = NULL;
	it->count = it->pos = 0;         /* a later call ends the loop */
	it->done = true;
	it->use_batch = true;
	return 0;
}

/* Read the next chunk; false when the map has no more entries. */
static bool iter_fill(lua_State *L, struct map_iter *it)
{
	struct pl_lua_map *m = it->m;
	size_t vsize = (size_t)m->stride * m->ncpus;

	it->count = it->pos = 0;
	while (!it->done && it->use_batch) {
		__u32 count = it->cap;
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		int err = bpf_map_lookup_batch(m->fd, it->started ? it->token : NULL, it->token,
					       it->keys, it->values, &count, &opts);
		int e = err ? errno : 0;
		if (err && e == ENOSPC && count == 0 && it->cap < (1u << 20)) {
			/* A hash bucket holds more entries than the chunk. */
			it->cap *= 4;
			char *k = realloc(it->keys, (size_t)it->cap * m->key_size);
			if (k)
				it->keys = k;
			char *v = k ? realloc(it->values, it->cap * vsize) : NULL;
			if (v)
				it->values = v;
			if (!k || !v)
				luaL_error(L, "map '%s': out of memory while iterating", m->name);
			continue;
		}
		if (err && e != ENOENT) {
			if (!it->started && (e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP ||
					     e == 524 /* ENOTSUPP */)) {
				it->use_batch = false;   /* not offered for this map type */
				break;
			}
			luaL_error(L, "map '%s': batch lookup failed: %s", m->name, strerror(e));
		}
		it->started = true;
		it->done = err != 0;             /* ENOENT: that was the last chunk */
		it->count = count;
		if (count)
			return true;
	}
	if (it->use_batch)
		return false;

	/* One entry at a time. */
	while (!it->done) {
		int err = bpf_map_get_next_key(m->fd, it->have_key ? it->next_key : NULL,
					       it->next_key);
		if (err) {
			if (errno != ENOENT)
				luaL_error(L, "map '%s': iteration failed: %s", m->name,
					   strerror(errno));
			it->done = true;
			return false;
		}
		it->have_key = true;
		if (bpf_map_lookup_elem(m->fd, it->next_key, it->values))
			continue;                /* deleted under us */
		memcpy(it->keys, it->next_key, m->key_size);
		it->count = 1;
		return true;
	}
	return false;
}

/* The iterator is a closure over its state: a luaL_checkudata per entry
 * (a registry lookup and a strcmp of the metatable name) was a fifth of
 * the user-space time of pairs() over a 1M-entry map. */
static int iter_next(lua_State *L)
{
	struct map_iter *it = lua_touserdata(L, lua_upvalueindex(1));
	struct pl_lua_map *m = it->m;

	if (!m->owner->obj)
		return luaL_error(L, "map '%s': its Program was closed during pairs()", m->name);
	if (it->pos >= it->count && !iter_fill(L, it))
		return 0;
	uint32_t i = it->pos++;
	push_btf(L, m->key, it->keys + (size_t)i * m->key_size);
	push_value(L, m, it->values + (size_t)i * m->stride * m->ncpus);
	return 2;
}

static int map_pairs(lua_State *L)
{
	struct pl_lua_map *m = check_map(L, 1);

	check_readable(L, m);
	struct map_iter *it = lua_newuserdatauv(L, sizeof(*it), 1); /* it */
	memset(it, 0, sizeof(*it));
	luaL_setmetatable(L, ITER_MT);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);                       /* it pins the Map */
	lua_pushvalue(L, -1);                              /* it it */
	lua_pushcclosure(L, iter_next, 1);                 /* it next */
	lua_insert(L, -2);                                 /* next it */
	it->m = m;
	it->use_batch = true;
	it->cap = m->max_entries < BATCH_ENTRIES ? m->max_entries : BATCH_ENTRIES;
	if (!it->cap)
		it->cap = 1;
	it->keys = malloc((size_t)it->cap * m->key_size);
	it->values = malloc((size_t)it->cap * m->stride * m->ncpus);
	it->next_key = malloc(m->key_size);
	if (!it->keys || !it->values || !it->next_key)
		return luaL_error(L, "map '%s': out of memory", m->name);
	lua_pushnil(L);                                    /* next it nil */
	return 3;   /* pairs() keeps three results; __gc frees the chunk */
}

static int map_len(lua_State *L)
{
	struct pl_lua_map *m = check_map(L, 1);
	lua_Integer n = 0;

	check_readable(L, m);
	if (is_array(m->type)) {
		lua_pushinteger(L, m->max_entries);
		return 1;
	}
	bool have = false;
	while (!bpf_map_get_next_key(m->fd, have ? m->kbuf : NULL, m->kbuf)) {
		have = true;
		n++;
	}
	lua_pushinteger(L, n);
	return 1;
}

static int map_gc(lua_State *L)
{
	struct pl_lua_map *m = luaL_checkudata(L, 1, PL_MAP_MT);

	pl_codec__free(m->key);
	pl_codec__free(m->value);
	free(m->kbuf);
	free(m->vbuf);
	m->key = m->value = NULL;
	m->kbuf = m->vbuf = NULL;
	return 0;
}

static int map_tostring(lua_State *L)
{
	struct pl_lua_map *m = luaL_checkudata(L, 1, PL_MAP_MT);

	lua_pushfstring(L, "pktlua.Map '%s' (%s, %s -> %s)", m->name, map_type_name(m->type),
			m->key ? m->key->type_name : "?", m->value ? m->value->type_name : "?");
	return 1;
}

void pl_lua_push_map(lua_State *L, int program, struct bpf_map *map)
{
	struct pl_lua_program *owner = lua_touserdata(L, program);
	const struct btf *btf = bpf_object__btf(owner->obj);

	struct pl_lua_map *m = lua_newuserdatauv(L, sizeof(*m), 1); /* map */
	memset(m, 0, sizeof(*m));
	luaL_setmetatable(L, PL_MAP_MT);
	lua_pushvalue(L, program);
	lua_setiuservalue(L, -2, 1);                       /* map pins its Program */
	m->map = map;
	m->owner = owner;
	snprintf(m->name, sizeof(m->name), "%s", bpf_map__name(map));
	m->type = bpf_map__type(map);
	m->fd = bpf_map__fd(map);
	m->key_size = bpf_map__key_size(map);
	m->value_size = bpf_map__value_size(map);
	m->max_entries = bpf_map__max_entries(map);
	m->ncpus = 1;
	m->stride = m->value_size;
	if (is_percpu(m->type)) {
		m->ncpus = libbpf_num_possible_cpus();
		if (m->ncpus < 1)
			luaL_error(L, "map '%s': cannot count possible CPUs", m->name);
		m->stride = (m->value_size + 7) & ~7u;    /* the kernel's per-CPU slot */
	}
	m->key = pl_codec__new(btf, bpf_map__btf_key_type_id(map), m->key_size);
	m->value = pl_codec__new(btf, bpf_map__btf_value_type_id(map), m->value_size);
	m->kbuf = calloc(1, m->key_size ? m->key_size : 1);
	m->vbuf = calloc(m->ncpus, m->stride ? m->stride : 1);
	if (!m->key || !m->value || !m->kbuf || !m->vbuf)
		luaL_error(L, "map '%s': cannot build its key/value conversion: %s", m->name,
			   strerror(errno ? errno : ENOMEM));
}

static const luaL_Reg map_meta[] = {
	{"__gc", map_gc},
	{"__index", map_index},
	{"__len", map_len},
	{"__newindex", map_newindex},
	{"__pairs", map_pairs},
	{"__tostring", map_tostring},
	{NULL, NULL},
};

static const luaL_Reg iter_meta[] = {
	{"__close", iter_gc},
	{"__gc", iter_gc},
	{NULL, NULL},
};

void pl_lua_open_map(lua_State *L)
{
	luaL_newmetatable(L, PL_MAP_MT);
	luaL_setfuncs(L, map_meta, 0);
	luaL_newmetatable(L, ITER_MT);
	luaL_setfuncs(L, iter_meta, 0);
	lua_pop(L, 2);
}
