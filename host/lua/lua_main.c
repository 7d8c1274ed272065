/* lua_main.c — the Lua state of one pktlua run: protected main, protected
 * callbacks, signals, and teardown in reverse order (after Lua's lua.c). */
#include "base/log.h"
#include "bpf/perf_release.h"
#include "events/loop.h"
#include "lua/lua_host.h"

#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lua_State *global_L;
static struct pl_loop *global_loop;
static volatile sig_atomic_t interrupted;
/* At the -i prompt a Ctrl-C interrupts the line, even after one ended a
 * bpf.run(): the user is still there, typing. */
static volatile sig_atomic_t prompting;

/* The error value of an interrupt outside the event loop. */
static const char interrupt_marker[] = "interrupted";

static void stop_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	lua_pushlightuserdata(L, (void *)interrupt_marker);
	lua_error(L);
}

/* SIGINT/SIGTERM while Lua code runs outside bpf.run() (the loop reads them
 * from a signalfd itself): interrupt the script at the next instruction, as
 * lua.c does. A second signal, or one after the loop already ended by a
 * signal, exits at once: every attachment is an fd or a link, so the kernel
 * detaches them as the process goes. */
static void on_signal(int sig)
{
	if (interrupted || (!prompting && global_loop && pl_loop__signal(global_loop)))
		_exit(128 + sig);
	interrupted = sig;
	lua_sethook(global_L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

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

static void push_args(lua_State *L, const struct pl_cli *cli)
{
	/* arg[0] is the script, arg[1..] its arguments, arg[-n..-1] what came
	 * before it on the command line, as with lua(1). */
	lua_createtable(L, cli->script_argc, cli->script_index + 1);
	for (int i = 0; i < cli->argc; i++) {
		lua_pushstring(L, cli->argv[i]);
		lua_rawseti(L, -2, i - cli->script_index);
	}
	lua_setglobal(L, "arg");
}

static int report(lua_State *L, int status)
{
	if (status == LUA_OK)
		return 0;
	if (lua_touserdata(L, -1) == interrupt_marker) {
		lua_pop(L, 1);
		return 0;
	}
	const char *msg = lua_tostring(L, -1);
	pl_log(PL_LOG_ERROR, "%s", msg ? msg : "(error object is not a string)");
	lua_pop(L, 1);
	return 1;
}

bool pl_lua_take_interrupt(lua_State *L, int idx)
{
	if (lua_touserdata(L, idx) != interrupt_marker)
		return false;
	/* The prompt goes on: a later Ctrl-C interrupts again, not _exit. */
	interrupted = 0;
	return true;
}

/* Everything that may raise runs in here, under lua_pcall. */
static int pmain(lua_State *L)
{
	const struct pl_cli *cli = lua_touserdata(L, 1);

	luaL_openlibs(L);
	pl_lua_preload_stdlib(L);
	luaL_requiref(L, "pktlua", luaopen_pktlua, 0);      /* pktlua */
	/* --json: stdlib printers (pktlua.hist, ...) and scripts check
	 * bpf.output to choose JSON lines over text. */
	lua_pushstring(L, cli->json ? "json" : "text");
	lua_setfield(L, -2, "output");
	lua_pop(L, 1);
	global_loop = pl_lua_loop(L);
	if (cli->pcap)
		pl_lua_offline_open(L, cli->pcap);      /* raises naming the file */
	push_args(L, cli);

	int status = LUA_OK;
	if (cli->code) {
		status = luaL_loadbuffer(L, cli->code, strlen(cli->code), "=(command line)");
		if (status == LUA_OK)
			status = pl_lua_docall(L, 0, 0);
	} else if (cli->script) {
		status = luaL_loadfile(L, cli->script);
		if (status == LUA_OK) {
			luaL_checkstack(L, cli->script_argc + 1, "too many arguments to script");
			for (int i = 0; i < cli->script_argc; i++)
				lua_pushstring(L, cli->script_argv[i]);
			status = pl_lua_docall(L, cli->script_argc, 0);
		}
	}
	if (status != LUA_OK && lua_touserdata(L, -1) != interrupt_marker)
		return lua_error(L);
	if (status != LUA_OK)
		lua_pop(L, 1);
	if (cli->interactive && status == LUA_OK && !interrupted) {
		prompting = 1;
		pl_lua_repl(L);
		prompting = 0;
	}
	/* Normal end, bpf.stop() or Ctrl-C: the script's exit handlers run while
	 * everything is still attached (they typically print the maps). */
	if (pl_lua_run_exit_handlers(L))
		return lua_error(L);
	lua_pushboolean(L, interrupted != 0);
	return 1;
}

int pl_lua_main(const struct pl_cli *cli)
{
	lua_State *L = luaL_newstate();

	if (!L) {
		pl_log(PL_LOG_ERROR, "cannot create the Lua state: out of memory");
		return 1;
	}
	global_L = L;
	install_signals();
	lua_pushcfunction(L, pmain);
	lua_pushlightuserdata(L, (void *)cli);
	int status = lua_pcall(L, 1, 1, 0);
	int rc = report(L, status);
	if (status == LUA_OK && lua_toboolean(L, -1))
		rc = 128 + interrupted;
	/* Detach and unload in reverse order, then free the state (its loop).
	 * The kernel's release of the emptied perf events goes to a helper
	 * that outlives us (perf_release.h): the programs are detached and
	 * unloaded here, but the exit does not wait for RCU grace periods. */
	int deferred = pl_perf_release_defer(NULL);
	if (deferred < 0)
		pl_log(PL_LOG_DEBUG, "perf events released in place: %s", strerror(-deferred));
	pl_lua_close_programs(L);
	global_loop = NULL;
	lua_close(L);
	global_L = NULL;
	return rc;
}
