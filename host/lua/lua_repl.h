/* lua_repl.h — the -i prompt (lua_repl.c). */
#ifndef PKTLUA_LUA_REPL_H
#define PKTLUA_LUA_REPL_H

#include <lua.h>

/* The prompt on stdin (line editing when it is a terminal), until end of
 * input. Errors print and the prompt goes on. */
void pl_lua_repl(lua_State *L);

#endif
