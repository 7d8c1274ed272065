/* lua_symbols.c — symbols for Lua: bpf.ksym, bpf.usym, and the module
 * "pktlua.symbols" that require "pktlua.stack" builds on:
 *
 *   symbols.ksym(addr)            -> name, offset, module | nil
 *   symbols.usym(pid, addr)       -> name, offset, module | nil, offset, module | nil
 *   symbols.addrs(map, id)        -> { addr, ... } of a stack-trace map entry | nil
 *   symbols.kframes(map, id)      -> { {addr=, name=, offset=, module=}, ... } | nil
 *   symbols.uframes(map, id, pid) -> the same for a user stack
 *   symbols.snapshot(pid)         -> true | nil, err: keep PID's mappings now
 *   symbols.stats()               -> { procs=, files=, maps_reads=, file_parses=, exit_records= }
 *   symbols.functions(path)       -> { {name=, addr=, size=, offset=}, ... } sorted by name:
 *                                    what a uprobe attaches to (elf_syms.h), raises if
 *                                    PATH is not a readable ELF file
 *   symbols.find(name [, pid])    -> path | nil, err: a binary or library as uprobes
 *                                    find it ("c" -> libc.so.6, "bash" in PATH; libs.h)
 *
 * One resolver per Lua state (files parsed once for the whole run). The
 * exit hook of <pktlua/stack.h> sends the mappings of exiting processes to
 * the object's pktlua_stack_vmas ring buffer; it is read before each user
 * stack is resolved, so an exited process's stacks still resolve. */
#include "lua/lua_symbols.h"

#include "bpf/attach.h"
#include "lua/lua_map.h"
#include "lua/lua_program.h"
#include "symbols/elf_syms.h"
#include "symbols/kallsyms.h"
#include "symbols/libs.h"
#include "symbols/usyms.h"

#include <lauxlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define STATE_KEY "pktlua.symbols"
#define STATE_MT "pktlua.SymbolsState"
#define MAX_RINGS 16

struct ring {
	__u32 map_id;
	struct ring_buffer *rb;
};

struct state {
	struct pl_usyms *us;
	struct ring rings[MAX_RINGS];
	int nrings;
	uint64_t exit_records;
	__u64 *vbuf;               /* one stack-trace map value */
	size_t vbuf_len;
};

static int state_gc(lua_State *L)
{
	struct state *st = luaL_checkudata(L, 1, STATE_MT);

	for (int i = 0; i < st->nrings; i++)
		ring_buffer__free(st->rings[i].rb);
	st->nrings = 0;
	pl_usyms__free(st->us);
	st->us = NULL;
	free(st->vbuf);
	st->vbuf = NULL;
	return 0;
}

static struct state *get_state(lua_State *L)
{
	struct state *st;

