/* lua_events.c — bpf.on and bpf.lost: ring buffers and perf buffers as Lua
 * callbacks (the consumers themselves are events.c).
 *
 *   bpf.on(map, fn [, "struct event"])   fn(record) for each record of a
 *                                        ring buffer or perf event array
 *   bpf.lost(map)                        records dropped so far
 *
 * With a type name the record arrives decoded through the Program's BTF (a
 * record shorter than the type reads as if zero-padded); without one, as a
 * string of its bytes. Each callback belongs to the map's Program: closing
 * the Program (or the end of the script) stops the buffer, releases the
 * function and reports what was lost on stderr.
 *
 * Output from BPF needs no bpf.on: a Program whose object has the ring of
 * pktlua_printf (<pktlua/bpf.h>) gets its lines printed on stdout, and once
 * any Program calls bpf_printk, the printk lines of this process's programs
 * are relayed to stderr (events/trace_relay.c) until the end. */
#include "lua/lua_events.h"

#include "base/log.h"
#include "bpf/codec.h"
#include "bpf/printk_tag.h"
#include "events/events.h"
#include "events/loop.h"
#include "events/trace_relay.h"
#include "lua/lua_codec.h"
#include "lua/lua_map.h"
#include "lua/lua_program.h"
#include "lua/lua_state.h"

#include <lauxlib.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENTS_KEY "pktlua.events"   /* registry: the state's struct lua_events */

struct sub;

struct lua_events {
	struct pl_events *ev;          /* NULL once finalized */
	lua_State *const *thread;      /* where callbacks run (lua_pktlua.c) */
	struct sub *subs;
	struct pl_loop *loop;
	struct pl_trace_relay *relay;  /* bpf_printk lines, once a program calls it */
	int relay_timer;               /* loop source reading it */
	bool relay_failed;             /* said once why it cannot run */
};

/* One bpf.on(): a buffer, its callback and its decoding. */
struct sub {
	struct lua_events *le;
	struct pl_evbuf *buf;
	const struct bpf_map *map;
	struct pl_lua_program *owner;
	int fn_ref;                    /* registry ref of the callback */
	struct pl_codec *codec;        /* NULL: records as strings */
	char *pad;                     /* codec->size bytes: short records, zero-padded */
	bool printf;                   /* pktlua_printf's ring: lines to stdout, no fn */
	struct sub *next;
};

static struct lua_events *get_events(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, EVENTS_KEY);
	struct lua_events *le = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return le;
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct sub *s = ctx;
	lua_State *L = *s->le->thread;

	if (s->printf) {
		/* Flushed line by line: the lines show while the script runs,
		 * after what the script printed before them. */
		fwrite(data, 1, strnlen(data, size), stdout);
		fflush(stdout);
		return 0;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, s->fn_ref);      /* fn */
	if (s->codec) {
		if (size < s->codec->size) {
			memset(s->pad, 0, s->codec->size);
			memcpy(s->pad, data, size);
			data = s->pad;
		}
		pl_lua_push_value(L, s->codec, data);      /* fn record */
	} else {
		lua_pushlstring(L, data, size);            /* fn bytes */
	}
	if (pl_lua_docall(L, 1, 0) != LUA_OK) {
		pl_lua_callback_failed(L);                 /* pops the message, stops the loop */
		return -1;                                 /* the rest waits */
	}
	return 0;
}

static void sub_free(lua_State *L, struct sub *s)
{
	pl_evbuf__free(s->buf);
	luaL_unref(L, LUA_REGISTRYINDEX, s->fn_ref);
	pl_codec__free(s->codec);
	free(s->pad);
	free(s);
}

/* The object's pktlua_lost map (from <pktlua/events.h>), or -1. */
static int lost_map_fd(struct bpf_object *obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "pktlua_lost");

	return m ? bpf_map__fd(m) : -1;
}

/* Losses of a ring buffer nobody consumes (bpf.lost without bpf.on). */
static uint64_t ring_lost(struct bpf_object *obj, const struct bpf_map *map)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	__u64 v = 0;
	int fd = lost_map_fd(obj);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len) ||
	    bpf_map_lookup_elem(fd, &info.id, &v))
		return 0;
	return v;
}

/* The BTF type NAME names: "struct T", "union T", or "T" (a typedef, else a
 * struct or union of that name). Returns its id or 0. */
static __s32 find_type(const struct btf *btf, const char *name)
{
	if (!strncmp(name, "struct ", 7))
		return btf__find_by_name_kind(btf, name + 7, BTF_KIND_STRUCT);
	if (!strncmp(name, "union ", 6))
		return btf__find_by_name_kind(btf, name + 6, BTF_KIND_UNION);
	__s32 id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	if (id <= 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_UNION);
	return id;
}

