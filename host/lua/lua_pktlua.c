/* lua_pktlua.c — the "pktlua" module: load snippets, and the event loop
 * (timers, run/stop, exit handlers). */
#include "lua/lua_pktlua.h"

#include "base/interrupt.h"
#include "base/log.h"
#include "bpf/caps.h"
#include "bpf/loader.h"
#include "compile/compiler.h"
#include "events/loop.h"
#include "lua/lua_events.h"
#include "lua/lua_globals.h"
#include "lua/lua_map.h"
#include "lua/lua_offline.h"
#include "lua/lua_program.h"
#include "lua/lua_state.h"
#include "lua/lua_symbols.h"
#include "packets/filter.h"

#include <lauxlib.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MODULE_KEY "pktlua.module"
#define OPENING_MT "pktlua.Opening"
#define MAX_LIST 64   /* defines / cflags entries */

/* Per Lua state, what the module itself keeps (the loop and the callback
 * thread are lua_state.c's). */
struct module {
	struct pl_loop *loop;
	bool exit_handlers_ran;
	bool drop_caps_at_run;   /* --drop-caps, until the first bpf.run() */
	int timers_ref;       /* registry ref: { [timer id] = timer } */
	int exit_ref;         /* registry ref: sequence of at_exit functions */
	lua_State *const *thread;  /* where timers fire */
};

static struct module *get_module(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, MODULE_KEY);
	struct module *st = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return st;
}

/* ---- bpf.load ------------------------------------------------------------ */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Where in the calling script does SRC start? The compiler names script lines
 * in diagnostics and BTF line info (#line), so find the snippet's text in the
 * script file: that works however the call is laid out (bpf.load [[...]],
 * bpf.load{src = [[...]]}, a string on a later line). */
static void snippet_origin(lua_State *L, const char *src, size_t len,
			   char *file, size_t file_len, int *line)
{
	lua_Debug ar;

	snprintf(file, file_len, "<snippet>");
	*line = 1;
	if (!lua_getstack(L, 1, &ar) || !lua_getinfo(L, "Sl", &ar))
		return;
	if (ar.source[0] != '@') {
		/* -e code or a chunk from a string: name it as Lua does. */
		snprintf(file, file_len, "%s", ar.short_src);
		return;
	}
	const char *path = ar.source + 1;
	snprintf(file, file_len, "%s", path);
	size_t flen = 0;
	char *text = read_file(path, &flen);
	if (!text)
		return;
	/* The first occurrence at or after the calling line; else the first. */
	const char *found = NULL, *p = text, *end = text + flen;
	int l = 1, found_line = 0;
	while (len && p + len <= end) {
		if (!memcmp(p, src, len)) {
			if (!found || found_line < ar.currentline) {
				found = p;
				found_line = l;
			}
			if (l >= ar.currentline)
				break;
		}
		if (*p == '\n')
			l++;
		p++;
	}
	if (found)
		*line = found_line;
	else
		snprintf(file, file_len, "%s:%d (snippet)", path, ar.currentline);
	free(text);
}

/* Collect a list option: defines = {NAME = value, FLAG = true} → "NAME=value";
 * cflags = {"-I/x", ...}. Strings are pushed onto the Lua stack's buffer
 * table at BUF so they stay alive until the compile is done. */
static void collect_list(lua_State *L, int opts, const char *field, bool is_defines,
			 const char **out, int buf)
{
	int n = 0;

	if (lua_getfield(L, opts, field) == LUA_TNIL) {
		lua_pop(L, 1);
		out[0] = NULL;
		return;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "bpf.load: '%s' must be a table, got %s", field, luaL_typename(L, -1));
	int t = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, t)) {                           /* ... t k v */
		if (n == MAX_LIST - 1)
			luaL_error(L, "bpf.load: too many %s (at most %d)", field, MAX_LIST - 1);
		if (is_defines) {
			if (lua_type(L, -2) != LUA_TSTRING)
				luaL_error(L, "bpf.load: defines: names must be strings");
			if (lua_type(L, -1) == LUA_TBOOLEAN) {
				if (lua_toboolean(L, -1))
					lua_pushstring(L, lua_tostring(L, -2));
				else {
					lua_pop(L, 1);
					continue;
				}
			} else if (lua_type(L, -1) == LUA_TNUMBER || lua_type(L, -1) == LUA_TSTRING) {
				const char *name = lua_tostring(L, -2);
				const char *value = luaL_tolstring(L, -1, NULL); /* ... k v vs */
				lua_pushfstring(L, "%s=%s", name, value);        /* ... k v vs def */
				lua_remove(L, -2);                               /* ... k v def */
			} else {
				luaL_error(L, "bpf.load: defines.%s must be a number, string or "
					   "boolean, got %s", lua_tostring(L, -2),
					   luaL_typename(L, -1));
			}
		} else {
			if (lua_type(L, -1) != LUA_TSTRING)
				luaL_error(L, "bpf.load: cflags must be strings, got %s",
					   luaL_typename(L, -1));
			lua_pushvalue(L, -1);
		}
		out[n++] = lua_tostring(L, -1);
		lua_rawseti(L, buf, (lua_Integer)luaL_len(L, buf) + 1); /* keep it alive */
		lua_pop(L, 1);                             /* ... t k */
	}
	lua_pop(L, 1);
	out[n] = NULL;
}

