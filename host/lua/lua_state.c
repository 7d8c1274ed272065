/* lua_state.c — the run's Lua-side state: the event loop, the thread its
 * callbacks run on, protected calls, the failed callback's error, and
 * signals outside the loop (after Lua's lua.c). See lua_state.h. */
#include "lua/lua_state.h"

#include "base/interrupt.h"
#include "base/log.h"
#include "events/loop.h"

#include <errno.h>
#include <lauxlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATE_KEY "pktlua.state"   /* registry: the struct lua_state userdata */

struct lua_state {
	struct pl_loop *loop;
	lua_State *L;         /* the thread that called bpf.run: callbacks run on it */
	bool running;         /* inside bpf.run */
	bool callback_failed;
	int error_ref;        /* registry ref of the failed callback's message */
};

/* The main state and its loop, for the signal handler; while the loop runs,
 * the thread its callbacks run on. */
static lua_State *signal_L;
static struct pl_loop *signal_loop;
static lua_State *volatile callback_L;
/* Protected calls in progress, and how many there were when the loop
 * started: more means a callback runs now. */
static volatile sig_atomic_t calls, loop_calls;
static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t prompting;
static volatile sig_atomic_t got_sigpipe;
/* A callback running when a signal comes may finish if it does so within
 * CALLBACK_GRACE_NS of the signal (its record is not lost: the loop ends
 * after it, and the records still buffered are handed over); one still
 * running then is interrupted. 0: no grace (outside the loop). */
#define CALLBACK_GRACE_NS 250000000ll
static volatile long long grace_until_ns;

/* The error value of an interrupt outside the event loop. */
static const char interrupt_marker[] = "interrupted";

static int state_gc(lua_State *L)
{
	struct lua_state *st = lua_touserdata(L, 1);

	if (signal_loop == st->loop)
		signal_loop = NULL;
	pl_loop__free(st->loop);
	st->loop = NULL;
	return 0;
}

static struct lua_state *get_state(lua_State *L)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, STATE_KEY) == LUA_TUSERDATA) {
		struct lua_state *st = lua_touserdata(L, -1);
		lua_pop(L, 1);
		return st;
	}
	lua_pop(L, 1);
	struct lua_state *st = lua_newuserdatauv(L, sizeof(*st), 0); /* st */
	memset(st, 0, sizeof(*st));
	st->L = L;
	st->error_ref = LUA_NOREF;
	lua_newtable(L);                           /* __gc frees the loop at lua_close */
	lua_pushcfunction(L, state_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, STATE_KEY);
	st->loop = pl_loop__new();
	if (!st->loop)
		luaL_error(L, "pktlua: cannot create the event loop: %s", strerror(errno));
	if (L == signal_L)
		signal_loop = st->loop;
	return st;
}

struct pl_loop *pl_lua_loop(lua_State *L)
{
	return get_state(L)->loop;
}

lua_State *const *pl_lua_callback_thread(lua_State *L)
{
	return &get_state(L)->L;
}

bool pl_lua_in_loop(lua_State *L)
{
	return get_state(L)->running;
}

static void stop_hook(lua_State *L, lua_Debug *ar);

lua_State *pl_lua_loop_enter(lua_State *L)
{
	struct lua_state *st = get_state(L);
	lua_State *outer = st->L;

	st->L = L;
	st->running = true;
	if (st->loop == signal_loop) {
		loop_calls = calls;
		callback_L = L;
	}
	return outer;
}

void pl_lua_loop_leave(lua_State *L, lua_State *outer)
{
	struct lua_state *st = get_state(L);

	if (st->loop == signal_loop)
		callback_L = NULL;
	/* A signal that came while the loop ran ended it (the loop says so);
	 * its hook, set to interrupt a busy callback, must not fire in the
	 * script that goes on. */
	if (lua_gethook(L) == stop_hook)
		lua_sethook(L, NULL, 0, 0);
	pl_interrupt_clear();
	st->running = false;
	st->L = outer;
}

/* ---- protected calls --------------------------------------------------------- */

/* Where the error was raised: "file:line: " of the innermost Lua function
 * with line information, or "". */
static void push_where(lua_State *L)
{
	lua_Debug ar;

	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
			lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
			return;
		}
	}
	lua_pushliteral(L, "");
}

/* A short text of the value at IDX: strings quoted, tables as {k = v, ...}
 * (one level, at most 8 entries), anything else as tostring gives it. */
