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
 * one value sets it on every CPU, a sequence sets each CPU's. Stack-trace
 * maps read as sequences of addresses (trailing zeros dropped). Maps of maps
 * take a Map (or an fd) as value and read back the inner map's id.
 *
 * Names never shadow keys: m.fd, m:pin(path), m:unpin() — and on queue and
 * stack maps m:push(v), m:pop(), m:peek(), on bloom filters m:push(v),
 * m:has(v) — are answered only where that string cannot be a key of the map:
 * keyless maps, and maps whose keys are integers or structs. For maps keyed
 * by strings (char[N], byte arrays, untyped bytes) m.fd is the entry "fd";
 * require "pktlua.map" has the same names as functions (map.fd(m),
 * map.pin(m, path), ...) for every Map, through the metatable's "methods".
 *
 * bpf.open_pinned(path) makes a Map of a pinned map with no Program: typed
 * by the map's own BTF, raw byte strings without it; it owns its fd. */
#include "lua/lua_map.h"

#include "bpf/caps.h"
#include "bpf/codec.h"
#include "bpf/mounts.h"
#include "lua/lua_codec.h"
#include "lua/lua_program.h"

#include <lauxlib.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#define ITER_MT "pktlua.MapIter"
#define BATCH_ENTRIES 4096   /* entries per BPF_MAP_LOOKUP_BATCH */