static void check_load_options(lua_State *L, int opts)
{
	static const char *const known[] = {
		"src", "file", "name", "defines", "cflags", "filters", "globals", "max_entries", NULL,
	};

	pl_lua_check_options(L, opts, "bpf.load", known);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* filters = {NAME = "tcpdump expression", ...} → the C text of the functions
 * of each NAME (pl_filter_to_c, both flavours: NAME and NAME__len on packet
 * pointers, NAME__buf on a copy; unused static inline functions cost
 * nothing), for Ethernet, in NAME order so the same table always gives the
 * same text. NAME = {"expression", iface = "eth0" [, snaplen = n]} compiles
 * it as `tcpdump -i eth0` does (pl_filter_iface_to_c: NAME__live and
 * NAME__livebuf, what <pktlua/tcpdump.h> runs). Returns the text (kept
 * alive in the table at BUF) or NULL when there is no filters option.
 * Raises an error naming the filter when one does not compile or translate. */
static const char *collect_filters(lua_State *L, int opts, int buf)
{
	char err[512];
	int n = 0;

	if (lua_getfield(L, opts, "filters") == LUA_TNIL) {
		lua_pop(L, 1);
		return NULL;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "bpf.load: 'filters' must be a table, got %s", luaL_typename(L, -1));
	int t = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, t)) {                           /* ... t k v */
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "bpf.load: filters: names must be strings, got %s",
				   luaL_typename(L, -2));
		if (lua_type(L, -1) == LUA_TTABLE) {
			const char *name = lua_tostring(L, -2);
			int e = lua_gettop(L);
			lua_pushnil(L);
			while (lua_next(L, e)) {           /* ... t k v kk vv */
				bool ok = (lua_type(L, -2) == LUA_TNUMBER && lua_tointeger(L, -2) == 1 &&
					   lua_type(L, -1) == LUA_TSTRING) ||
					  (lua_type(L, -2) == LUA_TSTRING &&
					   ((!strcmp(lua_tostring(L, -2), "iface") &&
					     lua_type(L, -1) == LUA_TSTRING) ||
					    (!strcmp(lua_tostring(L, -2), "snaplen") && lua_isinteger(L, -1))));
				if (!ok)
					luaL_error(L, "bpf.load: filters.%s: want {\"expression\", iface = "
						   "\"name\" [, snaplen = n]}", name);
				lua_pop(L, 1);
			}
			if (lua_rawgeti(L, e, 1) != LUA_TSTRING ||
			    lua_getfield(L, e, "iface") != LUA_TSTRING)
				luaL_error(L, "bpf.load: filters.%s: want {\"expression\", iface = "
					   "\"name\" [, snaplen = n]}", name);
			lua_pop(L, 2);
		} else if (lua_type(L, -1) != LUA_TSTRING) {
			luaL_error(L, "bpf.load: filters.%s must be a string (a tcpdump expression) or "
				   "{expression, iface = name}, got %s",
				   lua_tostring(L, -2), luaL_typename(L, -1));
		}
		lua_pop(L, 1);
		n++;
	}
	/* The names, sorted; the strings stay alive as keys of t. */
	const char **names = lua_newuserdatauv(L, (n ? n : 1) * sizeof(*names), 0); /* ... t names */
	int i = 0;
	lua_pushnil(L);
	while (lua_next(L, t)) {                           /* ... t names k v */
		lua_pop(L, 1);
		names[i++] = lua_tostring(L, -1);
	}
	qsort(names, n, sizeof(*names), cmp_str);

	luaL_Buffer b;
	luaL_buffinit(L, &b);                              /* ... t names <buffer> */
	for (i = 0; i < n; i++) {
		char *c;

		if (lua_getfield(L, t, names[i]) == LUA_TTABLE) { /* ... {expr, iface=} */
			lua_rawgeti(L, -1, 1);
			lua_getfield(L, -2, "iface");
			lua_getfield(L, -3, "snaplen");            /* ... tbl expr iface snaplen */
			lua_Integer snap = luaL_optinteger(L, -1, 0);
			if (snap < 0 || snap > PL_FILTER_BUF_MAX)
				luaL_error(L, "bpf.load: filters.%s: snaplen %d: want 1..%d", names[i],
					   (int)snap, PL_FILTER_BUF_MAX);
			c = pl_filter_iface_to_c(lua_tostring(L, -3), lua_tostring(L, -2), (uint32_t)snap,
						 names[i], PL_FILTER_PKT | PL_FILTER_BUF | PL_FILTER_LIVE,
						 false, NULL, err, sizeof(err));
			lua_pop(L, 4);                     /* the table stays alive in t */
		} else {
			c = pl_filter_expr_to_c(lua_tostring(L, -1), 1 /* DLT_EN10MB */, 0, names[i],
						PL_FILTER_PKT | PL_FILTER_BUF, err, sizeof(err));
			lua_pop(L, 1);                     /* expr stays alive in t */
		}
		if (!c && pl_interrupt_pending())
			pl_lua_raise_interrupt(L);         /* Ctrl-C during libpcap's compile */
		if (!c)
			luaL_error(L, "bpf.load: filters.%s: %s", names[i], err);
		luaL_addstring(&b, c);
		free(c);
	}
	luaL_pushresult(&b);                               /* ... t names text */
	const char *text = lua_tostring(L, -1);
	lua_pushvalue(L, -1);
	lua_rawseti(L, buf, (lua_Integer)luaL_len(L, buf) + 1); /* keep it alive */
	lua_pop(L, 3);
	return text;
}

