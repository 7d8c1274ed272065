/* lua_stdlib.h — the embedded stdlib modules (lua_stdlib.c). */
#ifndef PKTLUA_LUA_STDLIB_H
#define PKTLUA_LUA_STDLIB_H

#include <lua.h>

/* Make require "pktlua.*" find the embedded stdlib modules. */
void pl_lua_preload_stdlib(lua_State *L);

/* Lua code loads as text only: load, loadfile, dofile and require's Lua
 * searcher refuse precompiled (binary) chunks, as the script, -e and -i
 * do. Crafted bytecode can crash the interpreter (Lua does not verify it);
 * text cannot. Call after luaL_openlibs. */
void pl_lua_text_only(lua_State *L);

#endif
