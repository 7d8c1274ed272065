/* lua_main.c — one pktlua run: a fresh Lua state, the script under a
 * protected main, the prompt, exit handlers, and teardown in reverse order
 * (after Lua's lua.c). */
#include "lua/lua_main.h"

#include "base/log.h"
#include "base/tools.h"
#include "bpf/perf_release.h"
#include "lua/lua_metrics.h"
#include "lua/lua_offline.h"
#include "lua/lua_pktlua.h"
#include "lua/lua_program.h"
#include "lua/lua_repl.h"
#include "lua/lua_state.h"
#include "lua/lua_stdlib.h"

#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	if (pl_lua_is_interrupt(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	const char *msg = lua_tostring(L, -1);
	pl_log(PL_LOG_ERROR, "%s", msg ? msg : "(error object is not a string)");
	lua_pop(L, 1);
	return 1;
}

/* -t NAME: the installed file of a bundled tool, else its embedded text.
 * arg[0] becomes the file's path (or "NAME.lua"), as if it had been named
 * on the command line. */
static int load_tool(lua_State *L, const char *name)
{
	struct pl_tool t;
	int err = pl_tools__find(name, &t);

	if (err) {
		lua_pushfstring(L, "no tool '%s'%s (pktlua -t lists them)", name,
				err == -EINVAL ? ": a tool's name is letters, digits, '_' and '-'" : "");
		return LUA_ERRFILE;
	}
	lua_getglobal(L, "arg");                           /* arg */
	if (t.path[0])
		lua_pushstring(L, t.path);
	else
		lua_pushfstring(L, "%s.lua", t.name);
	lua_rawseti(L, -2, 0);
	lua_pop(L, 1);
	if (t.path[0])
		return luaL_loadfilex(L, t.path, "t");
	/* As luaL_loadfile does: a first line starting with '#' (#!/usr/bin/env
	 * pktlua) is skipped, its newline kept so line numbers stay right. */
	const char *text = t.text;
	size_t len = t.len;
	if (len && text[0] == '#') {
		const char *nl = memchr(text, '\n', len);
		len = nl ? len - (size_t)(nl - text) : 0;
		text = nl ? nl : text + t.len;
	}
	char chunk[PL_TOOL_NAME_MAX + 8];
	snprintf(chunk, sizeof(chunk), "=%s.lua", t.name);
	return luaL_loadbufferx(L, text, len, chunk, "t");
}

static int stdout_errno;   /* why the first write to stdout failed */

/* print(...), as Lua's own (tostring of each argument, tabs, a newline, a
 * flush), remembering why a write failed: Lua's ignores it. */
static int lua_print(lua_State *L)
{
	int n = lua_gettop(L);

	for (int i = 1; i <= n; i++) {
		size_t len;
		const char *s = luaL_tolstring(L, i, &len);
		if (i > 1)
			fputc('\t', stdout);
		fwrite(s, 1, len, stdout);
		lua_pop(L, 1);
	}
	fputc('\n', stdout);
	errno = 0;
	if ((fflush(stdout) || ferror(stdout)) && !stdout_errno)
		stdout_errno = errno ? errno : EIO;
	return 0;
}

/* Output lost is an error: a full disk or a closed stdout makes the status
 * non-zero (unless it is already), with the reason. A reader that went away
 * (EPIPE, SIGPIPE) is not an error: that is how `pktlua ... | head` ends. */
static int stdout_status(int rc)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	int e = errno ? errno : stdout_errno;
	if (e == EPIPE || pl_lua_got_sigpipe())
		return rc;
	pl_log(PL_LOG_ERROR, "cannot write to stdout: %s", e ? strerror(e) : "output lost");
	return rc ? rc : 1;
}

/* os.exit(code, close): the script ends here, so the bpf.at_exit handlers
 * run first (they would not, with C's exit()), then stdout is checked. */
static int os_exit(lua_State *L)
{
	int status;

	if (lua_isboolean(L, 1))
		status = lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE;
	else
		status = (int)luaL_optinteger(L, 1, EXIT_SUCCESS);
	lua_settop(L, 2);
	if (pl_lua_run_exit_handlers(L)) {
		report(L, LUA_ERRRUN);
		if (!status)
			status = 1;
	}
	lua_pushinteger(L, stdout_status(status));
	lua_replace(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 0);                 /* the original os.exit */
	return 0;
}

static void wrap_os_exit(lua_State *L)
{
	lua_getglobal(L, "os");                            /* os */
	lua_getfield(L, -1, "exit");                       /* os exit */
	lua_pushcclosure(L, os_exit, 1);
	lua_setfield(L, -2, "exit");
	lua_pop(L, 1);
}

