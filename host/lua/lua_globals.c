/* lua_globals.c — p.globals: a Program's global variables as a table, and
 * bpf.load{globals = {...}} before load.
 *
 *   p.globals.NAME          read (converted through BTF, as map values are)
 *   p.globals.NAME = v      write (.bss, .data, .data.*; .rodata raises)
 *   pairs(p.globals)        every variable and its value
 *
 * An unknown NAME raises, naming it: a typo must not read as nil. */
#include "lua/lua_globals.h"

#include "bpf/codec.h"
#include "bpf/globals.h"
#include "lua/lua_codec.h"
#include "lua/lua_program.h"

#include <lauxlib.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define GLOBALS_MT "pktlua.Globals"

struct gvar {
	struct pl_global g;
	struct pl_codec *codec;
};

struct pl_lua_globals {
	struct pl_lua_program *owner;   /* pinned by the user value */
	struct gvar *vars;
	int n, cap;
	char *buf;                      /* the largest variable's bytes */
	uint32_t bufsize;
};

/* ---- the names, for messages -------------------------------------------- */

struct names_ctx {
	luaL_Buffer *b;
	int n;
};

static int add_name(const struct pl_global *g, void *ctx)
{
	struct names_ctx *nc = ctx;

	if (nc->n++)
		luaL_addstring(nc->b, ", ");
	luaL_addstring(nc->b, g->name);
	return 0;
}

/* Raise "WHAT: no global variable 'NAME' in program 'P' (it has: a, b)". */
static int no_such(lua_State *L, struct bpf_object *obj, const char *what, const char *name,
		   const char *program)
{
	luaL_Buffer b;
	struct names_ctx nc = { .b = &b };

	luaL_buffinit(L, &b);
	pl_globals__for_each(obj, add_name, &nc);
	luaL_pushresult(&b);                               /* ... names */
	return luaL_error(L, "%s: no global variable '%s' in program '%s' (%s%s)", what, name,
			  program, nc.n ? "it has: " : "it has none",
			  lua_tostring(L, -1));
}

/* ---- before load ---------------------------------------------------------- */

void pl_lua_set_globals(lua_State *L, int idx, struct bpf_object *obj, const char *program)
{
	char err[256];

	idx = lua_absindex(L, idx);
	if (!lua_istable(L, idx))
		luaL_error(L, "bpf.load: 'globals' must be a table, got %s", luaL_typename(L, idx));
	lua_pushnil(L);
	while (lua_next(L, idx)) {                         /* ... k v */
		struct pl_global g;

		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "bpf.load: globals: names must be strings, got %s",
				   luaL_typename(L, -2));
		const char *name = lua_tostring(L, -2);
		if (pl_global__find(obj, name, &g))
			no_such(L, obj, "bpf.load: globals", name, program);
		struct pl_codec *c = pl_codec__new(g.btf, g.type_id, g.size);
		char *bytes = c ? calloc(1, g.size) : NULL;
		int rc = !c || !bytes ? -ENOMEM :
			 pl_lua_to_value(L, lua_gettop(L), c, bytes, err, sizeof(err));
		if (!rc)
			rc = pl_global__write(&g, bytes);
		free(bytes);
		pl_codec__free(c);
		if (rc == -ENOMEM)
			luaL_error(L, "bpf.load: globals.%s: out of memory", name);
		if (rc == -EINVAL)
			luaL_error(L, "bpf.load: globals.%s: %s", name, err);
		if (rc)
			luaL_error(L, "bpf.load: globals.%s: %s", name, strerror(-rc));
		lua_pop(L, 1);                             /* ... k */
	}
}

/* ---- p.globals ------------------------------------------------------------ */

static struct pl_lua_globals *check_globals(lua_State *L, int idx)
{
	struct pl_lua_globals *gl = luaL_checkudata(L, idx, GLOBALS_MT);

	if (!gl->owner->obj)
		luaL_error(L, "globals of program '%s': the Program is closed", gl->owner->name);
	return gl;
}

static struct gvar *find_var(lua_State *L, struct pl_lua_globals *gl, int key)
{
	const char *name = luaL_checkstring(L, key);

	for (int i = 0; i < gl->n; i++)
		if (!strcmp(gl->vars[i].g.name, name))
			return &gl->vars[i];
	no_such(L, gl->owner->obj, "globals", name, gl->owner->name);
	return NULL;
}