static void push_brief(lua_State *L, int idx, bool nested)
{
	idx = lua_absindex(L, idx);
	if (lua_type(L, idx) == LUA_TSTRING) {
		lua_pushfstring(L, "\"%s\"", lua_tostring(L, idx));
		return;
	}
	if (lua_type(L, idx) != LUA_TTABLE || nested || luaL_getmetafield(L, idx, "__tostring")) {
		if (lua_type(L, idx) == LUA_TTABLE && !nested)
			lua_pop(L, 1);                     /* the __tostring field */
		luaL_tolstring(L, idx, NULL);
		return;
	}
	luaL_Buffer b;
	int n = 0;
	luaL_buffinit(L, &b);
	luaL_addchar(&b, '{');
	lua_pushnil(L);
	while (lua_next(L, idx)) {                         /* <buf> k v */
		if (n++ == 8) {
			lua_pop(L, 2);
			luaL_addstring(&b, ", ...");
			break;
		}
		if (n > 1)
			luaL_addstring(&b, ", ");
		if (lua_type(L, -2) == LUA_TSTRING)
			lua_pushvalue(L, -2);
		else {
			luaL_tolstring(L, -2, NULL);
			lua_pushfstring(L, "[%s]", lua_tostring(L, -1));
			lua_remove(L, -2);
		}                                          /* <buf> k v kname */
		push_brief(L, -2, true);                   /* <buf> k v kname vtext */
		lua_pushfstring(L, "%s = %s", lua_tostring(L, -2), lua_tostring(L, -1));
		lua_remove(L, -2);
		lua_remove(L, -2);                         /* <buf> k v text */
		lua_remove(L, -2);                         /* <buf> k text */
		luaL_addvalue(&b);                         /* <buf> k */
	}
	luaL_addchar(&b, '}');
	luaL_pushresult(&b);
}

/* Message handler: the message, plus a traceback when the error was raised
 * by Lua code (a callback's bug) or at -v. Errors that pktlua's C functions
 * raise already name the script line and say why; a traceback of C frames
 * would only bury that. An error object that is not a string (error{code =
 * 42}, error()) is shown with its content and where it was raised. */
static int msghandler(lua_State *L)
{
	lua_Debug ar;

	if (lua_touserdata(L, 1) == interrupt_marker)
		return 1;
	const char *msg = lua_tostring(L, 1);
	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			return 1;
		push_where(L);                             /* where */
		if (lua_isnil(L, 1))
			lua_pushliteral(L, "error object is nil");
		else {
			push_brief(L, 1, false);           /* where brief */
			lua_pushfstring(L, "error object is a %s value: %s", luaL_typename(L, 1),
					lua_tostring(L, -1));
			lua_remove(L, -2);
		}                                          /* where what */
		lua_concat(L, 2);
		msg = lua_tostring(L, -1);
	}
	bool raised_in_c = lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) &&
			   ar.what[0] == 'C';
	if (!raised_in_c || pl_log_get_level() >= PL_LOG_INFO)
		luaL_traceback(L, L, msg, 1);
	return 1;
}

int pl_lua_docall(lua_State *L, int narg, int nres)
{
	int base = lua_gettop(L) - narg;

	lua_pushcfunction(L, msghandler);
	lua_insert(L, base);
	calls++;
	int status = lua_pcall(L, narg, nres, base);
	calls--;
	lua_remove(L, base);
	/* A signal's hook that did not get to fire in the callback (it came
	 * as it returned) must not cut short the next one: the loop ends by
	 * the signal, and records still buffered go to their callbacks. */
	if (callback_L == L && lua_gethook(L) == stop_hook)
		lua_sethook(L, NULL, 0, 0);
	return status;
}

