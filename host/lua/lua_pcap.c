/* lua_pcap.c — require "pktlua.pcap": capture files and offline replay.
 *
 *   for pkt in pcap.read(file) do ... end     pkt = {data, len, caplen, ts, ts_ns}
 *   local w <close> = pcap.writer(file [, {linktype=, snaplen=, nanosecond=}])
 *   w:write(bytes [, ts, origlen]) / w:write(pkt); w:close()
 *   pcap.replay(prog, file [, {out=, keep="pass"|"drop", warnings=}])
 *   pcap.compile(expr [, {linktype="EN10MB"|n, snaplen=n}])
 *       the classic BPF libpcap makes of a tcpdump expression (optimiser on),
 *       as a sequence of {code=, jt=, jf=, k=}; libpcap's message as the error
 *
 * The file work is plain C (pcap_file.c, replay.c); this file only converts. */
#include "lua/lua_pcap.h"

#include "base/log.h"
#include "lua/lua_program.h"
#include "packets/filter.h"
#include "packets/pcap_file.h"
#include "packets/replay.h"

#include <lauxlib.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define READER_MT "pktlua.PcapReader"
#define WRITER_MT "pktlua.PcapWriter"

struct lreader { struct pl_pcap_reader *r; };
struct lwriter { struct pl_pcap_writer *w; char file[256]; };

/* ---- reading -------------------------------------------------------------- */

static int reader_close(lua_State *L)
{
	struct lreader *lr = luaL_checkudata(L, 1, READER_MT);

	pl_pcap_reader__close(lr->r);
	lr->r = NULL;
	return 0;
}

static int reader_tostring(lua_State *L)
{
	struct lreader *lr = luaL_checkudata(L, 1, READER_MT);

	if (lr->r)
		lua_pushfstring(L, READER_MT " '%s'", pl_pcap_reader__file(lr->r));
	else
		lua_pushliteral(L, READER_MT " (closed)");
	return 1;
}

/* The generic-for iterator (the reader is its upvalue, so pcap.read(f)()
 * works too): the next packet as a table, or nil at the end. */
static int reader_next(lua_State *L)
{
	struct lreader *lr = luaL_checkudata(L, lua_upvalueindex(1), READER_MT);
	struct pl_pcap_pkt pkt;
	int n;

	if (!lr->r)
		return 0;
	n = pl_pcap_reader__next(lr->r, &pkt);
	if (n < 0) {
		lua_pushstring(L, pl_pcap_reader__error(lr->r));
		return lua_error(L);
	}
	if (n == 0) {
		pl_pcap_reader__close(lr->r);
		lr->r = NULL;
		return 0;
	}
	lua_createtable(L, 0, 5);                               /* pkt */
	lua_pushlstring(L, (const char *)pkt.data, pkt.caplen);
	lua_setfield(L, -2, "data");
	lua_pushinteger(L, pkt.len);
	lua_setfield(L, -2, "len");
	lua_pushinteger(L, pkt.caplen);
	lua_setfield(L, -2, "caplen");
	/* Seconds and fraction apart: one division of ts_ns would round. */
	lua_pushnumber(L, (lua_Number)pkt.ts_sec + (lua_Number)pkt.ts_nsec / 1e9);
	lua_setfield(L, -2, "ts");
	if (pkt.ts_ns_ok) {                /* absent past 2262: no integer holds it */
		lua_pushinteger(L, pkt.ts_ns);
		lua_setfield(L, -2, "ts_ns");
	}
	return 1;
}

/* pcap.read(file): iterator, state, nil, and the reader again as the
 * to-be-closed value, so a `break` out of the loop closes the file. */
static int pcap_read(lua_State *L)
{
	const char *file = luaL_checkstring(L, 1);
	struct lreader *lr = lua_newuserdatauv(L, sizeof(*lr), 0);   /* R, closed */
	char err[512];

	lr->r = NULL;
	luaL_setmetatable(L, READER_MT);
	lr->r = pl_pcap_reader__open(file, err, sizeof(err));
	if (!lr->r)
		return luaL_error(L, "%s", err);
	lua_pushvalue(L, -1);
	lua_pushcclosure(L, reader_next, 1);                    /* R next */
	lua_insert(L, -2);                                      /* next R */
	lua_pushnil(L);
	lua_insert(L, -2);
	lua_pushnil(L);
	lua_insert(L, -2);                                      /* next nil nil R */
	return 4;
}