	if (lua_getfield(L, LUA_REGISTRYINDEX, STATE_KEY) == LUA_TUSERDATA) {
		st = lua_touserdata(L, -1);
		lua_pop(L, 1);
		return st;
	}
	lua_pop(L, 1);
	st = lua_newuserdatauv(L, sizeof(*st), 0);        /* st */
	memset(st, 0, sizeof(*st));
	if (luaL_newmetatable(L, STATE_MT)) {
		lua_pushcfunction(L, state_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	st->us = pl_usyms__new(NULL);
	if (!st->us)
		luaL_error(L, "symbols: out of memory");
	lua_setfield(L, LUA_REGISTRYINDEX, STATE_KEY);
	return st;
}

/* ---- kernel and user symbols ------------------------------------------------ */

static uint64_t check_addr(lua_State *L, int idx)
{
	return (uint64_t)luaL_checkinteger(L, idx);
}

/* kallsyms is read once; modules and BPF programs loaded later are missed,
 * or taken for a neighbour in the BPF JIT's memory: on a miss or a BPF
 * program's symbol, read it again if the last read is over a second old
 * (pktlua's own loads make the next lookup read it anyway). */
static const struct pl_ksym *find_ksym(uint64_t addr, uint64_t *off)
{
	const struct pl_ksyms *ks = pl_ksyms();
	const struct pl_ksym *s = ks ? pl_ksyms__find(ks, addr, off) : NULL;

	if (ks && (!s || (s->module && !strcmp(s->module, "bpf"))) &&
	    pl_ksyms_age_ns() >= 1000000000ull) {
		pl_ksyms_invalidate();
		ks = pl_ksyms();
		s = ks ? pl_ksyms__find(ks, addr, off) : NULL;
	}
	return s;
}

static int push_ksym(lua_State *L, uint64_t addr)
{
	uint64_t off;
	const struct pl_ksym *s = find_ksym(addr, &off);

	if (!s) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushstring(L, s->name);
	lua_pushinteger(L, (lua_Integer)off);
	if (s->module)
		lua_pushstring(L, s->module);
	else
		lua_pushnil(L);
	return 3;
}

static int sym_ksym(lua_State *L)
{
	return push_ksym(L, check_addr(L, 1));
}

static int on_exit_record(void *ctx, void *data, size_t size);

/* Resolve ADDR in PID. A process exiting now may already be gone from
 * /proc (its mm released) while the exit hook's records of its mappings
 * wait in a ring no one has read since: on a miss, read every exit ring
 * this state knows and try once more. */
static int resolve_user(struct state *st, pid_t pid, uint64_t addr, struct pl_usym *u)
{
	int err = pl_usyms__resolve(st->us, pid, addr, u);

	if (err != -ENOENT && err != -ESRCH)
		return err;
	uint64_t before = st->exit_records;
	for (int i = 0; i < st->nrings; i++)
		ring_buffer__consume(st->rings[i].rb);
	return st->exit_records == before ? err : pl_usyms__resolve(st->us, pid, addr, u);
}

static int sym_usym(lua_State *L)
{
	struct state *st = get_state(L);
	lua_Integer pid = luaL_checkinteger(L, 1);
	uint64_t addr = check_addr(L, 2);
	struct pl_usym u;

	luaL_argcheck(L, pid > 0 && pid <= INT32_MAX, 1, "a process id");
	int err = resolve_user(st, (pid_t)pid, addr, &u);
	if (err) {
		lua_pushnil(L);
		lua_pushnil(L);
		lua_pushnil(L);
		return 3;
	}
	if (u.name)
		lua_pushstring(L, u.name);
	else
		lua_pushnil(L);
	lua_pushinteger(L, (lua_Integer)u.offset);
	lua_pushstring(L, u.module);
	return 3;
}

/* ---- the exit hook's records ------------------------------------------------ */

static int on_exit_record(void *ctx, void *data, size_t size)
{
	struct state *st = ctx;

	if (!pl_usyms__remember_record(st->us, data, size))
		st->exit_records++;
	return 0;
}

/* Read what the exit hook of MAP's object has sent so far. */
static void drain_exits(lua_State *L, struct state *st, int map_idx)
{
	struct pl_lua_program *p = pl_lua_map_program(L, map_idx);
	struct bpf_map *ring = bpf_object__find_map_by_name(p->obj, "pktlua_stack_vmas");
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int i;

	if (!ring || bpf_map__fd(ring) < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_map__fd(ring), &info, &len))
		return;
	for (i = 0; i < st->nrings; i++)
		if (st->rings[i].map_id == info.id)
			break;
	if (i == st->nrings) {
		if (st->nrings == MAX_RINGS) {
			/* Programs come and go: drop the oldest reader. */
			ring_buffer__free(st->rings[0].rb);
			memmove(st->rings, st->rings + 1, sizeof(st->rings[0]) * (MAX_RINGS - 1));
			st->nrings--;
			i = st->nrings;
		}
		struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(ring), on_exit_record, st, NULL);
		if (!rb)
			return;
		st->rings[i].map_id = info.id;
		st->rings[i].rb = rb;
		st->nrings++;
	}
	ring_buffer__consume(st->rings[i].rb);
}

/* ---- stack-trace maps -------------------------------------------------------- */

/* Read entry ID of the stack-trace map at IDX into st->vbuf. Returns the
 * number of frames (trailing zeros dropped), or -1 when there is no entry. */
