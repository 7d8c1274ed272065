/* lua_program.c — Program, Prog and Link userdata.
 *
 * A Program is one loaded object: p.progs.NAME are its Progs, p.maps.NAME
 * its Maps, p.globals its global variables (lua_globals.c). Attachments
 * are Links. A Program stays alive (and attached) until it is closed, by
 * p:close(), a <close> variable, or the end of the script, even when the
 * script drops every reference to it: an attached probe that silently
 * detached on the next garbage collection would be a trap. */
#include "lua/lua_program.h"

#include "bpf/attach.h"
#include "lua/lua_events.h"
#include "lua/lua_globals.h"
#include "lua/lua_map.h"
#include "lua/lua_offline.h"

#include <lauxlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>


struct pl_lua_prog {
	struct bpf_program *prog;      /* libbpf's: freed with the Program's object */
	struct pl_lua_program *owner;
	char name[64];                 /* for messages once the Program is closed */
};

struct pl_lua_link {
	struct pl_link *link;          /* NULL once detached */
	struct pl_offline_target *offline; /* --pcap: bound to the capture instead */
	struct pl_lua_program *owner;
	struct pl_lua_link *next;      /* in owner->links */
};

/* ---- Program ---------------------------------------------------------- */

static struct pl_lua_program *check_program(lua_State *L, int idx)
{
	struct pl_lua_program *p = luaL_checkudata(L, idx, PL_PROGRAM_MT);

	luaL_argcheck(L, p->obj != NULL, idx, "program is closed");
	return p;
}

static void unlink_link(struct pl_lua_link *l)
{
	struct pl_lua_link **pp = &l->owner->links;

	while (*pp && *pp != l)
		pp = &(*pp)->next;
	if (*pp)
		*pp = l->next;
	l->next = NULL;
}

static bool link_attached(const struct pl_lua_link *l)
{
	return l->link || l->offline;
}

static void link_detach(struct pl_lua_link *l)
{
	if (!link_attached(l))
		return;
	pl_link__destroy(l->link);
	l->link = NULL;
	pl_lua_offline_unbind(l->offline);
	l->offline = NULL;
	unlink_link(l);
}

/* Detach every link of the N programs PS: the kernel links all at once
 * (pl_link__destroy_all: their detach waits overlap), then what is left
 * (--pcap bindings; everything, if there is no memory for the batch) one by
 * one, newest first. */
static void detach_all(struct pl_lua_program **ps, int n)
{
	size_t count = 0, i = 0;
	struct pl_link **links;

	for (int j = 0; j < n; j++)
		for (struct pl_lua_link *l = ps[j]->links; l; l = l->next)
			count++;
	links = count > 1 ? calloc(count, sizeof(*links)) : NULL;
	for (int j = 0; j < n && links; j++)
		for (struct pl_lua_link *l = ps[j]->links; l; l = l->next) {
			links[i++] = l->link;
			l->link = NULL;
		}
	pl_link__destroy_all(links, i);
	free(links);
	for (int j = 0; j < n; j++)
		while (ps[j]->links) {
			struct pl_lua_link *l = ps[j]->links;

			if (link_attached(l))
				link_detach(l);
			else
				unlink_link(l);
		}
}

static void program_close(lua_State *L, struct pl_lua_program *p, int idx)
{
	if (!p->obj)
		return;
	/* Detach before the programs go away. */
	detach_all(&p, 1);
	/* Buffer consumers hold the maps' fds and mmaps: free them first. */
	pl_lua_events_close(L, p);
	bpf_object__close(p->obj);
	p->obj = NULL;
	if (lua_getfield(L, LUA_REGISTRYINDEX, PL_PROGRAMS_KEY) == LUA_TTABLE) { /* programs */
		lua_pushvalue(L, idx);
		lua_pushnil(L);
		lua_rawset(L, -3);
	}
	lua_pop(L, 1);
}

static int program_close_m(lua_State *L)
{
	struct pl_lua_program *p = luaL_checkudata(L, 1, PL_PROGRAM_MT);

	program_close(L, p, 1);
	return 0;
}