/* ---- writing -------------------------------------------------------------- */

static struct lwriter *check_writer(lua_State *L)
{
	struct lwriter *lw = luaL_checkudata(L, 1, WRITER_MT);

	if (!lw->w)
		luaL_error(L, "attempt to use a closed pcap writer");
	return lw;
}

struct ts { int64_t sec; uint32_t nsec; };

static struct ts now_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (struct ts){ ts.tv_sec, (uint32_t)ts.tv_nsec };
}

/* A timestamp argument: an integer or float number of seconds. */
static struct ts check_ts(lua_State *L, int idx)
{
	if (lua_isinteger(L, idx))
		return (struct ts){ lua_tointeger(L, idx), 0 };
	/* Whole seconds apart: s * 1e9 in a double would round the fraction. */
	lua_Number s = luaL_checknumber(L, idx), whole = floor(s);
	luaL_argcheck(L, whole >= -0x1p62 && whole < 0x1p62, idx, "timestamp out of range");
	int64_t ns = (int64_t)llround((s - whole) * 1e9);     /* 0 .. 1e9 */
	return (struct ts){ (int64_t)whole + ns / 1000000000, (uint32_t)(ns % 1000000000) };
}

/* A packet table's ts_ns: nanoseconds, any integer. */
static struct ts ns_ts(lua_Integer ns)
{
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;

	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	return (struct ts){ sec, (uint32_t)frac };
}

/* w:write(bytes [, ts, origlen]) or w:write(pkt) with a table as pcap.read
 * gives (data, and ts_ns or ts, and len when present). */
static int writer_write(lua_State *L)
{
	struct lwriter *lw = check_writer(L);
	const char *data;
	size_t len;
	struct ts ts;
	lua_Integer origlen = 0;

	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "data");
		data = lua_tolstring(L, -1, &len);
		luaL_argexpected(L, data && lua_type(L, -1) == LUA_TSTRING, 2, "packet with a 'data' string");
		if (lua_getfield(L, 2, "ts_ns") == LUA_TNUMBER && lua_isinteger(L, -1))
			ts = ns_ts(lua_tointeger(L, -1));
		else if (lua_getfield(L, 2, "ts") != LUA_TNIL)
			ts = check_ts(L, lua_gettop(L));
		else
			ts = now_ts();
		if (lua_getfield(L, 2, "len") != LUA_TNIL)
			origlen = luaL_checkinteger(L, -1);
	} else {
		data = luaL_checklstring(L, 2, &len);
		ts = lua_isnoneornil(L, 3) ? now_ts() : check_ts(L, 3);
		origlen = luaL_optinteger(L, 4, 0);
	}
	luaL_argcheck(L, len <= UINT32_MAX, 2, "packet too long");
	luaL_argcheck(L, origlen >= 0 && origlen <= UINT32_MAX, 4, "original length out of range");
	int err = pl_pcap_writer__write_ts(lw->w, data, (uint32_t)len, (uint32_t)origlen, ts.sec,
					   ts.nsec);
	if (err)
		return luaL_error(L, "pcap writer: %s: cannot write: %s", lw->file, strerror(-err));
	lua_settop(L, 1);
	return 1;                                               /* w, for chaining */
}

/* w:close() and a <close> variable: a write error raises. */
static int writer_close(lua_State *L)
{
	struct lwriter *lw = luaL_checkudata(L, 1, WRITER_MT);
	int err = pl_pcap_writer__close(lw->w);

	lw->w = NULL;
	if (err)
		return luaL_error(L, "pcap writer: %s: cannot write: %s", lw->file, strerror(-err));
	return 0;
}

/* __gc may not raise: close quietly. */
static int writer_gc(lua_State *L)
{
	struct lwriter *lw = luaL_checkudata(L, 1, WRITER_MT);
	int err = pl_pcap_writer__close(lw->w);

	lw->w = NULL;
	if (err)
		pl_log(PL_LOG_ERROR, "pcap writer: %s: cannot write: %s", lw->file, strerror(-err));
	return 0;
}