struct pl_lua_map {
	struct bpf_map *map;         /* NULL: opened from a pin (owner NULL too) */
	struct pl_lua_program *owner;
	struct pl_codec *key, *value;
	enum bpf_map_type type;
	int fd;
	uint32_t key_size, value_size;
	uint32_t stride;             /* bytes per CPU slot (per-CPU maps) */
	int ncpus;                   /* 1 unless per-CPU */
	uint32_t max_entries;
	char *kbuf, *vbuf;           /* scratch: one key, one (all-CPU) value */
	bool named;                  /* a string is never a key: m.NAME are names */
	struct btf *own_btf;         /* opened from a pin: its BTF, and m->fd, owned */
	char *pin_path;              /* opened from a pin: where this Map pinned it */
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

static bool is_queue(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_QUEUE || t == BPF_MAP_TYPE_STACK;
}

static bool is_map_of_maps(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static const char *map_type_name(enum bpf_map_type t)
{
	const char *s = libbpf_bpf_map_type_str(t);
	return s ? s : "unknown";
}

static bool map_closed(const struct pl_lua_map *m)
{
	return m->owner ? !m->owner->obj : m->fd < 0;
}

static struct pl_lua_map *check_map(lua_State *L, int idx)
{
	struct pl_lua_map *m = luaL_checkudata(L, idx, PL_MAP_MT);

	if (map_closed(m))
		luaL_error(L, "map '%s': its Program is closed", m->name);
	return m;
}

/* The map of a loaded Program (bpf.on, bpf.lost): not one opened from a pin. */
static struct pl_lua_map *check_program_map(lua_State *L, int idx)
{
	struct pl_lua_map *m = check_map(L, idx);

	if (!m->map)
		luaL_error(L, "map '%s' was opened from a pin: this needs a map of a loaded "
			   "Program", m->name);
	return m;
}

struct bpf_map *pl_lua_check_map(lua_State *L, int idx)
{
	return check_program_map(L, idx)->map;
}

struct pl_lua_program *pl_lua_map_program(lua_State *L, int idx)
{
	return check_program_map(L, idx)->owner;
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

/* A stack-trace map's value: the addresses as a sequence, innermost first,
 * without the zeros that pad a short stack. */
static void push_stack(lua_State *L, struct pl_lua_map *m, const char *buf)
{
	uint32_t n = m->value_size / 8;
	uint64_t a;

	while (n > 0) {
		memcpy(&a, buf + (size_t)(n - 1) * 8, 8);
		if (a)
			break;
		n--;
	}
	lua_createtable(L, (int)n, 0);                     /* seq */
	for (uint32_t i = 0; i < n; i++) {
		memcpy(&a, buf + (size_t)i * 8, 8);
		lua_pushinteger(L, (lua_Integer)a);
		lua_rawseti(L, -2, i + 1);
	}
}

/* Push the value held in BUF (all CPUs for per-CPU maps). */
static void push_value(lua_State *L, struct pl_lua_map *m, const char *buf)
{
	if (m->type == BPF_MAP_TYPE_STACK_TRACE) {
		push_stack(L, m, buf);
		return;
	}
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

static int push_name(lua_State *L, struct pl_lua_map *m, const char *k);

/* Keyless maps (queue, stack, bloom filter) are not tables. */
static int not_a_table(lua_State *L, struct pl_lua_map *m)
{
	if (m->type == BPF_MAP_TYPE_BLOOM_FILTER)
		return luaL_error(L, "map '%s' is a bloom filter: it has no keys; use "
				  "m:push(v) and m:has(v)", m->name);
	return luaL_error(L, "map '%s' is a %s: it has no keys; use m:push(v), m:pop(), "
			  "m:peek() (nil when empty)", m->name, map_type_name(m->type));
}

static int map_index(lua_State *L)
{
	struct pl_lua_map *m = check_map(L, 1);

	if (m->named && lua_type(L, 2) == LUA_TSTRING && push_name(L, m, lua_tostring(L, 2)))
		return 1;
	if (!m->key_size)
		return not_a_table(L, m);
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

	if (!m->key_size)
		return not_a_table(L, m);
	check_readable(L, m);
	to_key(L, m, 2);
	if (is_map_of_maps(m->type) && luaL_testudata(L, 3, PL_MAP_MT)) {
		/* outer[k] = inner: the kernel takes the inner map's fd. */
		uint32_t fd = (uint32_t)check_map(L, 3)->fd;
		memset(m->vbuf, 0, m->value_size);
		memcpy(m->vbuf, &fd, m->value_size < 4 ? m->value_size : 4);
	} else if (lua_isnil(L, 3) && !is_array(m->type)) {
		if (bpf_map_delete_elem(m->fd, m->kbuf) && errno != ENOENT)
			return luaL_error(L, "map '%s': delete failed: %s", m->name, strerror(errno));
		return 0;
	} else if (lua_isnil(L, 3)) {
		memset(m->vbuf, 0, (size_t)m->stride * m->ncpus);  /* array: zero the slot */
	} else {
		to_value(L, m, 3);
	}
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

	if (map_closed(m))
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

	if (!m->key_size)
		return not_a_table(L, m);
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

	if (!m->key_size)
		return luaL_error(L, "map '%s' is a %s: #m cannot be counted (m:pop() until nil "
				  "empties it)", m->name, map_type_name(m->type));
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

/* ---- names: fd, pin, unpin; push, pop, peek, has ------------------------ */

static int map_fd(lua_State *L)
{
	lua_pushinteger(L, check_map(L, 1)->fd);
	return 1;
}

static void check_kind(lua_State *L, struct pl_lua_map *m, const char *what, bool ok)
{
	if (!ok)
		luaL_error(L, "map '%s' is a %s map: %s", m->name, map_type_name(m->type), what);
}

/* m:push(v): onto a queue or stack (raises when full), into a bloom filter. */
static int map_push(lua_State *L)
{
	struct pl_lua_map *m = check_map(L, 1);

	check_kind(L, m, "push is for queue, stack and bloom filter maps",
		   is_queue(m->type) || m->type == BPF_MAP_TYPE_BLOOM_FILTER);
	luaL_checkany(L, 2);
	to_value(L, m, 2);
	if (bpf_map_update_elem(m->fd, NULL, m->vbuf, BPF_ANY)) {
		if (errno == E2BIG)
			return luaL_error(L, "map '%s' is full (max_entries %d)", m->name,
					  (int)m->max_entries);
		return luaL_error(L, "map '%s': push failed: %s", m->name, strerror(errno));
	}
	return 0;
}

/* m:pop() / m:peek(): the next value of a queue (oldest) or stack (newest),
 * removed or not; nil when empty. */
static int queue_read(lua_State *L, bool take)
{
	struct pl_lua_map *m = check_map(L, 1);

	check_kind(L, m, take ? "pop is for queue and stack maps" :
		   "peek is for queue and stack maps", is_queue(m->type));
	int err = take ? bpf_map_lookup_and_delete_elem(m->fd, NULL, m->vbuf) :
			 bpf_map_lookup_elem(m->fd, NULL, m->vbuf);
	if (err) {
		if (errno == ENOENT)
			return lua_pushnil(L), 1;
		return luaL_error(L, "map '%s': %s failed: %s", m->name, take ? "pop" : "peek",
				  strerror(errno));
	}
	push_value(L, m, m->vbuf);
	return 1;
}

static int map_pop(lua_State *L)
{
	return queue_read(L, true);
}

static int map_peek(lua_State *L)
{
	return queue_read(L, false);
}

/* m:has(v): whether a bloom filter may hold v (false: certainly not). */
static int map_has(lua_State *L)
{
	struct pl_lua_map *m = check_map(L, 1);

	check_kind(L, m, "has is for bloom filter maps", m->type == BPF_MAP_TYPE_BLOOM_FILTER);
	luaL_checkany(L, 2);
	to_value(L, m, 2);
	if (bpf_map_lookup_elem(m->fd, NULL, m->vbuf)) {
		if (errno == ENOENT)
			return lua_pushboolean(L, 0), 1;
		return luaL_error(L, "map '%s': has failed: %s", m->name, strerror(errno));
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* Why PATH cannot take a pin, when the reason is the file system. */
static const char *pin_fs_problem(const char *path)
{
	char dir[4096];
	struct statfs st;

	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (statfs(dir, &st))
		return NULL;               /* the pin itself will say why */
	if ((unsigned long)st.f_type != BPF_FS_MAGIC)
		return "not on a BPF file system (bpffs is mounted at /sys/fs/bpf)";
	return NULL;
}

/* m:pin(path): pin the map in bpffs, so that it outlives the script. */
static int map_pin(lua_State *L)
{
	struct pl_lua_map *m = check_map(L, 1);
	const char *path = luaL_checkstring(L, 2);
	int err;

	/* bpffs is mounted only when something needs it (bpf/mounts.h). */
	if (!strncmp(path, "/sys/fs/bpf/", 12))
		pl_mounts_ensure_bpffs();
	const char *fs = pin_fs_problem(path);

	if (fs)
		return luaL_error(L, "map '%s': cannot pin at '%s': %s", m->name, path, fs);
	if (m->map) {
		const char *at = bpf_map__pin_path(m->map);
		if (at && bpf_map__is_pinned(m->map) && strcmp(at, path))
			return luaL_error(L, "map '%s': cannot pin at '%s': already pinned at '%s' "
					  "(m:unpin() first)", m->name, path, at);
		bpf_map__set_pin_path(m->map, NULL);   /* a pin_path left from unpin or open */
		err = bpf_map__pin(m->map, path);
	} else {
		err = bpf_obj_pin(m->fd, path) ? -errno : 0;
		if (!err) {
			free(m->pin_path);
			m->pin_path = strdup(path);
		}
	}
	/* /sys/fs/bpf is root's, mode 0700: a user with only the BPF
	 * capabilities cannot write there. */
	char why[256];
	if ((err == -EACCES || err == -EPERM) &&
	    pl_caps_explain(PL_CAP(CAP_DAC_OVERRIDE), why, sizeof(why)))
		return luaL_error(L, "map '%s': cannot pin at '%s': %s; writing into a directory "
				  "of another user %s", m->name, path, strerror(-err), why);
	if (err)
		return luaL_error(L, "map '%s': cannot pin at '%s': %s", m->name, path,
				  strerror(-err));
	return 0;
}

/* m:unpin(): remove the pin m:pin() made, or libbpf made at load
 * (LIBBPF_PIN_BY_NAME). The map itself lives on while anything holds it. */
static int map_unpin(lua_State *L)
{
	struct pl_lua_map *m = check_map(L, 1);
	const char *path = m->map ? bpf_map__pin_path(m->map) : m->pin_path;

	if (!path || (m->map && !bpf_map__is_pinned(m->map)))
		return luaL_error(L, "map '%s' is not pinned", m->name);
	lua_pushstring(L, path);                           /* m path: keep it for messages */
	path = lua_tostring(L, -1);
	int err = m->map ? bpf_map__unpin(m->map, NULL) : (unlink(path) ? -errno : 0);
	if (err)
		return luaL_error(L, "map '%s': cannot unpin '%s': %s", m->name, path,
				  strerror(-err));
	if (m->map)
		bpf_map__set_pin_path(m->map, NULL);
	free(m->pin_path);
	m->pin_path = NULL;
	return 0;
}

static const luaL_Reg map_methods[] = {
	{"fd", map_fd},
	{"has", map_has},
	{"peek", map_peek},
	{"pin", map_pin},
	{"pop", map_pop},
	{"push", map_push},
	{"unpin", map_unpin},
	{NULL, NULL},
};

/* m.NAME where a string cannot be a key: push the name's value (the fd, or
 * a method) and return 1; 0 when NAME is none of this map's names. */
static int push_name(lua_State *L, struct pl_lua_map *m, const char *k)
{
	bool queue = is_queue(m->type), bloom = m->type == BPF_MAP_TYPE_BLOOM_FILTER;

	if (!strcmp(k, "fd")) {
		lua_pushinteger(L, m->fd);
		return 1;
	}
	if (!(!strcmp(k, "pin") || !strcmp(k, "unpin") ||
	      ((queue || bloom) && !strcmp(k, "push")) ||
	      (queue && (!strcmp(k, "pop") || !strcmp(k, "peek"))) ||
	      (bloom && !strcmp(k, "has")))) {
		if (!m->key_size)
			return luaL_error(L, "map '%s' (%s) has no '%s': its names are %s, fd, "
					  "pin, unpin", m->name, map_type_name(m->type), k,
					  queue ? "push, pop, peek" : bloom ? "push, has" : "none");
		return 0;
	}
	for (const luaL_Reg *r = map_methods; r->name; r++)
		if (!strcmp(r->name, k))
			lua_pushcfunction(L, r->func);
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
	if (!m->owner && m->fd >= 0)
		close(m->fd);                              /* opened from a pin */
	if (!m->owner)
		m->fd = -1;
	btf__free(m->own_btf);
	m->own_btf = NULL;
	free(m->pin_path);
	m->pin_path = NULL;
	return 0;
}

static int map_tostring(lua_State *L)
{
	struct pl_lua_map *m = luaL_checkudata(L, 1, PL_MAP_MT);

	lua_pushfstring(L, "pktlua.Map '%s' (%s, %s -> %s)", m->name, map_type_name(m->type),
			m->key ? m->key->type_name : "?", m->value ? m->value->type_name : "?");
	return 1;
}

/* Whether a Lua string can be a key of the map (so m.NAME must be a lookup). */
static bool takes_string_keys(const struct pl_codec *key)
{
	return key->kind == PL_CODEC_CHARS || key->kind == PL_CODEC_BYTES ||
	       (key->kind == PL_CODEC_ARRAY && key->elem->kind == PL_CODEC_INT &&
		key->elem->size == 1);
}

/* What a Map needs, however it was found; codecs from BTF (NULL: raw bytes). */
struct map_desc {
	const char *name;
	enum bpf_map_type type;
	int fd;
	uint32_t key_size, value_size, max_entries;
	const struct btf *btf;
	uint32_t key_type, value_type;
};

/* Fill the Map at the top of the stack (created, metatable set, zeroed) from D. */
static void map_setup(lua_State *L, struct pl_lua_map *m, const struct map_desc *d)
{
	snprintf(m->name, sizeof(m->name), "%s", d->name);
	m->type = d->type;
	m->fd = d->fd;
	m->key_size = d->key_size;
	m->value_size = d->value_size;
	m->max_entries = d->max_entries;
	m->ncpus = 1;
	m->stride = m->value_size;
	if (is_percpu(m->type)) {
		m->ncpus = libbpf_num_possible_cpus();
		if (m->ncpus < 1)
			luaL_error(L, "map '%s': cannot count possible CPUs", m->name);
		m->stride = (m->value_size + 7) & ~7u;    /* the kernel's per-CPU slot */
	}
	if (d->btf) {
		m->key = pl_codec__new(d->btf, d->key_type, m->key_size);
		m->value = pl_codec__new(d->btf, d->value_type, m->value_size);
	} else {
		m->key = pl_codec__new_bytes(m->key_size);
		m->value = pl_codec__new_bytes(m->value_size);
	}
	m->kbuf = calloc(1, m->key_size ? m->key_size : 1);
	m->vbuf = calloc(m->ncpus, m->stride ? m->stride : 1);
	if (!m->key || !m->value || !m->kbuf || !m->vbuf)
		luaL_error(L, "map '%s': cannot build its key/value conversion: %s", m->name,
			   strerror(errno ? errno : ENOMEM));
	m->named = !m->key_size || !takes_string_keys(m->key);
}

void pl_lua_push_map(lua_State *L, int program, struct bpf_map *map)
{
	struct pl_lua_program *owner = lua_touserdata(L, program);

	struct pl_lua_map *m = lua_newuserdatauv(L, sizeof(*m), 1); /* map */
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	luaL_setmetatable(L, PL_MAP_MT);
	lua_pushvalue(L, program);
	lua_setiuservalue(L, -2, 1);                       /* map pins its Program */
	m->map = map;
	m->owner = owner;
	struct map_desc d = {
		.name = bpf_map__name(map), .type = bpf_map__type(map), .fd = bpf_map__fd(map),
		.key_size = bpf_map__key_size(map), .value_size = bpf_map__value_size(map),
		.max_entries = bpf_map__max_entries(map), .btf = bpf_object__btf(owner->obj),
		.key_type = bpf_map__btf_key_type_id(map),
		.value_type = bpf_map__btf_value_type_id(map),
	};
	map_setup(L, m, &d);
}

int pl_lua_open_pinned(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	struct pl_lua_map *m = lua_newuserdatauv(L, sizeof(*m), 1); /* path map */
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	luaL_setmetatable(L, PL_MAP_MT);                   /* __gc closes what it holds */
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return luaL_error(L, "bpf.open_pinned: %s: %s", path, strerror(errno));
	m->fd = fd;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return luaL_error(L, "bpf.open_pinned: %s: not a map (%s)", path,
				  errno == EINVAL ? "a program or link?" : strerror(errno));
	if (info.btf_id) {
		m->own_btf = btf__load_from_kernel_by_id(info.btf_id);
		if (!m->own_btf)
			return luaL_error(L, "bpf.open_pinned: %s: cannot read its BTF (id %u): %s",
					  path, info.btf_id, strerror(errno));
	}
	struct map_desc d = {
		.name = info.name, .type = info.type, .fd = fd, .key_size = info.key_size,
		.value_size = info.value_size, .max_entries = info.max_entries,
		.btf = m->own_btf, .key_type = info.btf_key_type_id,
		.value_type = info.btf_value_type_id,
	};
	map_setup(L, m, &d);
	m->pin_path = strdup(path);
	return 1;
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
	luaL_newlib(L, map_methods);
	lua_setfield(L, -2, "methods");                    /* for pktlua.map's functions */
	luaL_newmetatable(L, ITER_MT);
	luaL_setfuncs(L, iter_meta, 0);
	lua_pop(L, 2);
}