void pl_lua_close_programs(lua_State *L)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, PL_PROGRAMS_KEY) != LUA_TTABLE) {
		lua_pop(L, 1);
		return;
	}
	/* Closing removes entries, so collect first, then close. */
	lua_newtable(L);                                   /* programs list */
	int n = 0;
	lua_pushnil(L);
	while (lua_next(L, -3)) {                          /* programs list key true */
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_rawseti(L, -3, ++n);
	}
	/* Every Program's links first, in one batch: the exit does not wait
	 * for the kernel once per Program. */
	struct pl_lua_program **ps = n ? calloc(n, sizeof(*ps)) : NULL;
	for (int i = 0; i < n && ps; i++) {
		lua_rawgeti(L, -1, i + 1);                 /* programs list p */
		ps[i] = lua_touserdata(L, -1);
		lua_pop(L, 1);
	}
	if (ps)
		detach_all(ps, n);
	free(ps);
	for (int i = n; i >= 1; i--) {                     /* newest first */
		lua_rawgeti(L, -1, i);
		program_close(L, lua_touserdata(L, -1), lua_gettop(L));
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
}

static int program_tostring(lua_State *L)
{
	struct pl_lua_program *p = luaL_checkudata(L, 1, PL_PROGRAM_MT);

	lua_pushfstring(L, "pktlua.Program '%s'%s", p->name, p->obj ? "" : " (closed)");
	return 1;
}

/* ---- attach options ----------------------------------------------------- */

static const char *const attach_keys[] = {
	"binary", "cgroup", "direction", "event", "freq", "iface", "mode", "name",
	"offset", "period", "pid", "provider", "retprobe", "symbol", "tracepoint", "cookie", "first",
	NULL,
};

/* Fill OPTS from the table at IDX (if any). Strings stay owned by the table,
 * which the caller keeps on the stack while OPTS is in use. */
static void check_attach_opts(lua_State *L, int idx, struct pl_attach_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	if (lua_isnoneornil(L, idx))
		return;
	luaL_checktype(L, idx, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, idx)) {                         /* key value */
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "attach: option names are strings, got %s",
				   luaL_typename(L, -2));
		const char *k = lua_tostring(L, -2);
		int which = -1;
		for (int i = 0; attach_keys[i]; i++)
			if (!strcmp(k, attach_keys[i]))
				which = i;
		if (which < 0)
			luaL_error(L, "attach: unknown option '%s' (known: binary, cgroup, "
				   "direction, event, freq, iface, mode, name, offset, period, "
				   "pid, provider, retprobe, symbol, tracepoint, cookie, first)", k);
		switch (which) {
		case 0: opts->binary = luaL_checkstring(L, -1); break;
		case 1: opts->cgroup = luaL_checkstring(L, -1); break;
		case 2: opts->direction = luaL_checkstring(L, -1); break;
		case 3: opts->event = luaL_checkstring(L, -1); break;
		case 4: opts->freq = (uint64_t)luaL_checkinteger(L, -1); break;
		case 5: opts->iface = luaL_checkstring(L, -1); break;
		case 6: opts->mode = luaL_checkstring(L, -1); break;
		case 7: opts->name = luaL_checkstring(L, -1); break;
		case 8: opts->offset = (uint64_t)luaL_checkinteger(L, -1); break;
		case 9: opts->period = (uint64_t)luaL_checkinteger(L, -1); break;
		case 10: opts->pid = (int)luaL_checkinteger(L, -1); break;
		case 11: opts->provider = luaL_checkstring(L, -1); break;
		case 12: opts->retprobe = lua_toboolean(L, -1); break;
		case 13: opts->symbol = luaL_checkstring(L, -1); break;
		case 14: opts->tracepoint = luaL_checkstring(L, -1); break;
		case 15: opts->cookie = (uint64_t)luaL_checkinteger(L, -1); break;
		case 16: opts->first = lua_toboolean(L, -1); break;
		}
		lua_pop(L, 1);                             /* key */
	}
}

/* ---- Link ----------------------------------------------------------------- */

static struct pl_lua_link *check_link(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, PL_LINK_MT);
}

