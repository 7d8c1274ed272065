/* lua_events.h — bpf.on and bpf.lost: ring and perf buffers as callbacks (lua_events.c). */
#ifndef PKTLUA_LUA_EVENTS_H
#define PKTLUA_LUA_EVENTS_H

#include <lua.h>
#include <stdint.h>

struct bpf_map;
struct pl_lua_program;

/* Add bpf.on and bpf.lost to the module table at the top of the stack. */
void pl_lua_events_register(lua_State *L);
/* Read what the ring/perf buffers hold now (bpf.run calls it once more when
 * the loop ends). Returns records read or -errno. */
int pl_lua_events_drain(lua_State *L);
/* Records dropped so far on MAP (a ring buffer or perf event array of
 * Program P), as bpf.lost(map) says. */
uint64_t pl_lua_events_lost(lua_State *L, struct pl_lua_program *p, const struct bpf_map *map);
/* Program P was just made: print its pktlua_printf lines, relay bpf_printk
 * lines if its programs call it. */
void pl_lua_events_program_opened(lua_State *L, struct pl_lua_program *p);
/* Program P closes: stop its buffers, release their callbacks, report
 * losses. Called before its object is closed. */
void pl_lua_events_close(lua_State *L, struct pl_lua_program *p);

#endif