/* bpf.on(map, fn [, type]): call fn with each record of a ring buffer or perf
 * event array while the loop runs. */
static int events_on(lua_State *L)
{
	struct lua_events *le = get_events(L);
	struct bpf_map *map = pl_lua_check_map(L, 1);
	struct pl_lua_program *owner = pl_lua_map_program(L, 1);
	const char *name = bpf_map__name(map);
	const char *tname = luaL_optstring(L, 3, NULL);
	enum bpf_map_type type = bpf_map__type(map);

	luaL_checktype(L, 2, LUA_TFUNCTION);
	if (type != BPF_MAP_TYPE_RINGBUF && type != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		const char *ts = libbpf_bpf_map_type_str(type);
		return luaL_error(L, "bpf.on: map '%s' is a %s map, not a ring buffer or perf "
				  "event array", name, ts ? ts : "unknown");
	}
	for (struct sub *o = le->subs; o; o = o->next)
		if (o->map == map)
			return luaL_error(L, "bpf.on: map '%s' already has a callback", name);

	struct sub *s = calloc(1, sizeof(*s));
	if (!s)
		return luaL_error(L, "bpf.on: map '%s': out of memory", name);
	s->le = le;
	s->map = map;
	s->owner = owner;
	s->fn_ref = LUA_NOREF;
	if (tname) {
		const struct btf *btf = bpf_object__btf(owner->obj);
		__s32 id = btf ? find_type(btf, tname) : 0;
		if (id <= 0) {
			free(s);
			return luaL_error(L, "bpf.on: map '%s': no type '%s' in the program's BTF "
					  "(is it used? <pktlua/events.h>: pktlua_emit or "
					  "PKTLUA_EVENT_TYPE keeps it)", name, tname);
		}
		s->codec = pl_codec__new(btf, (uint32_t)id, 0);
		s->pad = s->codec ? calloc(1, s->codec->size ? s->codec->size : 1) : NULL;
		if (!s->codec || !s->pad) {
			int e = errno ? errno : ENOMEM;
			pl_codec__free(s->codec);
			free(s->pad);
			free(s);
			return luaL_error(L, "bpf.on: map '%s': cannot decode type '%s': %s", name,
					  tname, strerror(e));
		}
	}
	struct pl_evbuf_opts opts = {
		.fn = on_record, .ctx = s, .lost_map_fd = lost_map_fd(owner->obj),
	};
	s->buf = pl_events__add(le->ev, map, &opts);
	if (!s->buf) {
		int e = errno;
		sub_free(L, s);
		return luaL_error(L, "bpf.on: map '%s': cannot read it: %s", name, strerror(e));
	}
	lua_pushvalue(L, 2);
	s->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	s->next = le->subs;
	le->subs = s;
	return 0;
}

uint64_t pl_lua_events_lost(lua_State *L, struct pl_lua_program *p, const struct bpf_map *map)
{
	struct lua_events *le = get_events(L);

	for (struct sub *s = le ? le->subs : NULL; s; s = s->next)
		if (s->map == map)
			return pl_evbuf__lost(s->buf);
	if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF)
		return ring_lost(p->obj, map);
	return 0;   /* a perf buffer nobody reads: nothing is counted */
}

/* bpf.lost(map): records dropped so far on a ring buffer or perf buffer. */
static int events_lost(lua_State *L)
{
	struct bpf_map *map = pl_lua_check_map(L, 1);
	struct pl_lua_program *owner = pl_lua_map_program(L, 1);

	switch (bpf_map__type(map)) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		lua_pushinteger(L, (lua_Integer)pl_lua_events_lost(L, owner, map));
		return 1;
	default:
		return luaL_error(L, "bpf.lost: map '%s' is not a ring buffer or perf event array",
				  bpf_map__name(map));
	}
}

void pl_lua_events_close(lua_State *L, struct pl_lua_program *p)
{
	struct lua_events *le = get_events(L);
	struct sub **pp;

	if (!le || !le->ev)
		return;
	for (pp = &le->subs; *pp;) {
		struct sub *s = *pp;
		if (s->owner != p) {
			pp = &s->next;
			continue;
		}
		/* pktlua_printf lines made since the last run: all of them (a
		 * read stops after a slice of time), as long as some come. */
		for (int i = 0; s->printf && i < 1000 && pl_evbuf__read(s->buf) > 0; i++)
			;
		uint64_t lost = pl_evbuf__lost(s->buf);
		if (lost && s->printf)
			pl_log(PL_LOG_WARN, "pktlua_printf: %llu lines lost (the ring was full: "
			       "defines = {PKTLUA_PRINTF_RING = bytes} makes it bigger)",
			       (unsigned long long)lost);
		else if (lost)
			pl_log(PL_LOG_WARN, "map '%s': %llu events lost", pl_evbuf__name(s->buf),
			       (unsigned long long)lost);
		*pp = s->next;
		sub_free(L, s);
	}
}

