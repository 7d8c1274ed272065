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
	if (luaL_loadbuffer(L, (const char *)f->data, f->len, chunkname) != LUA_OK)
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
