/* test_loop.c — the event loop: timers, stop, remove, timeouts, signals. */
#include "events/loop.h"
#include "harness.h"

#include <signal.h>
#include <unistd.h>

struct counter {
	struct pl_loop *loop;
	int n, stop_at;
	int remove_id;
};

static void tick(void *ctx, int id)
{
	struct counter *c = ctx;

	(void)id;
	if (++c->n == c->stop_at)
		pl_loop__stop(c->loop);
	if (c->remove_id) {
		pl_loop__remove(c->loop, c->remove_id);
		c->remove_id = 0;
	}
}

static void periodic_and_stop(void)
{
	struct pl_loop *loop = pl_loop__new();
	struct counter c = { .loop = loop, .stop_at = 5 };

	CHECK(loop);
	CHECK(pl_loop__add_timer(loop, 0.005, 0.005, tick, &c) > 0);
	CHECK(pl_loop__run(loop, 5) == PL_LOOP_STOPPED);
	CHECK(c.n == 5);
	pl_loop__free(loop);
}

static void one_shot_and_timeout(void)
{
	struct pl_loop *loop = pl_loop__new();
	struct counter c = { .loop = loop };

	CHECK(pl_loop__add_timer(loop, 0, 0, tick, &c) > 0);
	CHECK(pl_loop__run(loop, 0.05) == PL_LOOP_TIMEOUT);
	CHECK_MSG(c.n == 1, "one-shot fired %d times", c.n);
	CHECK(pl_loop__run(loop, 0.02) == PL_LOOP_TIMEOUT);
	CHECK(c.n == 1);
	pl_loop__free(loop);
}

static void remove_from_callback(void)
{
	struct pl_loop *loop = pl_loop__new();
	struct counter a = { .loop = loop }, b = { .loop = loop };

	int bid = pl_loop__add_timer(loop, 0.01, 0.01, tick, &b);
	a.remove_id = bid;
	CHECK(pl_loop__add_timer(loop, 0.001, 0.01, tick, &a) > 0);
	pl_loop__remove(loop, 12345); /* unknown: ignored */
	CHECK(pl_loop__run(loop, 0.05) == PL_LOOP_TIMEOUT);
	CHECK(a.n >= 3);
	CHECK_MSG(b.n == 0, "removed timer fired %d times", b.n);
	CHECK(pl_loop__add_timer(loop, -1, 0, tick, &a) == -22);
	pl_loop__free(loop);
}

static void fd_readable(void)
{
	struct pl_loop *loop = pl_loop__new();
	struct counter c = { .loop = loop, .stop_at = 1 };
	int p[2];

	CHECK(pipe(p) == 0);
	CHECK(pl_loop__add_fd(loop, p[0], tick, &c) > 0);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK(pl_loop__run(loop, 1) == PL_LOOP_STOPPED);
	CHECK(c.n == 1);
	close(p[0]);
	close(p[1]);
	pl_loop__free(loop);
}

static struct pl_loop *signal_loop;

static void on_sigint(int sig)
{
	pl_loop__post_signal(signal_loop, sig);
}

static void raise_sigint(void *ctx, int id)
{
	(void)ctx;
	(void)id;
	kill(getpid(), SIGINT);
}

/* A busy callback: the signal arrives while it runs, the loop ends after it. */
static void raise_sigint_busy(void *ctx, int id)
{
	struct counter *c = ctx;

	(void)id;
	c->n++;
	kill(getpid(), SIGINT);
	usleep(20000);
}

static void sigint_ends_the_loop(void)
{
	struct pl_loop *loop = pl_loop__new();
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	struct counter c = { 0 };

	signal_loop = loop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, &old);
	CHECK(pl_loop__add_timer(loop, 0.01, 0, raise_sigint, NULL) > 0);
	CHECK(pl_loop__run(loop, 5) == PL_LOOP_SIGNAL);
	CHECK(pl_loop__signal(loop) == SIGINT);
	/* The user asked to end: later runs return at once. */
	CHECK(pl_loop__run(loop, 5) == PL_LOOP_SIGNAL);
	pl_loop__clear_signal(loop);
	/* Posted while a callback is busy: that callback ends, the next
	 * turn does not come. */
	CHECK(pl_loop__add_timer(loop, 0.001, 0.001, raise_sigint_busy, &c) > 0);
	CHECK(pl_loop__run(loop, 5) == PL_LOOP_SIGNAL);
	CHECK_MSG(c.n == 1, "busy callback ran %d times", c.n);
	sigaction(SIGINT, &old, NULL);
	pl_loop__free(loop);
}

static void more_does_not_sleep(void *ctx, int id)
{
	struct counter *c = ctx;

	(void)id;
	if (++c->n < 100)
		pl_loop__more(c->loop);
	else
		pl_loop__stop(c->loop);
}

/* pl_loop__more(): the idle callback runs again at once, not after its
 * period (100 turns of a 1 s period in well under a second). */
static void more_means_no_sleep(void)
{
	struct pl_loop *loop = pl_loop__new();
	struct counter c = { .loop = loop };

	pl_loop__set_idle(loop, 1000, more_does_not_sleep, &c);
	pl_loop__more(loop);
	CHECK(pl_loop__run(loop, 0.5) == PL_LOOP_STOPPED);
	CHECK_MSG(c.n == 100, "idle ran %d times", c.n);
	pl_loop__free(loop);
}

int main(void)
{
	RUN(periodic_and_stop);
	RUN(one_shot_and_timeout);
	RUN(remove_from_callback);
	RUN(fd_readable);
	RUN(sigint_ends_the_loop);
	RUN(more_means_no_sleep);
	return pl_test_summary();
}
