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

static void raise_sigint(void *ctx, int id)
{
	(void)ctx;
	(void)id;
	kill(getpid(), SIGINT);
}

static void sigint_ends_the_loop(void)
{
	struct pl_loop *loop = pl_loop__new();

	CHECK(pl_loop__add_timer(loop, 0.01, 0, raise_sigint, NULL) > 0);
	CHECK(pl_loop__run(loop, 5) == PL_LOOP_SIGNAL);
	CHECK(pl_loop__signal(loop) == SIGINT);
	/* The user asked to end: later runs return at once. */
	CHECK(pl_loop__run(loop, 5) == PL_LOOP_SIGNAL);
	pl_loop__free(loop);
}

int main(void)
{
	RUN(periodic_and_stop);
	RUN(one_shot_and_timeout);
	RUN(remove_from_callback);
	RUN(fd_readable);
	RUN(sigint_ends_the_loop);
	return pl_test_summary();
}
