/* lua_state.c — the run's Lua-side state: the event loop, the thread its
 * callbacks run on, protected calls, the failed callback's error, and
 * signals outside the loop (after Lua's lua.c). See lua_state.h. */
#include "lua/lua_state.h"

#include "base/log.h"
#include "events/loop.h"

#include <errno.h>
#include <lauxlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define STATE_KEY "pktlua.state"   /* registry: the struct lua_state userdata */

struct lua_state {
	struct pl_loop *loop;
	lua_State *L;         /* the thread that called bpf.run: callbacks run on it */
	bool callback_failed;
	int error_ref;        /* registry ref of the failed callback's message */
};

/* The main state and its loop, for the signal handler. */
static lua_State *signal_L;
static struct pl_loop *signal_loop;
static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t prompting;

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

lua_State *pl_lua_loop_enter(lua_State *L)
{
	struct lua_state *st = get_state(L);
	lua_State *outer = st->L;

	st->L = L;
	return outer;
}

void pl_lua_loop_leave(lua_State *L, lua_State *outer)
{
	get_state(L)->L = outer;
}

/* ---- protected calls --------------------------------------------------------- */

/* Message handler: the message, plus a traceback when the error was raised
 * by Lua code (a callback's bug) or at -v. Errors that pktlua's C functions
 * raise already name the script line and say why; a traceback of C frames
 * would only bury that. */
static int msghandler(lua_State *L)
{
	lua_Debug ar;

	if (lua_touserdata(L, 1) == interrupt_marker)
		return 1;
	const char *msg = lua_tostring(L, 1);
	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			return 1;
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
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
	int status = lua_pcall(L, narg, nres, base);
	lua_remove(L, base);
	return status;
}

void pl_lua_callback_failed(lua_State *L)
{
	struct lua_state *st = get_state(L);

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

static void stop_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	lua_pushlightuserdata(L, (void *)interrupt_marker);
	lua_error(L);
}

/* Interrupt the script at the next instruction, as lua.c does. A second
 * signal, or one after the loop already ended by a signal, exits at once:
 * every attachment is an fd or a link, so the kernel detaches them as the
 * process goes. */
static void on_signal(int sig)
{
	if (interrupted || (!prompting && signal_loop && pl_loop__signal(signal_loop)))
		_exit(128 + sig);
	interrupted = sig;
	if (signal_L)
		lua_sethook(signal_L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

void pl_lua_signals_install(lua_State *L)
{
	struct sigaction sa = { .sa_handler = on_signal };

	signal_L = L;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void pl_lua_signals_forget(void)
{
	signal_loop = NULL;
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
	return true;
}