/* Everything that may raise runs in here, under lua_pcall. */
static int pmain(lua_State *L)
{
	const struct pl_cli *cli = lua_touserdata(L, 1);

	luaL_openlibs(L);
	pl_lua_text_only(L);
	wrap_os_exit(L);
	lua_register(L, "print", lua_print);
	pl_lua_preload_stdlib(L);
	luaL_requiref(L, "pktlua", luaopen_pktlua, 0);      /* pktlua */
	/* --json: stdlib printers (pktlua.hist, ...) and scripts check
	 * bpf.output to choose JSON lines over text. */
	lua_pushstring(L, cli->json ? "json" : "text");
	lua_setfield(L, -2, "output");
	/* One-liners (-e) and the prompt (-i) have bpf as a global; scripts
	 * require it. */
	if (cli->code || cli->interactive) {
		lua_pushvalue(L, -1);
		lua_setglobal(L, "bpf");
	}
	lua_pop(L, 1);
	if (cli->drop_caps)
		pl_lua_drop_caps_at_run(L);
	if (cli->pcap)
		pl_lua_offline_open(L, cli->pcap);      /* raises naming the file */
	if (cli->metrics)
		pl_lua_metrics_serve_cli(L, cli->metrics); /* raises naming the address */
	push_args(L, cli);

	int status = LUA_OK;
	if (cli->code) {
		status = luaL_loadbufferx(L, cli->code, strlen(cli->code), "=(command line)", "t");
		if (status == LUA_OK)
			status = pl_lua_docall(L, 0, 0);
	} else if (cli->script) {
		status = cli->tool ? load_tool(L, cli->script) : luaL_loadfilex(L, cli->script, "t");
		if (status == LUA_ERRSYNTAX && strstr(lua_tostring(L, -1), "attempt to load a binary chunk")) {
			/* Bytecode is not verified by Lua: a crafted chunk crashes it. */
			lua_pop(L, 1);
			lua_pushfstring(L, "%s: a precompiled (binary) Lua chunk: pktlua runs "
					"scripts as text only", cli->script);
		}
		if (status == LUA_OK) {
			luaL_checkstack(L, cli->script_argc + 1, "too many arguments to script");
			for (int i = 0; i < cli->script_argc; i++)
				lua_pushstring(L, cli->script_argv[i]);
			status = pl_lua_docall(L, cli->script_argc, 0);
		}
	}
	if (status != LUA_OK && !pl_lua_is_interrupt(L, -1)) {
		/* The script failed: its exit handlers still run (they print
		 * what was gathered), then the error is the status. */
		if (pl_lua_run_exit_handlers(L))
			report(L, LUA_ERRRUN);         /* the handler's error, then the script's */
		return lua_error(L);
	}
	if (status != LUA_OK)
		lua_pop(L, 1);
	if (cli->interactive && status == LUA_OK && !pl_lua_interrupted()) {
		pl_lua_set_prompting(true);
		pl_lua_repl(L);
		pl_lua_set_prompting(false);
	}
	/* Normal end, bpf.stop() or Ctrl-C: the script's exit handlers run while
	 * everything is still attached (they typically print the maps). */
	if (pl_lua_run_exit_handlers(L))
		return lua_error(L);
	lua_pushboolean(L, pl_lua_interrupted() != 0);
	return 1;
}

int pl_lua_main(const struct pl_cli *cli)
{
	lua_State *L = luaL_newstate();

	if (!L) {
		pl_log(PL_LOG_ERROR, "cannot create the Lua state: out of memory");
		return 1;
	}
	pl_lua_signals_install(L);
	lua_pushcfunction(L, pmain);
	lua_pushlightuserdata(L, (void *)cli);
	int status = lua_pcall(L, 1, 1, 0);
	int rc = report(L, status);
	if (status == LUA_OK && lua_toboolean(L, -1))
		rc = 128 + pl_lua_interrupted();
	/* Detach and unload in reverse order, then free the state (its loop).
	 * The kernel's release of the emptied perf events goes to a helper
	 * that outlives us (perf_release.h): the programs are detached and
	 * unloaded here, but the exit does not wait for RCU grace periods. */
	int deferred = pl_perf_release_defer(NULL);
	if (deferred < 0)
		pl_log(PL_LOG_DEBUG, "perf events released in place: %s", strerror(-deferred));
	pl_lua_close_programs(L);
	pl_lua_signals_forget();
	lua_close(L);
	return stdout_status(rc);
}