static int read_stack(lua_State *L, struct state *st, int idx, lua_Integer id)
{
	struct bpf_map *map = pl_lua_check_map(L, idx);
	__u32 vsize = bpf_map__value_size(map), key = (__u32)id;

	if (bpf_map__type(map) != BPF_MAP_TYPE_STACK_TRACE)
		luaL_error(L, "map '%s' is not a stack-trace map (BPF_MAP_TYPE_STACK_TRACE)",
			   bpf_map__name(map));
	if (bpf_map__map_flags(map) & BPF_F_STACK_BUILD_ID)
		luaL_error(L, "map '%s' holds build-id stacks (BPF_F_STACK_BUILD_ID), which "
			   "pktlua.stack does not decode: use a stack map without the flag "
			   "(<pktlua/stack.h>'s exit hook keeps the mappings of processes that "
			   "exit)", bpf_map__name(map));
	if (id < 0 || id > UINT32_MAX)
		return -1;                      /* a failed bpf_get_stackid() */
	if (st->vbuf_len < vsize) {
		free(st->vbuf);
		st->vbuf = malloc(vsize);
		st->vbuf_len = st->vbuf ? vsize : 0;
		if (!st->vbuf)
			luaL_error(L, "map '%s': out of memory", bpf_map__name(map));
	}
	if (bpf_map_lookup_elem(bpf_map__fd(map), &key, st->vbuf))
		return -1;
	int n = (int)(vsize / sizeof(__u64));
	while (n > 0 && st->vbuf[n - 1] == 0)
		n--;
	return n;
}

static void push_frame(lua_State *L, uint64_t addr, const char *name, uint64_t off,
		       const char *module)
{
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, (lua_Integer)addr);
	lua_setfield(L, -2, "addr");
	if (name) {
		lua_pushstring(L, name);
		lua_setfield(L, -2, "name");
	}
	if (name || module) {
		lua_pushinteger(L, (lua_Integer)off);
		lua_setfield(L, -2, "offset");
	}
	if (module) {
		lua_pushstring(L, module);
		lua_setfield(L, -2, "module");
	}
}

enum frames { ADDRS, KFRAMES, UFRAMES };

/* The stack at argument 2 in the stack-trace map at argument 1, as a
 * sequence: addresses, or frames resolved in the kernel or in process PID
 * (0: none). nil when the map has no such stack. */
