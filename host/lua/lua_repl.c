/* lua_repl.c — pktlua -i: a Lua prompt in the state of the run, so
 * bpf.load, maps and bpf.run work line by line (after Lua's lua.c doREPL).
 *
 * On a terminal, libedit gives line editing and history (~/.pktlua_history);
 * otherwise lines are read plainly, without prompts, so tests and scripts
 * can pipe input in. End of input (Ctrl-D) ends the prompt; the run then
 * ends as a script would (exit handlers, everything detached). */
#include "lua/lua_repl.h"

#include "base/log.h"
#include "events/loop.h"
#include "lua/lua_state.h"

#include <lauxlib.h>
#include <editline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROMPT        "pktlua> "
#define PROMPT_MORE   "    >> "
#define HISTORY_FILE  ".pktlua_history"
#define HISTORY_LINES 1000

struct repl {
	bool tty;
	char history[4096];   /* "" when there is no home to keep it in */
};

/* Sets the global bpf (a convenience of the prompt only: a line's locals
 * die with the line) and returns the printer of a line's results: tables
 * and maps as compact JSON (a Map reads its entries), the rest as print()
 * would. Lua: what is not hot. */
static const char printer_src[] =
	"if bpf == nil then bpf = require 'pktlua' end\n"
	"local json = require 'pktlua.json'\n"
	"return function(...)\n"
	"  local out = {}\n"
	"  for i = 1, select('#', ...) do\n"
	"    local v, ok, s = (select(i, ...)), false, nil\n"
	"    if type(v) == 'table' or type(v) == 'userdata' then ok, s = pcall(json.encode, v) end\n"
	"    out[i] = ok and s or tostring(v)\n"
	"  end\n"
	"  print(table.concat(out, '\\t'))\n"
	"end\n";

/* One line without its newline (malloc'd), or NULL at end of input. */
static char *read_line(struct repl *r, bool first)
{
	if (r->tty) {
		/* Ctrl-C at the prompt is ignored rather than ending the run:
		 * Ctrl-D is the way out. The normal handler is back before the
		 * line runs, so Ctrl-C still interrupts code and bpf.run(). */
		struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_term;
		sigaction(SIGINT, &ign, &old_int);
		sigaction(SIGTERM, &ign, &old_term);
		char *line = readline(first ? PROMPT : PROMPT_MORE);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		return line;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

/* A syntax error at "<eof>" means the chunk goes on on the next line. */
static bool incomplete(lua_State *L, int status)
{
	size_t len;
	const char *msg;

	if (status != LUA_ERRSYNTAX)
		return false;
	msg = lua_tolstring(L, -1, &len);
	return msg && len >= 5 && !strcmp(msg + len - 5, "<eof>");
}

static void remember(struct repl *r, const char *chunk)
{
	if (r->tty && chunk[0])
		add_history(chunk);
}

/* Compile the next chunk: "return LINE" first, so an expression prints its
 * value; else the line, with more lines while it is incomplete. Returns -1
 * at end of input, else a LUA_* status with the function or the error
 * message on the stack. */
static int load_chunk(lua_State *L, struct repl *r)
{
	char *chunk = read_line(r, true);
	int status;

	if (!chunk)
		return -1;
	const char *ret = lua_pushfstring(L, "return %s;", chunk);  /* ret */
	status = luaL_loadbufferx(L, ret, strlen(ret), "=stdin", "t"); /* ret fn|err */
	lua_remove(L, -2);                                            /* fn|err */
	if (status == LUA_OK) {
		remember(r, chunk);
		free(chunk);
		return LUA_OK;
	}
	lua_pop(L, 1);
	for (;;) {
		status = luaL_loadbufferx(L, chunk, strlen(chunk), "=stdin", "t");
		if (!incomplete(L, status))
			break;
		char *more = read_line(r, false);
		if (!more)
			break;              /* end of input: report the error */
		lua_pop(L, 1);
		size_t a = strlen(chunk), b = strlen(more);
		char *joined = realloc(chunk, a + b + 2);
		if (!joined) {
			free(more);
			free(chunk);
			lua_pushliteral(L, "out of memory");
			return LUA_ERRMEM;
		}
		chunk = joined;
		chunk[a] = '\n';
		memcpy(chunk + a + 1, more, b + 1);
		free(more);
	}
	remember(r, chunk);
	free(chunk);
	return status;
}

static void report(lua_State *L)
{
	if (pl_lua_take_interrupt(L, -1)) {
		fputs("interrupted\n", stderr);
	} else {
		const char *msg = lua_tostring(L, -1);
		pl_log(PL_LOG_ERROR, "%s", msg ? msg : "(error object is not a string)");
	}
	lua_pop(L, 1);
}

static void history_open(struct repl *r)
{
	const char *home = getenv("HOME");

	r->history[0] = '\0';
	if (!r->tty)
		return;
	rl_readline_name = "pktlua";
	/* libedit must not install its own SIGINT handler over pktlua's. */
	rl_catch_signals = 0;
	using_history();
	stifle_history(HISTORY_LINES);
	if (home && home[0] &&
	    snprintf(r->history, sizeof(r->history), "%s/%s", home, HISTORY_FILE) <
		    (int)sizeof(r->history))
		read_history(r->history);   /* missing on first use: fine */
	else
		r->history[0] = '\0';
}

void pl_lua_repl(lua_State *L)
{
	struct repl r = { .tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) };
	int status;

	history_open(&r);
	status = luaL_loadbuffer(L, printer_src, sizeof(printer_src) - 1, "=(repl printer)");
	if (status == LUA_OK)
		status = pl_lua_docall(L, 0, 1);                  /* printer */
	if (status != LUA_OK) {
		report(L);
		return;
	}
	int printer = lua_gettop(L);

	while ((status = load_chunk(L, &r)) != -1) {
		/* A Ctrl-C that ended the last bpf.run() ends that run, not the
		 * session: the next line's bpf.run() waits again. */
		pl_loop__clear_signal(pl_lua_loop(L));
		if (status == LUA_OK) {
			int base = lua_gettop(L);                  /* ... fn */
			status = pl_lua_docall(L, 0, LUA_MULTRET); /* ... results */
			int n = lua_gettop(L) - base + 1;
			if (status == LUA_OK && n > 0) {
				lua_pushvalue(L, printer);
				lua_insert(L, base);               /* ... printer results */
				status = pl_lua_docall(L, n, 0);
			}
		}
		if (status != LUA_OK)
			report(L);
		lua_settop(L, printer);
		fflush(stdout);
	}
	if (r.tty) {
		putchar('\n');              /* after the ^D, so the shell prompt starts clean */
		if (r.history[0] && write_history(r.history))
			pl_log(PL_LOG_WARN, "cannot write history to %s", r.history);
	}
	lua_settop(L, printer - 1);
}
