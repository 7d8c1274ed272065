/* lua_pcap.h — require "pktlua.pcap" (lua_pcap.c). */
#ifndef PKTLUA_LUA_PCAP_H
#define PKTLUA_LUA_PCAP_H

#include <lua.h>

int luaopen_pktlua_pcap(lua_State *L);

#endif