static int writer_tostring(lua_State *L)
{
	struct lwriter *lw = luaL_checkudata(L, 1, WRITER_MT);

	if (lw->w)
		lua_pushfstring(L, WRITER_MT " (%I packets)", (lua_Integer)pl_pcap_writer__count(lw->w));
	else
		lua_pushliteral(L, WRITER_MT " (closed)");
	return 1;
}

static int writer_count(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)pl_pcap_writer__count(check_writer(L)->w));
	return 1;
}

/* The link type option: a DLT number or tcpdump's name of it ("RAW"). */
static int check_linktype(lua_State *L, int idx)
{
	if (lua_type(L, idx) == LUA_TSTRING) {
		int v = pl_pcap_linktype_from_name(lua_tostring(L, idx));
		if (v < 0)
			luaL_error(L, "pcap writer: unknown link type '%s'", lua_tostring(L, idx));
		return v;
	}
	lua_Integer v = luaL_checkinteger(L, idx);
	if (v < 0 || v > 65535)
		luaL_error(L, "pcap writer: link type %I out of range", v);
	return (int)v;
}

static int pcap_compile_expr(lua_State *L)
{
	const char *expr = luaL_checkstring(L, 1);
	int linktype = 1;                                  /* DLT_EN10MB */
	uint32_t snaplen = 0;
	struct pl_filter_insn *ins;
	size_t n;
	char err[512];

	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		if (lua_getfield(L, 2, "linktype") != LUA_TNIL)
			linktype = check_linktype(L, -1);
		if (lua_getfield(L, 2, "snaplen") != LUA_TNIL) {
			lua_Integer s = luaL_checkinteger(L, -1);
			luaL_argcheck(L, s > 0 && s <= 0x40000, 2, "snaplen must be 1..262144");
			snaplen = (uint32_t)s;
		}
		lua_pop(L, 2);
	}
	if (pl_filter_insns(expr, linktype, snaplen, &ins, &n, err, sizeof(err)) < 0)
		return luaL_error(L, "pcap.compile: %s", err);
	lua_createtable(L, (int)n, 0);                     /* insns */
	for (size_t i = 0; i < n; i++) {
		lua_createtable(L, 0, 4);                  /* insns insn */
		lua_pushinteger(L, ins[i].code);
		lua_setfield(L, -2, "code");
		lua_pushinteger(L, ins[i].jt);
		lua_setfield(L, -2, "jt");
		lua_pushinteger(L, ins[i].jf);
		lua_setfield(L, -2, "jf");
		lua_pushinteger(L, ins[i].k);
		lua_setfield(L, -2, "k");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	free(ins);
	return 1;
}

static int pcap_writer(lua_State *L)
{
	const char *file = luaL_checkstring(L, 1);
	struct pl_pcap_writer_opts o = {0};
	char err[512];

	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		if (lua_getfield(L, 2, "linktype") != LUA_TNIL)
			o.linktype = check_linktype(L, -1);
		if (lua_getfield(L, 2, "snaplen") != LUA_TNIL) {
			lua_Integer s = luaL_checkinteger(L, -1);
			luaL_argcheck(L, s > 0 && s <= 0x40000, 2, "snaplen must be 1..262144");
			o.snaplen = (uint32_t)s;
		}
		lua_getfield(L, 2, "nanosecond");
		o.nanosecond = lua_toboolean(L, -1);
		lua_pop(L, 3);
	}
	struct lwriter *lw = lua_newuserdatauv(L, sizeof(*lw), 0);   /* W, closed */
	lw->w = NULL;
	snprintf(lw->file, sizeof(lw->file), "%s", file);
	luaL_setmetatable(L, WRITER_MT);
	lw->w = pl_pcap_writer__open(file, &o, err, sizeof(err));
	if (!lw->w)
		return luaL_error(L, "%s", err);
	return 1;
}

/* ---- replay --------------------------------------------------------------- */

static void set_count(lua_State *L, const char *name, uint64_t n, bool always)
{
	if (!n && !always)
		return;
	lua_pushinteger(L, (lua_Integer)n);
	lua_setfield(L, -2, name);
}

