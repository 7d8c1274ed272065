/* loop.h — the one event loop: fds (ring/perf buffers), timers and signals
 * in one epoll.
 *
 * Signals: the loop installs no handler and blocks nothing. The host's
 * SIGINT/SIGTERM handler calls pl_loop__post_signal() (async-signal-safe):
 * the loop wakes (an eventfd in its epoll), ends after the callback that
 * runs now (PL_LOOP_SIGNAL), and the caller can drain buffers and run its
 * exit handlers. A callback that runs long is the handler's to interrupt
 * (pktlua: a Lua hook). Callbacks run inside pl_loop__run(); they may add
 * or remove sources and call pl_loop__stop() or pl_loop__more(). */
#ifndef PKTLUA_LOOP_H
#define PKTLUA_LOOP_H

#include <stdint.h>

struct pl_loop;

typedef void (*pl_loop_cb)(void *ctx, int id);

enum pl_loop_end {
	PL_LOOP_STOPPED,   /* pl_loop__stop() was called */
	PL_LOOP_TIMEOUT,   /* the run's time limit passed */
	PL_LOOP_SIGNAL,    /* SIGINT or SIGTERM */
	PL_LOOP_ERROR,     /* epoll failed (errno set) */
};

struct pl_loop *pl_loop__new(void);
void pl_loop__free(struct pl_loop *loop);

/* Call CB(CTX, id) when FD is readable. Returns the source id (> 0) or -errno. */
int pl_loop__add_fd(struct pl_loop *loop, int fd, pl_loop_cb cb, void *ctx);

/* Call CB after FIRST seconds, then every INTERVAL seconds (0: once; the
 * source removes itself after firing). Returns the source id or -errno. */
int pl_loop__add_timer(struct pl_loop *loop, double first, double interval,
		       pl_loop_cb cb, void *ctx);

/* Remove a source; unknown ids are ignored (a one-shot timer may be gone). */
void pl_loop__remove(struct pl_loop *loop, int id);

/* Run until stopped, a signal, or TIMEOUT seconds (< 0: no limit). After a
 * signal, later runs return PL_LOOP_SIGNAL at once: the user asked to end. */
enum pl_loop_end pl_loop__run(struct pl_loop *loop, double timeout);

/* Ask the running loop to return PL_LOOP_STOPPED after the current callback. */
void pl_loop__stop(struct pl_loop *loop);

/* A source stopped before its work was done (its share of a turn is
 * bounded): the next turn does not sleep, and calls the idle callback,
 * which picks the work up again. Cleared as each turn starts. */
void pl_loop__more(struct pl_loop *loop);

/* From a signal handler (async-signal-safe): end the running loop, or the
 * next one, with PL_LOOP_SIGNAL and SIG as pl_loop__signal(). The first
 * signal sticks. */
void pl_loop__post_signal(struct pl_loop *loop, int sig);

/* A poll period in milliseconds: while > 0, the loop also wakes this often
 * and calls IDLE after every turn (used to poll ring buffers whose
 * producers skip wakeups, and to go on with work pl_loop__more() left). */
void pl_loop__set_idle(struct pl_loop *loop, int period_ms, pl_loop_cb idle, void *ctx);

/* The signal that ended the loop (SIGINT/SIGTERM), or 0. */
int pl_loop__signal(const struct pl_loop *loop);

/* Forget that signal, so later runs wait again (an interactive prompt: a
 * Ctrl-C ends one bpf.run(), not the session). */
void pl_loop__clear_signal(struct pl_loop *loop);

#endif
