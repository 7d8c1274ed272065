/* lua_stdlib.h — the embedded stdlib modules (lua_stdlib.c). */
#ifndef PKTLUA_LUA_STDLIB_H
#define PKTLUA_LUA_STDLIB_H

#include <lua.h>

/* Make require "pktlua.*" find the embedded stdlib modules. */
void pl_lua_preload_stdlib(lua_State *L);

#endif
