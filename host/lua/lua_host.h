/* lua_host.h — what the lua_*.c files share with each other and main.c.
 *
 * This is the narrow seam between the plain-C core and Lua: only lua_*.c
 * include lua.h. */
#ifndef PKTLUA_LUA_HOST_H
#define PKTLUA_LUA_HOST_H

#include <lua.h>
#include <lauxlib.h>
#include <stdbool.h>

struct bpf_object;
struct bpf_map;
struct bpf_program;
struct pl_loop;

/* Metatable names: type errors read "pktlua.Map expected, got number". */
#define PL_PROGRAM_MT "pktlua.Program"
#define PL_PROG_MT    "pktlua.Prog"
#define PL_LINK_MT    "pktlua.Link"
#define PL_MAP_MT     "pktlua.Map"
#define PL_TIMER_MT   "pktlua.Timer"

/* What the command line asks of the Lua side (lua_main.c). */
struct pl_cli {
	const char *script;    /* NULL with -e or -i */
	const char *code;      /* -e CODE */
	int script_argc;       /* arguments after the script: arg[1..n] */
	char **script_argv;
	char **argv;           /* the whole command line, for arg[negative] */
	int argc;
	int script_index;      /* index of the script in argv (arg[0]) */
	bool interactive;      /* -i: a prompt after the script or CODE, if any */
	bool json;             /* --json: require("pktlua").output = "json" */
	const char *pcap;      /* --pcap FILE: packet programs read the capture */
};

/* Run the script of CLI in a fresh Lua state; returns the process exit status. */
int pl_lua_main(const struct pl_cli *cli);

/* lua_main.c: call the function below NARG arguments on the stack, with a
 * traceback handler. Returns a LUA_* status; on error the message (with
 * traceback) is on the stack. */
int pl_lua_docall(lua_State *L, int narg, int nres);

/* lua_repl.c: the -i prompt on stdin (line editing when it is a terminal),
 * until end of input. Errors print and the prompt goes on. */
void pl_lua_repl(lua_State *L);
/* lua_main.c, for the prompt: was the error value at IDX a Ctrl-C
 * interrupt? Clears the interrupt so the next line runs. */
bool pl_lua_take_interrupt(lua_State *L, int idx);

/* lua_pktlua.c */
int luaopen_pktlua(lua_State *L);
struct pl_loop *pl_lua_loop(lua_State *L);   /* the state's one event loop */
/* Run bpf.at_exit handlers once (later calls do nothing). Returns 0, or -1
 * with an error message on the stack. */
int pl_lua_run_exit_handlers(lua_State *L);
/* A callback raised an error: remember it (the message is on the stack and
 * is popped), stop the loop; bpf.run() re-raises it. */
void pl_lua_callback_failed(lua_State *L);
/* Where loop callbacks run: the thread that called bpf.run. The pointer is
 * the state's own field, valid for the state's life (read it per call). */
lua_State *const *pl_lua_callback_thread(lua_State *L);

/* A loaded object as Lua sees it (the Program userdata's memory). Progs,
 * Maps and Links keep a pointer to it and pin it with a user value, so it
 * outlives them; obj is NULL once the Program is closed. */
struct pl_lua_link;
struct pl_lua_program {
	struct bpf_object *obj;
	struct pl_lua_link *links;    /* live attachments, detached on close */
	char name[64];
};

/* lua_program.c */
void pl_lua_open_program(lua_State *L);      /* registers Program/Prog/Link */
/* Wrap a loaded object as a Program; takes ownership of OBJ. */
void pl_lua_push_program(lua_State *L, struct bpf_object *obj, const char *name);
/* The bpf_program of the Prog at IDX, or raise if it is not a Prog of an
 * open Program (lua_pcap.c runs it over capture files). */
struct bpf_program *pl_lua_check_prog(lua_State *L, int idx);
/* Close every Program still open (at exit). */
void pl_lua_close_programs(lua_State *L);

/* lua_map.c */
void pl_lua_open_map(lua_State *L);          /* registers Map and its iterator */
/* Push a Map for MAP of the Program at index PROGRAM (which it pins). */
void pl_lua_push_map(lua_State *L, int program, struct bpf_map *map);
/* The bpf_map of the Map at IDX, or raise if it is not an open Map. */
struct bpf_map *pl_lua_check_map(lua_State *L, int idx);
/* The Program that owns the open Map at IDX (raises as pl_lua_check_map). */
struct pl_lua_program *pl_lua_map_program(lua_State *L, int idx);

/* lua_events.c */
/* Add bpf.on and bpf.lost to the module table at the top of the stack. */
void pl_lua_events_register(lua_State *L);
/* Read what the ring/perf buffers hold now (bpf.run calls it once more when
 * the loop ends). Returns records read or -errno. */
int pl_lua_events_drain(lua_State *L);
/* Program P closes: stop its buffers, release their callbacks, report
 * losses. Called before its object is closed. */
void pl_lua_events_close(lua_State *L, struct pl_lua_program *p);

/* lua_pcap.c: require "pktlua.pcap" */
int luaopen_pktlua_pcap(lua_State *L);

/* lua_offline.c: --pcap FILE. Packet programs (XDP, tc, socket filter)
 * that the script attaches to an interface are bound to the capture instead;
 * the first bpf.run() replays the file through all of them. */
struct pl_offline_target;
enum pl_offline_end {
	PL_OFFLINE_NONE,      /* no --pcap, or nothing bound: run the loop as live */
	PL_OFFLINE_EOF,       /* the capture was replayed to its end */
	PL_OFFLINE_STOPPED,   /* bpf.stop() or a failed callback during the replay */
	PL_OFFLINE_SIGNAL,    /* SIGINT/SIGTERM during the replay */
	PL_OFFLINE_ERROR,     /* unreadable or corrupt file: message in ERR */
};
/* Check FILE (it opens, its link type can become Ethernet) and use it;
 * raises an error naming the file otherwise. */
void pl_lua_offline_open(lua_State *L, const char *file);
const char *pl_lua_offline_file(void);        /* NULL without --pcap */
/* Does an attach of PROG to IFACE go to the capture? */
bool pl_lua_offline_takes(struct bpf_program *prog, const char *iface);
/* Bind PROG to the capture (NULL: out of memory); DIRECTION is tc's. */
struct pl_offline_target *pl_lua_offline_bind(struct bpf_program *prog, const char *direction);
void pl_lua_offline_unbind(struct pl_offline_target *t);   /* NULL is fine */
const char *pl_lua_offline_describe(const struct pl_offline_target *t); /* "xdp on capture f.pcap" */
/* bpf.run's part: replay the capture if it is due, running LOOP between
 * chunks of packets (callbacks run on the thread bpf.run set). */
enum pl_offline_end pl_lua_offline_run(struct pl_loop *loop, double timeout, char *err, size_t errlen);

/* lua_stdlib.c: make require "pktlua.*" find the embedded stdlib modules. */
void pl_lua_preload_stdlib(lua_State *L);

#endif