/* An opened object not yet handed to a Program: closed if bpf.load raises. */
static int opening_gc(lua_State *L)
{
	struct bpf_object **obj = luaL_checkudata(L, 1, OPENING_MT);

	bpf_object__close(*obj);
	*obj = NULL;
	return 0;
}

/* max_entries = {MAP = n}: map sizes, set before load (as libbpf tools size
 * their stack maps from user space). */
static void set_max_entries(lua_State *L, int idx, struct bpf_object *obj, const char *program)
{
	if (lua_isnil(L, idx))
		return;
	if (!lua_istable(L, idx))
		luaL_error(L, "bpf.load: 'max_entries' must be a table, got %s", luaL_typename(L, idx));
	lua_pushnil(L);
	while (lua_next(L, idx)) {                         /* ... k v */
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "bpf.load: max_entries: map names must be strings, got %s",
				   luaL_typename(L, -2));
		const char *k = lua_tostring(L, -2);
		struct bpf_map *map = bpf_object__find_map_by_name(obj, k);
		if (!map || bpf_map__is_internal(map))
			luaL_error(L, "bpf.load: max_entries: no map '%s' in program '%s'", k, program);
		int isnum;
		lua_Integer n = lua_tointegerx(L, -1, &isnum);
		if (!isnum || n < 1 || n > UINT32_MAX)
			luaL_error(L, "bpf.load: max_entries.%s must be an integer >= 1, got %s", k,
				   luaL_tolstring(L, -1, NULL));
		int err = bpf_map__set_max_entries(map, (__u32)n);
		if (err)
			luaL_error(L, "bpf.load: max_entries.%s: %s", k, strerror(-err));
		lua_pop(L, 1);                             /* ... k */
	}
}

