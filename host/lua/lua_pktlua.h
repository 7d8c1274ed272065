/* lua_pktlua.h — the "pktlua" module: bpf.load, timers, bpf.run/stop/at_exit. */
#ifndef PKTLUA_LUA_PKTLUA_H
#define PKTLUA_LUA_PKTLUA_H

#include <lua.h>

/* Timer userdata: bpf.every / bpf.after return one. */
#define PL_TIMER_MT "pktlua.Timer"

int luaopen_pktlua(lua_State *L);
/* --drop-caps: the first bpf.run() drops every capability before it runs
 * the loop (as bpf.drop_caps() does). Call after luaopen_pktlua. */
void pl_lua_drop_caps_at_run(lua_State *L);
/* Run bpf.at_exit handlers once (later calls do nothing), all of them:
 * errors after the first are printed. Returns 0, or -1 with the first
 * error message on the stack. */
int pl_lua_run_exit_handlers(lua_State *L);

#endif
