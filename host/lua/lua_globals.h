/* lua_globals.h — a Program's global variables (lua_globals.c). */
#ifndef PKTLUA_LUA_GLOBALS_H
#define PKTLUA_LUA_GLOBALS_H

#include <lua.h>

struct bpf_object;

void pl_lua_open_globals(lua_State *L);     /* registers pktlua.Globals */
/* Push p.globals for the Program at index PROGRAM (which it pins). */
void pl_lua_push_globals(lua_State *L, int program);
/* bpf.load{globals = T}: set each variable of the table at IDX in OBJ, opened
 * and not yet loaded (.rodata included). Raises naming the variable when it
 * does not exist (listing those that do) or its value does not convert;
 * PROGRAM names the object in messages. */
void pl_lua_set_globals(lua_State *L, int idx, struct bpf_object *obj, const char *program);

#endif
