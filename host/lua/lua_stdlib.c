/* lua_stdlib.c — require "pktlua" and "pktlua.*" from memory.
 *
 * stdlib/ modules are embedded as text at build time (embedded.h, names
 * "lua/pktlua.<mod>") and registered in package.preload, so a script never
 * depends on files beside the binary. */
#include "lua/lua_stdlib.h"

#include "base/embedded.h"
#include "lua/lua_metrics.h"
#include "lua/lua_pcap.h"
#include "lua/lua_pktlua.h"
#include "lua/lua_symbols.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

static int load_embedded(lua_State *L)
{
	const struct pl_embedded_file *f = lua_touserdata(L, lua_upvalueindex(1));
	const char *mod = luaL_checkstring(L, 1);
	char chunkname[128];

	/* "@stdlib/map.lua": tracebacks name the module's source file. */
	snprintf(chunkname, sizeof(chunkname), "@stdlib/%s.lua", mod + strlen("pktlua."));
	if (luaL_loadbufferx(L, (const char *)f->data, f->len, chunkname, "t") != LUA_OK)
		return lua_error(L);
	lua_pushstring(L, mod);
	lua_call(L, 1, 1);
	return 1;
}

void pl_lua_preload_stdlib(lua_State *L)
{
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE); /* preload */
	lua_pushcfunction(L, luaopen_pktlua);
	lua_setfield(L, -2, "pktlua");
	lua_pushcfunction(L, luaopen_pktlua_pcap);  lua_setfield(L, -2, "pktlua.pcap");
	lua_pushcfunction(L, luaopen_pktlua_metrics);  lua_setfield(L, -2, "pktlua.metrics");
	lua_pushcfunction(L, luaopen_pktlua_symbols);  lua_setfield(L, -2, "pktlua.symbols");
	for (size_t i = 0; i < pl_embedded_count; i++) {
		const struct pl_embedded_file *f = &pl_embedded_files[i];
		if (strncmp(f->name, "lua/", 4))
			continue;
		lua_pushlightuserdata(L, (void *)f);
		lua_pushcclosure(L, load_embedded, 1);
		lua_setfield(L, -2, f->name + 4);          /* preload["pktlua.map"] */
	}
	lua_pop(L, 1);
}

/* ---- text only ----------------------------------------------------------- */

/* load(chunk [, name [, mode [, env]]]) and loadfile(file [, mode [, env]]):
 * the original (upvalue 1) with MODE (at index upvalue 2) forced to "t".
 * Absent arguments stay absent: an explicit nil env is not the same as
 * none. */
static int text_loader(lua_State *L)
{
	int mode = (int)lua_tointeger(L, lua_upvalueindex(2));

	if (lua_gettop(L) < mode)
		lua_settop(L, mode);
	lua_pushliteral(L, "t");
	lua_replace(L, mode);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static int text_dofile(lua_State *L)
{
	const char *file = luaL_optstring(L, 1, NULL);

	lua_settop(L, 1);
	if (luaL_loadfilex(L, file, "t") != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, LUA_MULTRET);
	return lua_gettop(L) - 1;
}

/* package.searchers[2]: find NAME on package.path (upvalue 1: package),
 * load it as text. */
static int text_searcher(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	lua_getfield(L, lua_upvalueindex(1), "searchpath");    /* name searchpath */
	lua_pushvalue(L, 1);
	lua_getfield(L, lua_upvalueindex(1), "path");
	lua_call(L, 2, 2);                                      /* name file|nil err */
	if (lua_isnil(L, -2))
		return 1;                                       /* "no file ..." */
	const char *file = lua_tostring(L, -2);
	if (luaL_loadfilex(L, file, "t") != LUA_OK)
		return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name,
				  file, lua_tostring(L, -1));
	lua_pushstring(L, file);                                /* ... loader file */
	return 2;
}

static void wrap_loader(lua_State *L, const char *name, int mode)
{
	lua_getglobal(L, name);
	lua_pushinteger(L, mode);
	lua_pushcclosure(L, text_loader, 2);
	lua_setglobal(L, name);
}

void pl_lua_text_only(lua_State *L)
{
	wrap_loader(L, "load", 3);
	wrap_loader(L, "loadfile", 2);
	lua_pushcfunction(L, text_dofile);
	lua_setglobal(L, "dofile");
	if (lua_getglobal(L, "package") == LUA_TTABLE &&                /* package */
	    lua_getfield(L, -1, "searchers") == LUA_TTABLE) {           /* package searchers */
		lua_pushvalue(L, -2);
		lua_pushcclosure(L, text_searcher, 1);
		lua_rawseti(L, -2, 2);
	}
	lua_pop(L, 2);
}