/* Open the object OBJ (LEN bytes), set what a skeleton's user sets before
 * load (max_entries=, globals= of the options at index 1) and load it.
 * Pushes the guard (an Opening that closes the object if anything raises);
 * returns 0, or a negative errno with *MSG set (malloc'd). */
static int open_and_load(lua_State *L, const void *obj, size_t len,
			 const struct pl_load_opts *lopts, char **msg)
{
	struct bpf_object **guard = lua_newuserdatauv(L, sizeof(*guard), 0); /* ... guard */

	*guard = NULL;
	luaL_setmetatable(L, OPENING_MT);
	int err = pl_object_open(obj, len, lopts, guard, msg);
	if (!err && lua_type(L, 1) == LUA_TTABLE) {
		lua_getfield(L, 1, "max_entries");
		set_max_entries(L, lua_gettop(L), *guard, lopts->name);
		if (lua_getfield(L, 1, "globals") != LUA_TNIL)
			pl_lua_set_globals(L, -1, *guard, lopts->name);
		lua_pop(L, 2);
	}
	if (!err)
		err = pl_object_load_opened(*guard, lopts, msg);
	return err;
}

/* Compile (or take the object as it is, OBJ_TEXT) and load: the Program's
 * object, guarded, on the stack; 0 or a negative errno with *MSG set.
 * Raises clang's diagnostics as they are. */
static int compile_and_load(lua_State *L, const char *src, size_t len, bool is_object,
			    const struct pl_compile_opts *copts, const struct pl_load_opts *lopts,
			    char **msg)
{
	struct pl_compile_result res;

	if (is_object)
		return open_and_load(L, src, len, lopts, msg);
	int err = pl_compile(src, len, copts, &res);
	if (err == -EINTR) {
		pl_compile_result__free(&res);
		return pl_lua_raise_interrupt(L);          /* Ctrl-C: the compiler is gone */
	}
	if (err) {
		/* clang's diagnostics already name script lines: raise them as they are. */
		const char *diag = res.diag && res.diag[0] ? res.diag : strerror(-err);
		size_t n = strlen(diag);
		while (n && diag[n - 1] == '\n')
			n--;
		lua_pushlstring(L, diag, n);
		pl_compile_result__free(&res);
		return lua_error(L);
	}
	if (res.diag && res.diag[0])
		pl_log(PL_LOG_WARN, "%s", res.diag);        /* warnings */
	/* Setting globals= and max_entries= raises on a bad name or value, so
	 * the object goes to a Lua string (one memcpy; collected after a raise)
	 * and res is freed before anything can raise. */
	lua_pushlstring(L, res.obj, res.obj_len);          /* ... object */
	pl_compile_result__free(&res);
	size_t obj_len;
	const char *obj = lua_tolstring(L, -1, &obj_len);
	return open_and_load(L, obj, obj_len, lopts, msg);
}

/* pktlua compiles for -mcpu=v3 (32-bit subregisters, JMP32). Some code the
 * verifier accepts as v2 (or clang 19's default, v1) it rejects as v3: a
 * bound checked on a 32-bit register then used for 64-bit pointer math
 * ("math between map_value pointer and register with unbounded min value",
 * libbpf-tools' cpufreq with its clamp_umax asm). For those, when the user
 * chose no -mcpu, the snippet is compiled again for v2 and loaded if that
 * verifies. */
static bool worth_v2(const char *msg, const char *const *cflags)
{
	for (size_t i = 0; cflags && cflags[i]; i++)
		if (!strncmp(cflags[i], "-mcpu", 5))
			return false;
	return msg && strstr(msg, "rejected by the verifier") &&
	       (strstr(msg, "unbounded min value") || strstr(msg, "min value is negative"));
}

static bool is_elf(const char *s, size_t len)
{
	return len >= 4 && !memcmp(s, "\x7f" "ELF", 4);
}

/* file = "dir/x.bpf.c": its text (kept alive on the stack), compiled with dir
 * first on the include path; file = "x.bpf.o": a prebuilt object. */
static const char *load_file(lua_State *L, const char *path, size_t *len)
{
	char *text = read_file(path, len);

	if (!text)
		luaL_error(L, "bpf.load: file '%s': %s", path, strerror(errno ? errno : EIO));
	lua_pushlstring(L, text, *len);
	free(text);
	return lua_tostring(L, -1);
}