void pl_lua_callback_failed(lua_State *L)
{
	struct lua_state *st = get_state(L);

	if (pl_lua_is_interrupt(L, -1)) {
		/* A signal interrupted the callback: the loop ends by it. */
		lua_pop(L, 1);
		return;
	}
	if (!st->callback_failed) {
		st->callback_failed = true;
		lua_pushvalue(L, -1);
		st->error_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	lua_pop(L, 1);
	pl_loop__stop(st->loop);
}

bool pl_lua_callback_pending(lua_State *L)
{
	return get_state(L)->callback_failed;
}

bool pl_lua_take_callback_error(lua_State *L)
{
	struct lua_state *st = get_state(L);

	if (!st->callback_failed)
		return false;
	lua_rawgeti(L, LUA_REGISTRYINDEX, st->error_ref);
	luaL_unref(L, LUA_REGISTRYINDEX, st->error_ref);
	st->error_ref = LUA_NOREF;
	st->callback_failed = false;
	return true;
}

/* ---- signals outside the loop ------------------------------------------------ */

static long long monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);           /* async-signal-safe */
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void stop_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	if (grace_until_ns && monotonic_ns() < grace_until_ns) {
		/* Within the grace: look again every 1000 instructions. */
		lua_sethook(L, stop_hook, LUA_MASKCOUNT, 1000);
		return;
	}
	lua_sethook(L, NULL, 0, 0);
	lua_pushlightuserdata(L, (void *)interrupt_marker);
	lua_error(L);
}

/* SIGINT/SIGTERM (and a first SIGPIPE). While the loop runs: end it after
 * the callback that runs now, and interrupt that callback if it still runs
 * CALLBACK_GRACE_NS later, whatever it does (a Lua hook, as lua.c does), so
 * Ctrl-C neither waits for a stuck callback nor drops the record a quick
 * one was handling. Outside the
 * loop: interrupt the script at its next instruction. A second signal, or
 * one after the loop already ended by a signal, exits at once: every
 * attachment is an fd or a link, so the kernel detaches them as the
 * process goes. */
static void on_signal(int sig)
{
	int mask = LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT;

	if (interrupted || (!prompting && signal_loop && pl_loop__signal(signal_loop)))
		_exit(128 + sig);
	pl_interrupt_set(sig);
	if (callback_L && signal_loop) {
		pl_loop__post_signal(signal_loop, sig);
		if (calls > loop_calls) {              /* a callback runs: stop it */
			grace_until_ns = monotonic_ns() + CALLBACK_GRACE_NS;
			lua_sethook(callback_L, stop_hook, mask, 1);
		}
		return;
	}
	grace_until_ns = 0;
	interrupted = sig;
	if (signal_L)
		lua_sethook(signal_L, stop_hook, mask, 1);
}

/* The reader of our stdout went away: end as on SIGTERM (exit handlers
 * run), once; later writes fail with EPIPE, which is not an error. */
static void on_sigpipe(int sig)
{
	signal(SIGPIPE, SIG_IGN);
	got_sigpipe = 1;
	if (!interrupted && !(signal_loop && pl_loop__signal(signal_loop)))
		on_signal(sig);
}

void pl_lua_signals_install(lua_State *L)
{
	struct sigaction sa = { .sa_handler = on_signal };

	signal_L = L;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, NULL);
}

bool pl_lua_got_sigpipe(void)
{
	return got_sigpipe;
}

int pl_lua_raise_interrupt(lua_State *L)
{
	lua_pushlightuserdata(L, (void *)interrupt_marker);
	return lua_error(L);
}

void pl_lua_signals_forget(void)
{
	signal_loop = NULL;
	callback_L = NULL;
	signal_L = NULL;
}

bool pl_lua_is_interrupt(lua_State *L, int idx)
{
	return lua_touserdata(L, idx) == interrupt_marker;
}

int pl_lua_interrupted(void)
{
	return interrupted;
}

void pl_lua_set_prompting(bool on)
{
	prompting = on;
}

bool pl_lua_take_interrupt(lua_State *L, int idx)
{
	if (!pl_lua_is_interrupt(L, idx))
		return false;
	interrupted = 0;
	pl_interrupt_clear();
	return true;
}

void pl_lua_check_options(lua_State *L, int idx, const char *what, const char *const known[])
{
	idx = lua_absindex(L, idx);
	lua_pushnil(L);
	while (lua_next(L, idx)) {                         /* ... k v */
		lua_pop(L, 1);
		const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		bool ok = false;
		for (int i = 0; k && known[i]; i++)
			ok |= !strcmp(k, known[i]);
		if (ok)
			continue;
		const char *key = k ? k : luaL_typename(L, -1);
		luaL_Buffer b;
		luaL_buffinit(L, &b);
		for (int i = 0; known[i]; i++) {
			if (i)
				luaL_addstring(&b, ", ");
			luaL_addstring(&b, known[i]);
		}
		luaL_pushresult(&b);
		luaL_error(L, "%s: unknown option '%s' (known: %s)", what, key, lua_tostring(L, -1));
	}
}