/* Attach the Prog at PROG_IDX with OPTS; push a Link or raise. */
static void push_attached(lua_State *L, int prog_idx, const struct pl_attach_opts *opts)
{
	struct pl_lua_prog *pr = lua_touserdata(L, prog_idx);
	char err[512];

	struct pl_lua_link *l = lua_newuserdatauv(L, sizeof(*l), 1); /* link */
	memset(l, 0, sizeof(*l));
	luaL_setmetatable(L, PL_LINK_MT);
	lua_getiuservalue(L, prog_idx, 1);                 /* link program */
	lua_setiuservalue(L, -2, 1);                       /* link: pins the Program */
	l->owner = pr->owner;

	if (pl_lua_offline_takes(pr->prog, opts->iface)) {
		/* --pcap: the interface stays untouched; bpf.run() replays the
		 * capture through the program. */
		l->offline = pl_lua_offline_bind(pr->prog, opts->direction);
		if (!l->offline)
			luaL_error(L, "program '%s': cannot bind to the capture: out of memory",
				   bpf_program__name(pr->prog));
	} else if (pl_attach(pr->prog, opts, &l->link, err, sizeof(err))) {
		luaL_error(L, "%s", err);
	}
	l->next = pr->owner->links;
	pr->owner->links = l;

	/* The Program holds its links strongly, so they stay attached while the
	 * Program lives, whether or not the script keeps the Link. */
	lua_getiuservalue(L, prog_idx, 1);                 /* link program */
	lua_getiuservalue(L, -1, 1);                       /* link program uv */
	lua_getfield(L, -1, "links");                      /* link program uv links */
	lua_pushvalue(L, -4);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_pop(L, 3);                                     /* link */
}

static int link_detach_m(lua_State *L)
{
	struct pl_lua_link *l = check_link(L, 1);

	if (!link_attached(l))
		return 0;
	link_detach(l);
	lua_getiuservalue(L, 1, 1);                        /* program */
	if (lua_getiuservalue(L, -1, 1) == LUA_TTABLE) {   /* program uv */
		lua_getfield(L, -1, "links");
		lua_pushvalue(L, 1);
		lua_pushnil(L);
		lua_rawset(L, -3);
	}
	return 0;
}

static int link_gc(lua_State *L)
{
	struct pl_lua_link *l = check_link(L, 1);

	if (link_attached(l))
		link_detach(l);
	return 0;
}

static int link_tostring(lua_State *L)
{
	struct pl_lua_link *l = check_link(L, 1);

	lua_pushfstring(L, "pktlua.Link %s", l->link ? pl_link__describe(l->link) :
			l->offline ? pl_lua_offline_describe(l->offline) : "(detached)");
	return 1;
}

/* ---- Prog ----------------------------------------------------------------- */

/* A Prog of a closed Program: PROG points into freed memory, so nothing
 * but the copy of its name may be read. */
static struct pl_lua_prog *check_prog(lua_State *L, int idx)
{
	struct pl_lua_prog *pr = luaL_checkudata(L, idx, PL_PROG_MT);

	if (!pr->owner->obj)
		luaL_error(L, "program '%s': its Program is closed", pr->name);
	return pr;
}

struct bpf_program *pl_lua_check_prog(lua_State *L, int idx)
{
	return check_prog(L, idx)->prog;
}

static int prog_attach(lua_State *L)
{
	struct pl_attach_opts opts;

	check_prog(L, 1);
	check_attach_opts(L, 2, &opts);
	push_attached(L, 1, &opts);
	return 1;
}

/* Output room beyond the input: XDP and tc programs may grow the packet
 * (bpf_xdp_adjust_head/tail, bpf_skb_change_tail). */
#define RUN_OUT_SLACK 4096

static const char *prog_type_name(enum bpf_prog_type t)
{
	const char *s = libbpf_bpf_prog_type_str(t);
	return s ? s : "unknown";
}

static int prog_run(lua_State *L)
{
	struct pl_lua_prog *pr = check_prog(L, 1);
	size_t len, ctx_len = 0;
	const char *data = luaL_checklstring(L, 2, &len);
	const char *ctx = NULL;
	lua_Integer repeat = 1;
	enum bpf_prog_type type = bpf_program__type(pr->prog);

	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		if (lua_getfield(L, 3, "repeat") != LUA_TNIL)
			repeat = luaL_checkinteger(L, -1);
		if (lua_getfield(L, 3, "ctx") != LUA_TNIL)
			ctx = luaL_checklstring(L, -1, &ctx_len);
		lua_pop(L, 2);
	}
	luaL_argcheck(L, repeat >= 1 && repeat <= UINT32_MAX, 3, "repeat must be >= 1");
	if ((type == BPF_PROG_TYPE_XDP || type == BPF_PROG_TYPE_SCHED_CLS ||
	     type == BPF_PROG_TYPE_SCHED_ACT || type == BPF_PROG_TYPE_SOCKET_FILTER) && len < 14)
		return luaL_error(L, "program '%s': %s programs need at least 14 bytes of packet "
				  "(an Ethernet header), got %d", bpf_program__name(pr->prog),
				  prog_type_name(type), (int)len);

	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, len + RUN_OUT_SLACK);
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = len ? data : NULL, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = (__u32)(len + RUN_OUT_SLACK),
		    .ctx_in = ctx, .ctx_size_in = (__u32)ctx_len,
		    .repeat = (int)repeat);
	int err = bpf_prog_test_run_opts(bpf_program__fd(pr->prog), &opts);
	if (err)
		return luaL_error(L, "program '%s' (%s) cannot be run: %s",
				  bpf_program__name(pr->prog), prog_type_name(type),
				  strerror(errno));
	luaL_pushresultsize(&b, opts.data_size_out);      /* out */
	lua_pushinteger(L, opts.retval);
	lua_insert(L, -2);                                 /* retval out */
	lua_pushinteger(L, opts.duration);                 /* retval out ns */
	return 3;
}

