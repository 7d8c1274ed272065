/* lua_state.h — the run's Lua-side state, owned by lua_state.c: the one event
 * loop, the thread that loop callbacks run on, protected calls with their
 * message handler, the error of a failed callback, and SIGINT/SIGTERM
 * outside the loop.
 *
 * Every other binding calls into this file and this file calls none of
 * them: the state is created on first use (by whichever binding asks
 * first) and freed with the Lua state. */
#ifndef PKTLUA_LUA_STATE_H
#define PKTLUA_LUA_STATE_H

#include <lua.h>
#include <stdbool.h>

struct pl_loop;

/* The state's one event loop (created on first use; raises if it cannot
 * be). Valid until lua_close. */
struct pl_loop *pl_lua_loop(lua_State *L);

/* Where loop callbacks run: the thread that called bpf.run. The pointer is
 * the state's own field, valid for the state's life (read it per call). */
lua_State *const *pl_lua_callback_thread(lua_State *L);
/* bpf.run on thread L: callbacks run on L until the matching leave, which
 * restores the previous thread (and removes the hook a signal set to
 * interrupt a callback). Runs do not nest: see pl_lua_in_loop. */
lua_State *pl_lua_loop_enter(lua_State *L);
void pl_lua_loop_leave(lua_State *L, lua_State *outer);
/* Is bpf.run running (are we inside one of its callbacks)? */
bool pl_lua_in_loop(lua_State *L);

/* Call the function below NARG arguments on the stack, with a traceback
 * handler. Returns a LUA_* status; on error the message (with traceback)
 * is on the stack. */
int pl_lua_docall(lua_State *L, int narg, int nres);

/* A callback raised an error: remember it (the message is on the stack and
 * is popped), stop the loop; bpf.run() re-raises it. An interrupt (a
 * signal stopped the callback) is popped and forgotten: the loop ends by
 * the signal. */
void pl_lua_callback_failed(lua_State *L);
/* Did a callback fail since the last take? */
bool pl_lua_callback_pending(lua_State *L);
/* Push the failed callback's error and forget it (raised once: a script
 * that catches it may run the loop again). Returns false, pushing nothing,
 * when no callback failed. */
bool pl_lua_take_callback_error(lua_State *L);

/* SIGINT/SIGTERM (and the first SIGPIPE): outside the loop they interrupt
 * the script at its next instruction (as lua.c does); while it runs, they
 * end the loop and interrupt the callback that runs (a Lua hook). A second
 * one exits at once. Call once, for the main state. */
void pl_lua_signals_install(lua_State *L);
/* Is the error value at IDX such an interrupt? */
bool pl_lua_is_interrupt(lua_State *L, int idx);
/* Raise an interrupt (a C function that saw pl_interrupt_pending()). */
int pl_lua_raise_interrupt(lua_State *L);
/* Did stdout's reader go away (SIGPIPE)? Then EPIPE is no error. */
bool pl_lua_got_sigpipe(void);
/* The signal that interrupted the script, or 0. */
int pl_lua_interrupted(void);
/* At the -i prompt a Ctrl-C interrupts the line, even after one ended a
 * bpf.run(): the user is still there, typing. */
void pl_lua_set_prompting(bool on);
/* For the prompt: was the error value at IDX an interrupt? Clears it, so
 * the next line runs and a later Ctrl-C interrupts again. */
bool pl_lua_take_interrupt(lua_State *L, int idx);
/* The main state is going away: signals no longer reach it. */
void pl_lua_signals_forget(void);

/* An options table at IDX has only the keys in KNOWN (NULL-terminated):
 * otherwise raise "WHAT: unknown option 'K' (known: a, b, c)", KNOWN in
 * its order. For every binding that takes an options table. */
void pl_lua_check_options(lua_State *L, int idx, const char *what, const char *const known[]);

#endif
