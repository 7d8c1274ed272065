/* lua_metrics.h — require "pktlua.metrics" (lua_metrics.c). */
#ifndef PKTLUA_LUA_METRICS_H
#define PKTLUA_LUA_METRICS_H

#include <lua.h>

int luaopen_pktlua_metrics(lua_State *L);
/* --metrics ADDR: serve the run's metrics on ADDR before the script runs
 * (raises, naming the address and the reason, when it cannot listen). A
 * script's own metrics.serve() then gets this server. */
int pl_lua_metrics_serve_cli(lua_State *L, const char *addr);

#endif
