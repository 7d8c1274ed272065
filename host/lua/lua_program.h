/* lua_program.h — Program, Prog and Link userdata (lua_program.c). */
#ifndef PKTLUA_LUA_PROGRAM_H
#define PKTLUA_LUA_PROGRAM_H

#include <lua.h>

struct bpf_object;
struct bpf_program;

/* Metatable names: type errors read "pktlua.Prog expected, got number". */
#define PL_PROGRAM_MT "pktlua.Program"
#define PL_PROG_MT    "pktlua.Prog"
#define PL_LINK_MT    "pktlua.Link"

/* Registry: { [Program] = true } for every open Program (pktlua.metrics
 * walks it for its own metrics: lost events, program run counts). */
#define PL_PROGRAMS_KEY "pktlua.programs"

/* A loaded object as Lua sees it (the Program userdata's memory). Progs,
 * Maps and Links keep a pointer to it and pin it with a user value, so it
 * outlives them; obj is NULL once the Program is closed. */
struct pl_lua_link;
struct pl_lua_program {
	struct bpf_object *obj;
	struct pl_lua_link *links;    /* live attachments, detached on close */
	char name[64];
};

void pl_lua_open_program(lua_State *L);      /* registers Program/Prog/Link */
/* Wrap a loaded object as a Program; takes ownership of OBJ. */
void pl_lua_push_program(lua_State *L, struct bpf_object *obj, const char *name);
/* The bpf_program of the Prog at IDX, or raise if it is not a Prog of an
 * open Program (lua_pcap.c runs it over capture files). */
struct bpf_program *pl_lua_check_prog(lua_State *L, int idx);
/* Close every Program still open (at exit). */
void pl_lua_close_programs(lua_State *L);

#endif