int pl_lua_events_drain(lua_State *L)
{
	struct lua_events *le = get_events(L);

	if (!le || !le->ev)
		return 0;
	pl_trace_relay__read(le->relay);
	return pl_events__drain(le->ev);
}

/* ---- output from BPF: pktlua_printf, bpf_printk ---------------------------- */

static void relay_line(void *ctx, const char *msg, size_t len)
{
	(void)ctx;
	fflush(stdout);                                    /* keep stdout and stderr in step */
	fwrite(msg, 1, len, stderr);
	fputc('\n', stderr);
}

static void relay_tick(void *ctx, int id)
{
	struct lua_events *le = ctx;

	(void)id;
	pl_trace_relay__read(le->relay);
}

static void start_relay(struct lua_events *le)
{
	char err[256];

	if (le->relay || le->relay_failed)
		return;
	le->relay = pl_trace_relay__new(relay_line, le, err, sizeof(err));
	if (!le->relay) {
		le->relay_failed = true;
		pl_log(PL_LOG_WARN, "bpf_printk lines will not be shown: %s", err);
		return;
	}
	int id = pl_loop__add_timer(le->loop, 0.1, 0.1, relay_tick, le);
	le->relay_timer = id > 0 ? id : 0;
}

void pl_lua_events_program_opened(lua_State *L, struct pl_lua_program *p)
{
	struct lua_events *le = get_events(L);
	struct bpf_map *ring;

	if (!le || !le->ev)
		return;
	if (pl_printk__used(p->obj))
		start_relay(le);
	ring = bpf_object__find_map_by_name(p->obj, "pktlua_printf_ring");
	if (!ring || bpf_map__fd(ring) < 0)
		return;                                    /* not used: not created */
	struct sub *s = calloc(1, sizeof(*s));
	if (!s)
		luaL_error(L, "pktlua_printf: out of memory");
	s->le = le;
	s->map = ring;
	s->owner = p;
	s->fn_ref = LUA_NOREF;
	s->printf = true;
	struct bpf_map *lost = bpf_object__find_map_by_name(p->obj, "pktlua_printf_lost");
	struct pl_evbuf_opts opts = {
		.fn = on_record, .ctx = s, .lost_map_fd = lost ? bpf_map__fd(lost) : -1,
	};
	s->buf = pl_events__add(le->ev, ring, &opts);
	if (!s->buf) {
		int e = errno;
		free(s);
		luaL_error(L, "pktlua_printf: cannot read its ring buffer: %s", strerror(e));
	}
	s->next = le->subs;
	le->subs = s;
}

static int events_gc(lua_State *L)
{
	struct lua_events *le = lua_touserdata(L, 1);

	if (le->relay_timer)
		pl_loop__remove(le->loop, le->relay_timer);
	le->relay_timer = 0;
	pl_trace_relay__free(le->relay);                   /* relays what is left first */
	le->relay = NULL;
	while (le->subs) {
		struct sub *s = le->subs;
		le->subs = s->next;
		sub_free(L, s);
	}
	pl_events__free(le->ev);
	le->ev = NULL;
	return 0;
}

static const luaL_Reg events_funcs[] = {
	{"lost", events_lost},
	{"on", events_on},
	{NULL, NULL},
};

void pl_lua_events_register(lua_State *L)
{
	if (!get_events(L)) {
		struct lua_events *le = lua_newuserdatauv(L, sizeof(*le), 0); /* bpf le */
		memset(le, 0, sizeof(*le));
		lua_newtable(L);
		lua_pushcfunction(L, events_gc);
		lua_setfield(L, -2, "__gc");
		lua_setmetatable(L, -2);
		le->thread = pl_lua_callback_thread(L);
		le->loop = pl_lua_loop(L);
		le->ev = pl_events__new(le->loop);
		if (!le->ev)
			luaL_error(L, "pktlua: cannot create the event buffers: %s", strerror(errno));
		lua_setfield(L, LUA_REGISTRYINDEX, EVENTS_KEY); /* bpf */
	}
	luaL_setfuncs(L, events_funcs, 0);                 /* into the table at the top */
}