static void push_var(lua_State *L, struct pl_lua_globals *gl, struct gvar *v)
{
	int rc = pl_global__read(&v->g, gl->buf);

	if (rc)
		luaL_error(L, "global '%s' (%s): cannot read: %s", v->g.name, v->g.section,
			   strerror(-rc));
	pl_lua_push_value(L, v->codec, gl->buf);
}

static int globals_index(lua_State *L)
{
	struct pl_lua_globals *gl = check_globals(L, 1);

	push_var(L, gl, find_var(L, gl, 2));
	return 1;
}

static int globals_newindex(lua_State *L)
{
	struct pl_lua_globals *gl = check_globals(L, 1);
	struct gvar *v = find_var(L, gl, 2);
	char err[256];

	if (v->g.rodata)
		return luaL_error(L, "global '%s' is read-only (%s): set it before load with "
				  "bpf.load{globals = {%s = ...}}", v->g.name, v->g.section,
				  v->g.name);
	if (pl_lua_to_value(L, 3, v->codec, gl->buf, err, sizeof(err)))
		return luaL_error(L, "global '%s': %s", v->g.name, err);
	int rc = pl_global__write(&v->g, gl->buf);
	if (rc)
		return luaL_error(L, "global '%s' (%s): cannot write: %s", v->g.name,
				  v->g.section, strerror(-rc));
	return 0;
}

static int globals_next(lua_State *L)
{
	struct pl_lua_globals *gl = check_globals(L, lua_upvalueindex(1));
	lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));

	if (i >= gl->n)
		return 0;
	lua_pushinteger(L, i + 1);
	lua_replace(L, lua_upvalueindex(2));
	lua_pushstring(L, gl->vars[i].g.name);
	push_var(L, gl, &gl->vars[i]);
	return 2;
}

static int globals_pairs(lua_State *L)
{
	check_globals(L, 1);
	lua_pushvalue(L, 1);
	lua_pushinteger(L, 0);
	lua_pushcclosure(L, globals_next, 2);              /* next */
	return 1;
}

static int globals_gc(lua_State *L)
{
	struct pl_lua_globals *gl = luaL_checkudata(L, 1, GLOBALS_MT);

	for (int i = 0; i < gl->n; i++)
		pl_codec__free(gl->vars[i].codec);
	free(gl->vars);
	free(gl->buf);
	gl->vars = NULL;
	gl->buf = NULL;
	gl->n = 0;
	return 0;
}

static int globals_tostring(lua_State *L)
{
	struct pl_lua_globals *gl = luaL_checkudata(L, 1, GLOBALS_MT);

	lua_pushfstring(L, "pktlua.Globals of '%s' (%d variables)", gl->owner->name, gl->n);
	return 1;
}

static int add_var(const struct pl_global *g, void *ctx)
{
	struct pl_lua_globals *gl = ctx;

	if (gl->n == gl->cap) {
		int cap = gl->cap ? gl->cap * 2 : 8;
		struct gvar *nv = realloc(gl->vars, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		gl->vars = nv;
		gl->cap = cap;
	}
	struct pl_codec *c = pl_codec__new(g->btf, g->type_id, g->size);
	if (!c)
		return -ENOMEM;
	gl->vars[gl->n].g = *g;
	gl->vars[gl->n++].codec = c;
	if (g->size > gl->bufsize)
		gl->bufsize = g->size;
	return 0;
}

void pl_lua_push_globals(lua_State *L, int program)
{
	struct pl_lua_program *p = lua_touserdata(L, program);

	program = lua_absindex(L, program);
	struct pl_lua_globals *gl = lua_newuserdatauv(L, sizeof(*gl), 1); /* gl */
	memset(gl, 0, sizeof(*gl));
	luaL_setmetatable(L, GLOBALS_MT);
	lua_pushvalue(L, program);
	lua_setiuservalue(L, -2, 1);                       /* gl pins its Program */
	gl->owner = p;
	int rc = pl_globals__for_each(p->obj, add_var, gl);
	gl->buf = rc ? NULL : malloc(gl->bufsize ? gl->bufsize : 1);
	if (rc || !gl->buf)
		luaL_error(L, "globals of program '%s': out of memory", p->name);
}

static const luaL_Reg globals_meta[] = {
	{"__gc", globals_gc},
	{"__index", globals_index},
	{"__newindex", globals_newindex},
	{"__pairs", globals_pairs},
	{"__tostring", globals_tostring},
	{NULL, NULL},
};

void pl_lua_open_globals(lua_State *L)
{
	luaL_newmetatable(L, GLOBALS_MT);
	luaL_setfuncs(L, globals_meta, 0);
	lua_pop(L, 1);
}