static int pcap_replay(lua_State *L)
{
	struct bpf_program *prog = pl_lua_check_prog(L, 1);
	const char *file = luaL_checkstring(L, 2);
	enum bpf_prog_type type = bpf_program__type(prog);
	/* libbpf 1.1 adds BPF_F_XDP_HAS_FRAGS for SEC("xdp.frags") at load time
	 * without recording it in the program's flags: look at the section too. */
	const char *sec = bpf_program__section_name(prog);
	struct pl_replay_opts o = {
		.frags = type == BPF_PROG_TYPE_XDP && ((bpf_program__flags(prog) & BPF_F_XDP_HAS_FRAGS) ||
						       !strncmp(sec, "xdp.frags", 9)),
	};
	struct pl_replay_result res;
	char err[512];

	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		lua_getfield(L, 3, "out");
		o.out = luaL_optstring(L, -1, NULL);
		const char *keep = (lua_getfield(L, 3, "keep"), lua_tostring(L, -1));
		luaL_argcheck(L, !keep || !strcmp(keep, "pass") || !strcmp(keep, "drop"), 3,
			      "keep must be \"pass\" or \"drop\"");
		o.keep_drop = keep && !strcmp(keep, "drop");
		if (lua_getfield(L, 3, "warnings") != LUA_TNIL) {
			lua_Integer n = luaL_checkinteger(L, -1);
			luaL_argcheck(L, n >= 0 && n < 1000000, 3, "warnings must be >= 0");
			o.max_warnings = n ? (unsigned)n : 1;
		}
		lua_pop(L, 3);
	}
	if (pl_replay_file(bpf_program__fd(prog), type, file, &o, &res, err, sizeof(err)))
		return luaL_error(L, "replay through program '%s': %s",   /* ERR names the file */
				  bpf_program__name(prog), err);

	lua_createtable(L, 0, 8);                               /* counts */
	set_count(L, "packets", res.packets, true);
	set_count(L, "errors", res.errors, true);
	set_count(L, "short", res.short_pkts, false);
	set_count(L, "too_big", res.too_big, false);
	set_count(L, "refused", res.refused, false);
	set_count(L, "bad_link", res.bad_link, false);
	if (type == BPF_PROG_TYPE_SOCKET_FILTER) {
		set_count(L, "kept", res.kept, false);
		set_count(L, "dropped", res.not_kept, false);
	} else {
		for (int i = 0; i < PL_REPLAY_NRET; i++) {
			const char *name = pl_replay_verdict_name(type, i + PL_REPLAY_RET_MIN);
			if (name)
				set_count(L, name, res.by_ret[i], false);
			else
				res.other_ret += res.by_ret[i];
		}
		set_count(L, "other", res.other_ret, false);
	}
	if (o.out)
		set_count(L, "written", res.written, true);
	return 1;
}

/* ---- module --------------------------------------------------------------- */

static const luaL_Reg pcap_funcs[] = {
	{"compile", pcap_compile_expr},
	{"read", pcap_read},
	{"replay", pcap_replay},
	{"writer", pcap_writer},
	{NULL, NULL},
};

static const luaL_Reg reader_meta[] = {
	{"__close", reader_close},
	{"__gc", reader_close},
	{"__tostring", reader_tostring},
	{NULL, NULL},
};

static const luaL_Reg writer_methods[] = {
	{"close", writer_close},
	{"count", writer_count},
	{"write", writer_write},
	{NULL, NULL},
};

static const luaL_Reg writer_meta[] = {
	{"__close", writer_close},
	{"__gc", writer_gc},
	{"__index", NULL},
	{"__tostring", writer_tostring},
	{NULL, NULL},
};

int luaopen_pktlua_pcap(lua_State *L)
{
	luaL_newmetatable(L, READER_MT);
	luaL_setfuncs(L, reader_meta, 0);
	luaL_newmetatable(L, WRITER_MT);
	luaL_setfuncs(L, writer_meta, 0);
	luaL_newlib(L, writer_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 2);
	luaL_newlib(L, pcap_funcs);
	return 1;
}
