/* lua_map.h — Map userdata: a BPF map as a Lua table (lua_map.c). */
#ifndef PKTLUA_LUA_MAP_H
#define PKTLUA_LUA_MAP_H

#include <lua.h>

struct bpf_map;
struct pl_lua_program;

#define PL_MAP_MT "pktlua.Map"

void pl_lua_open_map(lua_State *L);          /* registers Map and its iterator */
/* Push a Map for MAP of the Program at index PROGRAM (which it pins). */
void pl_lua_push_map(lua_State *L, int program, struct bpf_map *map);
/* bpf.open_pinned(path): push a Map of the map pinned at PATH (typed by its
 * own BTF; raw byte strings without). A lua_CFunction. */
int pl_lua_open_pinned(lua_State *L);
/* The bpf_map of the Map at IDX, or raise if it is not an open Map of a
 * loaded Program (one opened from a pin raises too). */
struct bpf_map *pl_lua_check_map(lua_State *L, int idx);
/* The Program that owns the open Map at IDX (raises as pl_lua_check_map). */
struct pl_lua_program *pl_lua_map_program(lua_State *L, int idx);

#endif
