/* loop.c — epoll over fds, timerfds and an eventfd that signals wake. */
#include "events/loop.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum source_kind { SRC_FD, SRC_TIMER };

struct source {
	int id;              /* 0: free slot */
	enum source_kind kind;
	int fd;              /* the watched fd, or our timerfd */
	bool once;
	pl_loop_cb cb;
	void *ctx;
};

struct pl_loop {
	int epfd;
	int wakefd;          /* eventfd: pl_loop__post_signal() wakes the wait */
	struct source *src;
	int nsrc, cap;
	int next_id;
	bool stop;
	bool more;           /* a source has work left: do not sleep */
	volatile sig_atomic_t signal;   /* the signal that ended a run; sticky */
	int idle_ms;
	pl_loop_cb idle;
	void *idle_ctx;
};

#define WAKE_TAG 0       /* epoll tag of the eventfd; sources have ids > 0 */

struct pl_loop *pl_loop__new(void)
{
	struct pl_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->wakefd = -1;
	loop->next_id = 1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		goto err;
	loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->wakefd < 0)
		goto err;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_TAG };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev))
		goto err;
	return loop;
err:
	pl_loop__free(loop);
	return NULL;
}

void pl_loop__free(struct pl_loop *loop)
{
	if (!loop)
		return;
	for (int i = 0; i < loop->nsrc; i++)
		if (loop->src[i].id && loop->src[i].kind == SRC_TIMER)
			close(loop->src[i].fd);
	free(loop->src);
	if (loop->wakefd >= 0)
		close(loop->wakefd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	free(loop);
}

static struct source *find(struct pl_loop *loop, int id)
{
	for (int i = 0; i < loop->nsrc; i++)
		if (loop->src[i].id == id)
			return &loop->src[i];
	return NULL;
}

static int add_source(struct pl_loop *loop, enum source_kind kind, int fd, bool once,
		      pl_loop_cb cb, void *ctx)
{
	struct source *s = find(loop, 0);

	if (!s) {
		if (loop->nsrc == loop->cap) {
			int cap = loop->cap ? loop->cap * 2 : 8;
			struct source *n = realloc(loop->src, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			loop->src = n;
			loop->cap = cap;
		}
		s = &loop->src[loop->nsrc++];
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = loop->next_id };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		s->id = 0;
		return -errno;
	}
	*s = (struct source){ .id = loop->next_id++, .kind = kind, .fd = fd,
			      .once = once, .cb = cb, .ctx = ctx };
	return s->id;
}

int pl_loop__add_fd(struct pl_loop *loop, int fd, pl_loop_cb cb, void *ctx)
{
	return add_source(loop, SRC_FD, fd, false, cb, ctx);
}

static struct timespec to_timespec(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s };

	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	return ts;
}

int pl_loop__add_timer(struct pl_loop *loop, double first, double interval,
		       pl_loop_cb cb, void *ctx)
{
	if (!(first >= 0) || !(interval >= 0) || isinf(first) || isinf(interval))
		return -EINVAL;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* An all-zero it_value disarms a timerfd: "now" is 1 ns. */
	struct itimerspec its = { .it_value = to_timespec(first),
				  .it_interval = to_timespec(interval) };
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	int id = timerfd_settime(fd, 0, &its, NULL) ? -errno
		 : add_source(loop, SRC_TIMER, fd, interval == 0, cb, ctx);
	if (id < 0)
		close(fd);
	return id;
}

void pl_loop__remove(struct pl_loop *loop, int id)
{
	struct source *s = id > 0 ? find(loop, id) : NULL;

	if (!s)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	if (s->kind == SRC_TIMER)
		close(s->fd);
	s->id = 0;
}

void pl_loop__stop(struct pl_loop *loop)
{
	loop->stop = true;
}

void pl_loop__more(struct pl_loop *loop)
{
	loop->more = true;
}

void pl_loop__post_signal(struct pl_loop *loop, int sig)
{
	uint64_t one = 1;
	int saved = errno;

	if (!loop->signal)
		loop->signal = sig;
	(void)!write(loop->wakefd, &one, sizeof(one));  /* full: the loop is awake */
	errno = saved;
}

void pl_loop__set_idle(struct pl_loop *loop, int period_ms, pl_loop_cb idle, void *ctx)
{
	loop->idle_ms = period_ms;
	loop->idle = idle;
	loop->idle_ctx = ctx;
}

int pl_loop__signal(const struct pl_loop *loop)
{
	return loop->signal;
}

void pl_loop__clear_signal(struct pl_loop *loop)
{
	loop->signal = 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void dispatch(struct pl_loop *loop, int id)
{
	struct source *s = find(loop, id);

	if (!s)
		return; /* removed by an earlier callback of this batch */
	if (s->kind == SRC_TIMER) {
		uint64_t expirations;
		if (read(s->fd, &expirations, sizeof(expirations)) < 0)
			return; /* spurious wakeup: EAGAIN */
	}
	pl_loop_cb cb = s->cb;
	void *ctx = s->ctx;
	if (s->once)
		pl_loop__remove(loop, id);
	cb(ctx, id);
}

enum pl_loop_end pl_loop__run(struct pl_loop *loop, double timeout)
{
	double deadline = timeout >= 0 ? now() + timeout : -1;
	enum pl_loop_end end = PL_LOOP_STOPPED;
	struct epoll_event evs[32];

	if (loop->signal)
		return PL_LOOP_SIGNAL;
	loop->stop = false;
	for (;;) {
		if (loop->signal) {
			end = PL_LOOP_SIGNAL;
			break;
		}
		if (loop->stop) {
			end = PL_LOOP_STOPPED;
			break;
		}
		int wait_ms = -1;
		if (deadline >= 0) {
			double left = deadline - now();
			if (left <= 0) {
				end = PL_LOOP_TIMEOUT;
				break;
			}
			wait_ms = (int)ceil(left * 1000);
		}
		if (loop->idle_ms > 0 && (wait_ms < 0 || wait_ms > loop->idle_ms))
			wait_ms = loop->idle_ms;
		if (loop->more)
			wait_ms = 0;
		loop->more = false;
		int n = epoll_wait(loop->epfd, evs, sizeof(evs) / sizeof(evs[0]), wait_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;     /* a signal: its handler posted it, or not ours */
			end = PL_LOOP_ERROR;
			break;
		}
		for (int i = 0; i < n && !loop->signal && !loop->stop; i++) {
			int id = (int)evs[i].data.u64;
			if (id == WAKE_TAG) {
				uint64_t v;
				(void)!read(loop->wakefd, &v, sizeof(v));
				continue;
			}
			dispatch(loop, id);
		}
		if (loop->signal || loop->stop)
			continue;
		if (loop->idle && loop->idle_ms > 0)
			loop->idle(loop->idle_ctx, 0);
	}
	return end;
}