static int prog_index(lua_State *L)
{
	struct pl_lua_prog *pr = check_prog(L, 1);
	const char *k = luaL_checkstring(L, 2);

	if (!strcmp(k, "attach"))
		lua_pushcfunction(L, prog_attach);
	else if (!strcmp(k, "run"))
		lua_pushcfunction(L, prog_run);
	else if (!strcmp(k, "name"))
		lua_pushstring(L, bpf_program__name(pr->prog));
	else if (!strcmp(k, "section"))
		lua_pushstring(L, bpf_program__section_name(pr->prog));
	else if (!strcmp(k, "type"))
		lua_pushstring(L, prog_type_name(bpf_program__type(pr->prog)));
	else if (!strcmp(k, "fd"))
		lua_pushinteger(L, bpf_program__fd(pr->prog));
	else
		lua_pushnil(L);
	return 1;
}

static int prog_tostring(lua_State *L)
{
	struct pl_lua_prog *pr = luaL_checkudata(L, 1, PL_PROG_MT);

	if (!pr->owner->obj)
		lua_pushfstring(L, "pktlua.Prog '%s' (closed)", pr->name);
	else
		lua_pushfstring(L, "pktlua.Prog '%s' (%s)", pr->name,
				bpf_program__section_name(pr->prog));
	return 1;
}

/* ---- Program methods ------------------------------------------------------ */

/* p:attach([opts]): every program, by its SEC(); all or nothing. */
static int program_attach(lua_State *L)
{
	struct pl_attach_opts opts;

	lua_settop(L, 2);                                  /* p opts */
	check_program(L, 1);
	check_attach_opts(L, 2, &opts);
	lua_getiuservalue(L, 1, 1);                        /* uv */
	lua_getfield(L, -1, "prog_list");                  /* uv list */
	int list = lua_gettop(L);
	lua_newtable(L);                                   /* uv list links */
	int n = (int)luaL_len(L, list);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, list, i);                   /* ... prog */
		/* pktlua's own programs, attached at load (lua_symbols.c). */
		if (!bpf_program__autoattach(pl_lua_check_prog(L, -1))) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushcfunction(L, prog_attach);
		lua_pushvalue(L, -2);
		lua_pushvalue(L, 2);
		if (lua_pcall(L, 2, 1, 0) != LUA_OK) {     /* ... prog err */
			/* Leave nothing half-attached. */
			for (int j = (int)luaL_len(L, list + 1); j >= 1; j--) {
				lua_rawgeti(L, list + 1, j);
				lua_pushcfunction(L, link_detach_m);
				lua_insert(L, -2);
				lua_call(L, 1, 0);
			}
			/* prog_attach raised under this C function, so its message
			 * has no position: the script's line of this p:attach(). */
			if (lua_type(L, -1) == LUA_TSTRING) {
				luaL_where(L, 1);                  /* ... err where */
				lua_insert(L, -2);
				lua_concat(L, 2);
			}
			return lua_error(L);
		}
		lua_rawseti(L, list + 1, (lua_Integer)luaL_len(L, list + 1) + 1); /* ... prog */
		lua_pop(L, 1);
	}
	return 1;                                          /* links */
}

static int program_index(lua_State *L)
{
	struct pl_lua_program *p = luaL_checkudata(L, 1, PL_PROGRAM_MT);
	const char *k = luaL_checkstring(L, 2);

	if (!strcmp(k, "attach")) {
		lua_pushcfunction(L, program_attach);
	} else if (!strcmp(k, "close")) {
		lua_pushcfunction(L, program_close_m);
	} else if (!strcmp(k, "name")) {
		lua_pushstring(L, p->name);
	} else if (!strcmp(k, "progs") || !strcmp(k, "maps")) {
		lua_getiuservalue(L, 1, 1);
		lua_getfield(L, -1, k);
	} else if (!strcmp(k, "globals")) {
		check_program(L, 1);
		lua_getiuservalue(L, 1, 1);                /* uv */
		if (lua_getfield(L, -1, "globals") == LUA_TNIL) { /* uv nil */
			lua_pop(L, 1);
			pl_lua_push_globals(L, 1);         /* uv globals: made once */
			lua_pushvalue(L, -1);
			lua_setfield(L, -3, "globals");
		}
	} else {
		lua_pushnil(L);
	}
	return 1;
}