static int bpf_load(lua_State *L)
{
	const char *defines[MAX_LIST], *cflags[MAX_LIST + 1];
	const char *src, *name = NULL, *prelude = NULL, *path = NULL;
	char file[512], objname[64];
	size_t len;
	int line = 1;

	lua_settop(L, 1);
	lua_newtable(L);                                   /* arg keep: strings to keep alive */
	int keep = 2;
	defines[0] = cflags[0] = NULL;
	if (lua_type(L, 1) == LUA_TTABLE) {
		check_load_options(L, 1);
		int has_src = lua_getfield(L, 1, "src") != LUA_TNIL;
		if (lua_getfield(L, 1, "file") != LUA_TNIL) {
			if (has_src)
				return luaL_error(L, "bpf.load: give 'src' or 'file', not both");
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "bpf.load: 'file' (a .bpf.c or .bpf.o path) must be a string, got %s",
						  luaL_typename(L, -1));
			path = lua_tostring(L, -1);
			src = load_file(L, path, &len);
		} else {
			lua_pop(L, 1);
			if (lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "bpf.load: 'src' (the C source) must be a string, got %s",
						  luaL_typename(L, -1));
			src = lua_tolstring(L, -1, &len);
		}
		if (lua_getfield(L, 1, "name") != LUA_TNIL)
			name = luaL_checkstring(L, -1);
		collect_list(L, 1, "defines", true, defines, keep);
		/* A file's folder first on the include path, as its own build has it. */
		const char *slash = path ? strrchr(path, '/') : NULL;
		if (path) {
			if (slash)
				lua_pushlstring(L, path, slash == path ? 1 : (size_t)(slash - path));
			else
				lua_pushliteral(L, ".");
			lua_pushfstring(L, "-I%s", lua_tostring(L, -1));
			lua_remove(L, -2);
			cflags[0] = lua_tostring(L, -1);
			lua_rawseti(L, keep, (lua_Integer)luaL_len(L, keep) + 1); /* keep it alive */
		}
		collect_list(L, 1, "cflags", false, cflags + (path ? 1 : 0), keep);
		prelude = collect_filters(L, 1, keep);
	} else {
		src = luaL_checklstring(L, 1, &len);
	}

	bool is_object = path && is_elf(src, len);
	if (is_object && (defines[0] || cflags[1] || prelude))
		return luaL_error(L, "bpf.load: file '%s' is a compiled object: defines, cflags and "
				  "filters do not apply to it", path);
	if (path) {
		/* Diagnostics and verifier messages name x.bpf.c:LINE. */
		snprintf(file, sizeof(file), "%s", path);
	} else {
		snippet_origin(L, src, len, file, sizeof(file), &line);
	}
	if (!name) {
		/* Object names show in bpftool; keep them short and telling. */
		const char *base = strrchr(file, '/');
		base = base ? base + 1 : file;
		if (path)
			snprintf(objname, sizeof(objname), "%.*s", (int)strcspn(base, "."), base);
		else
			snprintf(objname, sizeof(objname), "%.*s_%d", (int)strcspn(base, ".: "),
				 base, line);
		name = objname;
	}

	struct pl_compile_opts copts = {
		.filename = file, .first_line = line, .defines = defines, .cflags = cflags,
		.prelude = prelude,
	};
	struct pl_load_opts lopts = { .name = name, .source_file = is_object ? NULL : file };
	char *msg = NULL;
	int top = lua_gettop(L);
	int err = compile_and_load(L, src, len, is_object, &copts, &lopts, &msg);
	if (err && !is_object && worth_v2(msg, cflags)) {
		const char *v2[MAX_LIST + 2];
		size_t n = 0;
		char *v2msg = NULL;

		while (cflags[n]) {
			v2[n] = cflags[n];
			n++;
		}
		v2[n++] = "-mcpu=v2";
		v2[n] = NULL;
		copts.cflags = v2;
		struct bpf_object **first = lua_touserdata(L, -1);
		if (lua_gettop(L) > top && first && *first) {
			bpf_object__close(*first);
			*first = NULL;
		}
		lua_settop(L, top);
		pl_log(PL_LOG_INFO, "program %s: rejected as -mcpu=v3, trying -mcpu=v2 (%s)",
		       name, msg);
		if (!compile_and_load(L, src, len, false, &copts, &lopts, &v2msg)) {
			pl_log(PL_LOG_INFO, "program %s: loaded as -mcpu=v2", name);
			free(msg);
			msg = NULL;
			err = 0;
		}
		free(v2msg);
	}
	if (err) {
		/* The script's line of this bpf.load, as luaL_error names it,
		 * unless the message already names a line of the snippet or
		 * file itself (a verifier rejection at script.lua:LINE). */
		const char *m = msg ? msg : strerror(-err);
		size_t flen = strlen(file);
		if (!is_object && !strncmp(m, file, flen) && m[flen] == ':') {
			lua_pushstring(L, m);
		} else {
			luaL_where(L, 1);
			lua_pushfstring(L, "%sbpf.load: %s", lua_tostring(L, -1), m);
		}
		free(msg);
		return lua_error(L);                       /* the guard closes the object */
	}
	struct bpf_object **guard = lua_touserdata(L, -1);
	struct bpf_object *obj = *guard;
	*guard = NULL;
	pl_lua_push_program(L, obj, name);
	pl_lua_symbols_loaded(L, -1);                      /* <pktlua/stack.h>'s exit hook */
	return 1;
}