static int push_stack(lua_State *L, enum frames how, pid_t pid)
{
	struct state *st = get_state(L);

	if (how == UFRAMES)
		drain_exits(L, st, 1);
	int n = read_stack(L, st, 1, luaL_checkinteger(L, 2));
	if (n < 0) {
		lua_pushnil(L);
		return 1;
	}
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		uint64_t addr = st->vbuf[i], off = 0;
		const struct pl_ksym *ks;
		struct pl_usym u;

		if (how == ADDRS) {
			lua_pushinteger(L, (lua_Integer)addr);
		} else if (how == KFRAMES) {
			ks = find_ksym(addr, &off);
			push_frame(L, addr, ks ? ks->name : NULL, off, ks ? ks->module : NULL);
		} else if (pid && !resolve_user(st, pid, addr, &u)) {
			push_frame(L, addr, u.name, u.offset, u.module);
		} else {
			push_frame(L, addr, NULL, 0, NULL);
		}
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static int sym_addrs(lua_State *L)
{
	return push_stack(L, ADDRS, 0);
}

static int sym_kframes(lua_State *L)
{
	return push_stack(L, KFRAMES, 0);
}

static int sym_uframes(lua_State *L)
{
	lua_Integer pid = luaL_checkinteger(L, 3);

	luaL_argcheck(L, pid >= 0 && pid <= INT32_MAX, 3, "a process id");
	return push_stack(L, UFRAMES, (pid_t)pid);
}

static int sym_snapshot(lua_State *L)
{
	struct state *st = get_state(L);
	lua_Integer pid = luaL_checkinteger(L, 1);

	luaL_argcheck(L, pid > 0 && pid <= INT32_MAX, 1, "a process id");
	int err = pl_usyms__snapshot(st->us, (pid_t)pid);
	if (err) {
		lua_pushnil(L);
		lua_pushfstring(L, "process %d: %s", (int)pid, strerror(-err));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int sym_stats(lua_State *L)
{
	struct state *st = get_state(L);
	struct pl_usyms_stats s;

	pl_usyms__stats(st->us, &s);
	lua_createtable(L, 0, 5);
	lua_pushinteger(L, (lua_Integer)s.procs);
	lua_setfield(L, -2, "procs");
	lua_pushinteger(L, (lua_Integer)s.files);
	lua_setfield(L, -2, "files");
	lua_pushinteger(L, (lua_Integer)s.maps_reads);
	lua_setfield(L, -2, "maps_reads");
	lua_pushinteger(L, (lua_Integer)s.file_parses);
	lua_setfield(L, -2, "file_parses");
	lua_pushinteger(L, (lua_Integer)st->exit_records);
	lua_setfield(L, -2, "exit_records");
	return 1;
}

/* ---- ELF files, for uprobes by name -------------------------------------------- */

static int sym_functions(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct pl_elf_syms *es;
	struct pl_elf_func *f;
	size_t n;
	int err = pl_elf_syms__open(path, &es);

	if (!err) {
		err = pl_elf_syms__functions(es, &f, &n);
		pl_elf_syms__free(es);
	}
	if (err) {
		/* No position: the message is for the tool's user, as io.open's. */
		lua_pushfstring(L, "%s: %s", path, err == -ENOEXEC ? "not an ELF file" : strerror(-err));
		return lua_error(L);
	}
	lua_createtable(L, (int)n, 0);                      /* list */
	for (size_t i = 0; i < n; i++) {
		lua_createtable(L, 0, 4);                   /* list e */
		lua_pushstring(L, f[i].name);
		lua_setfield(L, -2, "name");
		lua_pushinteger(L, (lua_Integer)f[i].addr);
		lua_setfield(L, -2, "addr");
		lua_pushinteger(L, (lua_Integer)f[i].size);
		lua_setfield(L, -2, "size");
		lua_pushinteger(L, (lua_Integer)f[i].offset);
		lua_setfield(L, -2, "offset");
		lua_rawseti(L, -2, (lua_Integer)i + 1);     /* list */
	}
	free(f);
	return 1;
}

static int sym_find(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	lua_Integer pid = luaL_optinteger(L, 2, 0);
	char path[PATH_MAX];

	luaL_argcheck(L, pid >= 0 && pid <= INT32_MAX, 2, "a process id");
	if (!pl_lib_find(name, (int)pid, path, sizeof(path))) {
		lua_pushstring(L, path);
		return 1;
	}
	lua_pushnil(L);
	if (strchr(name, '/'))
		lua_pushfstring(L, "'%s': no such file", name);
	else
		lua_pushfstring(L, "'%s' not found in PATH, the library directories or the "
				"ld.so cache", name);
	return 2;
}

/* ---- the exit hook, attached at load ------------------------------------------ */

void pl_lua_symbols_loaded(lua_State *L, int idx)
{
	struct pl_lua_program *p = luaL_checkudata(L, idx, PL_PROGRAM_MT);
	struct bpf_program *prog = bpf_object__find_program_by_name(p->obj, "pktlua_stack_exit");

	/* Its programs are new kernel symbols. */
	pl_ksyms_invalidate();
	if (!prog)
		return;
	idx = lua_absindex(L, idx);
	/* p:attach() skips it from now on (lua_program.c). */
	bpf_program__set_autoattach(prog, false);
	lua_getfield(L, idx, "progs");                     /* progs */
	lua_getfield(L, -1, "pktlua_stack_exit");          /* progs prog */
	lua_getfield(L, -1, "attach");                     /* progs prog attach */
	lua_insert(L, -2);                                 /* progs attach prog */
	lua_call(L, 1, 0);                                 /* progs (the Link stays with p) */
	lua_pop(L, 1);
}

static const luaL_Reg sym_funcs[] = {
	{"addrs", sym_addrs},
	{"find", sym_find},
	{"functions", sym_functions},
	{"kframes", sym_kframes},
	{"ksym", sym_ksym},
	{"snapshot", sym_snapshot},
	{"stats", sym_stats},
	{"uframes", sym_uframes},
	{"usym", sym_usym},
	{NULL, NULL},
};

void pl_lua_symbols_register(lua_State *L)
{
	lua_pushcfunction(L, sym_ksym);
	lua_setfield(L, -2, "ksym");
	lua_pushcfunction(L, sym_usym);
	lua_setfield(L, -2, "usym");
}

int luaopen_pktlua_symbols(lua_State *L)
{
	get_state(L);
	luaL_newlib(L, sym_funcs);
	return 1;
}
