/* lua_offline.h — --pcap FILE (lua_offline.c).
 *
 * Packet programs (XDP, tc, socket filter) that the script attaches to an
 * interface are bound to the capture instead; the first bpf.run() replays
 * the file through all of them. */
#ifndef PKTLUA_LUA_OFFLINE_H
#define PKTLUA_LUA_OFFLINE_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

struct bpf_program;
struct pl_loop;
struct pl_offline_target;

enum pl_offline_end {
	PL_OFFLINE_NONE,      /* no --pcap, or nothing bound: run the loop as live */
	PL_OFFLINE_EOF,       /* the capture was replayed to its end */
	PL_OFFLINE_STOPPED,   /* bpf.stop() or a failed callback during the replay */
	PL_OFFLINE_SIGNAL,    /* SIGINT/SIGTERM during the replay */
	PL_OFFLINE_ERROR,     /* unreadable or corrupt file: message in ERR */
};
/* Open FILE, once (a FIFO or a pipe works), check that its link type can
 * become Ethernet, and use it;
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

#endif
