/* lua_symbols.h — bpf.ksym, bpf.usym and require "pktlua.symbols"
 * (lua_symbols.c): kernel and user symbols, stack-trace map entries as
 * frames. */
#ifndef PKTLUA_LUA_SYMBOLS_H
#define PKTLUA_LUA_SYMBOLS_H

#include <lua.h>

/* Add bpf.ksym and bpf.usym to the module table at the top of the stack. */
void pl_lua_symbols_register(lua_State *L);
/* The Program at IDX was just loaded: if it carries <pktlua/stack.h>'s exit
 * hook (program pktlua_stack_exit), attach it now, as a Link of the Program,
 * and keep p:attach() from attaching it twice. Raises on failure. */
void pl_lua_symbols_loaded(lua_State *L, int idx);
int luaopen_pktlua_symbols(lua_State *L);

#endif
