/* lua_events.h — bpf.on and bpf.lost: ring and perf buffers as callbacks (lua_events.c). */
#ifndef PKTLUA_LUA_EVENTS_H
#define PKTLUA_LUA_EVENTS_H

#include <lua.h>

struct pl_lua_program;

/* Add bpf.on and bpf.lost to the module table at the top of the stack. */
void pl_lua_events_register(lua_State *L);
/* Read what the ring/perf buffers hold now (bpf.run calls it once more when
 * the loop ends). Returns records read or -errno. */
int pl_lua_events_drain(lua_State *L);
/* Program P closes: stop its buffers, release their callbacks, report
 * losses. Called before its object is closed. */
void pl_lua_events_close(lua_State *L, struct pl_lua_program *p);

#endif