void pl_lua_push_program(lua_State *L, struct bpf_object *obj, const char *name)
{
	struct bpf_program *prog;
	struct bpf_map *map;

	/* Created closed, then given the object: if anything below raises, the
	 * __gc of a half-built Program still releases what it holds. */
	struct pl_lua_program *p = lua_newuserdatauv(L, sizeof(*p), 1); /* P */
	memset(p, 0, sizeof(*p));
	luaL_setmetatable(L, PL_PROGRAM_MT);
	p->obj = obj;
	snprintf(p->name, sizeof(p->name), "%s", name);
	int pidx = lua_gettop(L);

	lua_createtable(L, 0, 4);                          /* P uv */
	lua_newtable(L);
	lua_setfield(L, -2, "links");
	lua_pushvalue(L, -1);
	lua_setiuservalue(L, pidx, 1);                     /* P uv */

	lua_newtable(L);                                   /* P uv progs */
	lua_newtable(L);                                   /* P uv progs list */
	int i = 0;
	bpf_object__for_each_program(prog, obj) {
		struct pl_lua_prog *pr = lua_newuserdatauv(L, sizeof(*pr), 1);
		pr->prog = prog;
		pr->owner = p;
		snprintf(pr->name, sizeof(pr->name), "%s", bpf_program__name(prog));
		luaL_setmetatable(L, PL_PROG_MT);
		lua_pushvalue(L, pidx);
		lua_setiuservalue(L, -2, 1);               /* ... prog: pins P */
		lua_pushvalue(L, -1);
		lua_rawseti(L, -3, ++i);                   /* list[i] = prog */
		lua_setfield(L, -3, bpf_program__name(prog)); /* progs[name] = prog */
	}
	lua_setfield(L, -3, "prog_list");                  /* P uv progs */
	lua_setfield(L, -2, "progs");                      /* P uv */

	lua_newtable(L);                                   /* P uv maps */
	bpf_object__for_each_map(map, obj) {
		/* .bss/.data/.rodata: global variables, not tables; pktlua_*:
		 * the runtime's own bookkeeping (lost-event counters). */
		if (bpf_map__is_internal(map) || !strncmp(bpf_map__name(map), "pktlua_", 7))
			continue;
		pl_lua_push_map(L, pidx, map);
		lua_setfield(L, -2, bpf_map__name(map));
	}
	lua_setfield(L, -2, "maps");
	lua_pop(L, 1);                                     /* P */

	lua_getfield(L, LUA_REGISTRYINDEX, PL_PROGRAMS_KEY);  /* P programs */
	lua_pushvalue(L, pidx);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_pop(L, 1);                                     /* P */
	pl_lua_events_program_opened(L, p);                /* pktlua_printf, bpf_printk */
}

static const luaL_Reg program_meta[] = {
	{"__close", program_close_m},
	{"__gc", program_close_m},
	{"__index", program_index},
	{"__tostring", program_tostring},
	{NULL, NULL},
};

static const luaL_Reg prog_meta[] = {
	{"__index", prog_index},
	{"__tostring", prog_tostring},
	{NULL, NULL},
};

static const luaL_Reg link_methods[] = {
	{"detach", link_detach_m},
	{NULL, NULL},
};

static const luaL_Reg link_meta[] = {
	{"__close", link_detach_m},
	{"__gc", link_gc},
	{"__index", NULL},
	{"__tostring", link_tostring},
	{NULL, NULL},
};

void pl_lua_open_program(lua_State *L)
{
	luaL_newmetatable(L, PL_PROGRAM_MT);
	luaL_setfuncs(L, program_meta, 0);
	luaL_newmetatable(L, PL_PROG_MT);
	luaL_setfuncs(L, prog_meta, 0);
	luaL_newmetatable(L, PL_LINK_MT);
	luaL_setfuncs(L, link_meta, 0);
	luaL_newlib(L, link_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 3);
	pl_lua_open_globals(L);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, PL_PROGRAMS_KEY);
}