/* ---- timers ------------------------------------------------------------------ */

struct pl_lua_timer {
	int id;                /* loop source id; 0 once cancelled or fired (after) */
	bool once;
};

static void timer_fired(void *ctx, int id)
{
	struct module *st = ctx;
	lua_State *L = *st->thread;

	lua_rawgeti(L, LUA_REGISTRYINDEX, st->timers_ref); /* timers */
	if (lua_rawgeti(L, -1, id) == LUA_TNIL) {          /* timers timer */
		lua_pop(L, 2);
		return;
	}
	struct pl_lua_timer *t = lua_touserdata(L, -1);
	if (t->once) {
		/* The loop already dropped its source; forget it here too. */
		t->id = 0;
		lua_pushnil(L);
		lua_rawseti(L, -3, id);
	}
	lua_getiuservalue(L, -1, 1);                       /* timers timer fn */
	if (pl_lua_docall(L, 0, 0) != LUA_OK)
		pl_lua_callback_failed(L);                 /* pops the message */
	lua_pop(L, 2);
}

static void timer_forget(lua_State *L, struct pl_lua_timer *t)
{
	struct module *st = get_module(L);

	if (t->id <= 0)
		return;
	pl_loop__remove(st->loop, t->id);
	lua_rawgeti(L, LUA_REGISTRYINDEX, st->timers_ref);
	lua_pushnil(L);
	lua_rawseti(L, -2, t->id);
	lua_pop(L, 1);
	t->id = 0;
}

static int add_timer(lua_State *L, double first, double interval)
{
	struct module *st = get_module(L);

	luaL_checktype(L, 2, LUA_TFUNCTION);
	struct pl_lua_timer *t = lua_newuserdatauv(L, sizeof(*t), 1); /* s fn timer */
	t->id = 0;
	t->once = interval == 0;
	luaL_setmetatable(L, PL_TIMER_MT);
	lua_pushvalue(L, 2);
	lua_setiuservalue(L, -2, 1);                       /* timer holds fn */
	int id = pl_loop__add_timer(st->loop, first, interval, timer_fired, st);
	if (id < 0)
		return luaL_error(L, "timer: %s", strerror(-id));
	t->id = id;
	lua_rawgeti(L, LUA_REGISTRYINDEX, st->timers_ref); /* s fn timer timers */
	lua_pushvalue(L, -2);
	lua_rawseti(L, -2, id);                            /* timers[id] = timer */
	lua_pop(L, 1);
	return 1;
}

static double check_seconds(lua_State *L, int idx)
{
	double s = luaL_checknumber(L, idx);

	luaL_argcheck(L, s >= 0 && s < 1e9, idx, "seconds must be >= 0");
	return s;
}

/* bpf.every(seconds, fn): call fn every so many seconds while the loop runs. */
static int bpf_every(lua_State *L)
{
	double s = check_seconds(L, 1);

	luaL_argcheck(L, s > 0, 1, "interval must be > 0");
	return add_timer(L, s, s);
}

/* bpf.after(seconds, fn): call fn once. */
static int bpf_after(lua_State *L)
{
	return add_timer(L, check_seconds(L, 1), 0);
}

static int timer_cancel(lua_State *L)
{
	timer_forget(L, luaL_checkudata(L, 1, PL_TIMER_MT));
	return 0;
}

/* ---- run / stop / at_exit ------------------------------------------------- */

/* bpf.run([seconds]): run the event loop until bpf.stop(), Ctrl-C/SIGTERM or
 * the time limit. Returns "stopped", "timeout" or "signal". An error raised
 * in a callback ends the loop and is raised again here.
 *
 * With --pcap FILE and programs bound to it, the first run replays the whole
 * capture instead (the time limit does not cut it short) and returns "eof"
 * at its end; later runs without a time limit return "eof" at once. */
static int bpf_run(lua_State *L)
{
	struct module *st = get_module(L);
	double timeout = lua_isnoneornil(L, 1) ? -1 : check_seconds(L, 1);

	if (pl_lua_in_loop(L))
		return luaL_error(L, "bpf.run: called inside a callback of the running loop "
				  "(bpf.on, bpf.every, bpf.after): return from the callback instead, "
				  "or call bpf.stop()");
	if (pl_lua_take_callback_error(L))
		return lua_error(L);   /* raised once: a caught error lets the loop run again */
	char err[512];
	if (st->drop_caps_at_run) {
		st->drop_caps_at_run = false;
		if (!pl_caps_dropped() && pl_caps_drop_all(err, sizeof(err)))
			return luaL_error(L, "--drop-caps: %s", err);
		pl_log(PL_LOG_INFO, "capabilities dropped (--drop-caps)");
	}
	lua_State *outer = pl_lua_loop_enter(L);
	/* --pcap: the first run replays the capture through the programs bound
	 * to it (the loop turns between chunks of packets). */
	enum pl_offline_end off = pl_lua_offline_run(st->loop, timeout, err, sizeof(err));
	enum pl_loop_end end = off == PL_OFFLINE_SIGNAL ? PL_LOOP_SIGNAL : PL_LOOP_STOPPED;
	if (off == PL_OFFLINE_NONE)
		end = pl_loop__run(st->loop, timeout);
	/* Records still buffered when the loop ends (stop, signal, timeout)
	 * belong to this run: hand them to their callbacks before returning. */
	if (!pl_lua_callback_pending(L))
		pl_lua_events_drain(L);
	pl_lua_loop_leave(L, outer);
	if (pl_lua_take_callback_error(L))
		return lua_error(L);
	if (off == PL_OFFLINE_ERROR)
		return luaL_error(L, "bpf.run: replay of %s: %s", pl_lua_offline_file(), err);
	if (off == PL_OFFLINE_EOF) {
		lua_pushliteral(L, "eof");
		return 1;
	}
	switch (end) {
	case PL_LOOP_STOPPED: lua_pushliteral(L, "stopped"); break;
	case PL_LOOP_TIMEOUT: lua_pushliteral(L, "timeout"); break;
	case PL_LOOP_SIGNAL: lua_pushliteral(L, "signal"); break;
	default: return luaL_error(L, "bpf.run: event loop failed: %s", strerror(errno));
	}
	return 1;
}

static int bpf_stop(lua_State *L)
{
	pl_loop__stop(pl_lua_loop(L));
	return 0;
}

/* bpf.at_exit(fn): run fn when the script ends normally, on bpf.stop() or
 * on Ctrl-C/SIGTERM (before everything is detached). */
static int bpf_at_exit(lua_State *L)
{
	struct module *st = get_module(L);

	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_rawgeti(L, LUA_REGISTRYINDEX, st->exit_ref);
	lua_pushvalue(L, 1);
	lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
	return 0;
}

int pl_lua_run_exit_handlers(lua_State *L)
{
	struct module *st = get_module(L);
	int failed = 0;

	if (!st || st->exit_handlers_ran)
		return 0;
	st->exit_handlers_ran = true;
	lua_rawgeti(L, LUA_REGISTRYINDEX, st->exit_ref);   /* list */
	lua_Integer n = luaL_len(L, -1);
	/* Every handler runs: one that fails does not keep the others from
	 * printing. The first error is the one kept. */
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		if (pl_lua_docall(L, 0, 0) == LUA_OK)
			continue;
		if (pl_lua_is_interrupt(L, -1)) {  /* Ctrl-C in a handler: stop there */
			lua_pop(L, 1);
			break;
		}
		if (failed++) {
			const char *msg = lua_tostring(L, -1);
			pl_log(PL_LOG_ERROR, "%s", msg ? msg : "(error)");
			lua_pop(L, 1);
		} else {
			lua_insert(L, -2);                 /* msg list */
		}
	}
	lua_pop(L, 1);                                     /* [msg] */
	return failed ? -1 : 0;
}

/* bpf.drop_caps(): drop every capability for good, once the script has
 * loaded and attached what it needs. Maps, links, ring and perf buffers
 * keep working through their fds; a later load or attach raises. Twice is
 * fine. */
static int bpf_drop_caps(lua_State *L)
{
	char err[256];

	if (!pl_caps_dropped() && pl_caps_drop_all(err, sizeof(err)))
		return luaL_error(L, "bpf.drop_caps: %s", err);
	return 0;
}

void pl_lua_drop_caps_at_run(lua_State *L)
{
	get_module(L)->drop_caps_at_run = true;
}

/* bpf.pid(): this process's id, for snippets that filter on their own
 * script (defines = {PID = bpf.pid()}). */
static int bpf_pid(lua_State *L)
{
	lua_pushinteger(L, getpid());
	return 1;
}

/* bpf.clock([name]): a clock in nanoseconds. "monotonic" (the default) is
 * what bpf_ktime_get_ns() reads, "boottime" bpf_ktime_get_boot_ns(),
 * "realtime" the wall clock: the difference turns BPF timestamps into
 * dates. */
static int bpf_clock(lua_State *L)
{
	static const char *const names[] = { "monotonic", "realtime", "boottime", NULL };
	static const clockid_t ids[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME };
	struct timespec ts;

	clock_gettime(ids[luaL_checkoption(L, 1, "monotonic", names)], &ts);
	lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000000000 + ts.tv_nsec);
	return 1;
}

static const luaL_Reg bpf_funcs[] = {
	{"after", bpf_after},
	{"at_exit", bpf_at_exit},
	{"clock", bpf_clock},
	{"drop_caps", bpf_drop_caps},
	{"every", bpf_every},
	{"load", bpf_load},
	{"open_pinned", pl_lua_open_pinned},
	{"pid", bpf_pid},
	{"run", bpf_run},
	{"stop", bpf_stop},
	{NULL, NULL},
};

static const luaL_Reg timer_methods[] = {
	{"cancel", timer_cancel},
	{NULL, NULL},
};

static const luaL_Reg timer_meta[] = {
	{"__close", timer_cancel},
	{"__index", NULL},
	{NULL, NULL},
};

int luaopen_pktlua(lua_State *L)
{
	if (!get_module(L)) {
		struct module *st = lua_newuserdatauv(L, sizeof(*st), 0);
		memset(st, 0, sizeof(*st));
		st->loop = pl_lua_loop(L);
		st->thread = pl_lua_callback_thread(L);
		lua_newtable(L);
		st->timers_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		lua_newtable(L);
		st->exit_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		lua_setfield(L, LUA_REGISTRYINDEX, MODULE_KEY);

		luaL_newmetatable(L, PL_TIMER_MT);
		luaL_setfuncs(L, timer_meta, 0);
		luaL_newlib(L, timer_methods);
		lua_setfield(L, -2, "__index");
		lua_pop(L, 1);
		pl_lua_open_program(L);
		pl_lua_open_map(L);
		luaL_newmetatable(L, OPENING_MT);
		lua_pushcfunction(L, opening_gc);
		lua_setfield(L, -2, "__gc");
		lua_pop(L, 1);
	}
	luaL_newlib(L, bpf_funcs);
	pl_lua_events_register(L);
	pl_lua_symbols_register(L);
	lua_pushliteral(L, PKTLUA_VERSION);
	lua_setfield(L, -2, "version");
	return 1;
}
