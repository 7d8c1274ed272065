/* test_metrics_server.c — GET /metrics over a real loopback socket, on the
 * event loop: routing (200/404/405, HEAD), content negotiation, bad input
 * (400, 431, 414) with the server going on, a stalled half-request timed out
 * while others are served, 100 concurrent scrapes, a client that does not
 * read while the loop's timers keep firing, a failing render (500), and
 * addresses that cannot be listened on. Clients run in a thread; the main
 * thread runs the loop. No root needed. */
#include "events/loop.h"
#include "metrics/server.h"
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the server side ---------------------------------------------------------- */

struct render_ctx {
	int lines;        /* sample lines to write */
	int fail;         /* -errno to fail with */
	int calls;
	enum pl_expo_format last;
};

static int render(void *ctx, enum pl_expo_format fmt, struct pl_mbuf *out)
{
	struct render_ctx *r = ctx;

	r->calls++;
	r->last = fmt;
	if (r->fail) {
		pl_mbuf__puts(out, "map 'x': the dog ate it");
		return r->fail;
	}
	pl_expo__family(out, fmt, "t_total", "test", PL_METRIC_COUNTER);
	for (int i = 0; i < r->lines; i++)
		pl_mbuf__printf(out, "t_total{i=\"%d\"} %d\n", i, i);
	pl_expo__end(out, fmt);
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the client side (in a thread) ---------------------------------------------- */

struct conn {
	int fd;
	char *resp;
	size_t len, cap;
	bool closed;
};

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Read every connection until the server closes it (or TIMEOUT seconds). */
static void read_all(struct conn *c, int n, double timeout)
{
	double end = now() + timeout;
	struct pollfd *p = calloc((size_t)n, sizeof(*p));

	for (;;) {
		int open = 0;
		for (int i = 0; i < n; i++) {
			p[i].fd = c[i].closed ? -1 : c[i].fd;
			p[i].events = POLLIN;
			open += !c[i].closed;
		}
		double left = end - now();
		if (!open || left <= 0)
			break;
		if (poll(p, (nfds_t)n, (int)(left * 1000) + 1) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (c[i].closed || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (c[i].cap - c[i].len < 65536) {
				c[i].cap = c[i].cap * 2 + 65536;
				c[i].resp = realloc(c[i].resp, c[i].cap + 1);
			}
			ssize_t r = recv(c[i].fd, c[i].resp + c[i].len, c[i].cap - c[i].len, 0);
			if (r <= 0)
				c[i].closed = true;
			else
				c[i].len += (size_t)r;
			c[i].resp[c[i].len] = '\0';
		}
	}
	free(p);
}

struct job {
	int port;
	int efd;                   /* written when the job is done: stops the loop */
	void (*fn)(struct job *);
	/* one-request jobs */
	const char *req;
	size_t reqlen;
	struct conn c;
	/* results of the longer jobs */
	int ok, n;
	double stalled_closed_after, other_served_after;
};

static void *job_thread(void *arg)
{
	struct job *j = arg;
	uint64_t one = 1;

	j->fn(j);
	if (write(j->efd, &one, sizeof(one)) < 0)
		perror("eventfd");
	return NULL;
}

/* The job's eventfd is readable: the job is done. */
static void stop_loop(void *ctx, int id)
{
	(void)id;
	pl_loop__stop(*(struct pl_loop **)ctx);
}

struct fixture {
	struct pl_loop *loop;
	struct pl_metrics_server *srv;
	struct render_ctx r;
};

/* Run JOB in a thread while the loop runs (at most 20 s). */
static void run_job(struct fixture *f, struct job *j)
{
	pthread_t t;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int id = pl_loop__add_fd(f->loop, efd, stop_loop, &f->loop);

	j->port = pl_metrics_server__port(f->srv);
	j->efd = efd;
	pthread_create(&t, NULL, job_thread, j);
	CHECK(pl_loop__run(f->loop, 20) == PL_LOOP_STOPPED);
	pthread_join(t, NULL);
	pl_loop__remove(f->loop, id);
	close(efd);
}

static void one_request(struct job *j)
{
	j->c.fd = connect_to(j->port);
	if (j->c.fd < 0)
		return;
	send_all(j->c.fd, j->req, j->reqlen ? j->reqlen : strlen(j->req));
	read_all(&j->c, 1, 10);
	close(j->c.fd);
}

/* The response to REQ (malloc'd, "" when none). */
static char *ask(struct fixture *f, const char *req, size_t len)
{
	struct job j = { .fn = one_request, .req = req, .reqlen = len };

	run_job(f, &j);
	return j.c.resp ? j.c.resp : calloc(1, 1);
}

static bool setup(struct fixture *f, unsigned timeout_s)
{
	char err[256];
	struct pl_metrics_server_opts o = { .render = render, .ctx = &f->r,
					    .timeout_s = timeout_s };

	memset(f, 0, sizeof(*f));
	f->r.lines = 3;
	f->loop = pl_loop__new();
	f->srv = pl_metrics_server__new("127.0.0.1:0", f->loop, &o, err, sizeof(err));
	CHECK_MSG(f->srv, "%s", err);
	return f->srv != NULL;
}

static void teardown(struct fixture *f)
{
	pl_metrics_server__free(f->srv);
	pl_loop__free(f->loop);
}

/* ---- cases ----------------------------------------------------------------------- */

static void routing(void)
{
	struct fixture f;
	char *r;

	if (!setup(&f, 10))
		return;
	CHECK(strncmp(pl_metrics_server__address(f.srv), "127.0.0.1:", 10) == 0);
	CHECK(pl_metrics_server__port(f.srv) > 0);

	r = ask(&f, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, "HTTP/1.1 200");
	CHECK_STR_CONTAINS(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8");
	CHECK_STR_CONTAINS(r, "\r\n\r\n# HELP t_total test\n# TYPE t_total counter\n"
			      "t_total{i=\"0\"} 0\nt_total{i=\"1\"} 1\nt_total{i=\"2\"} 2\n");
	CHECK(f.r.last == PL_EXPO_TEXT);
	free(r);

	r = ask(&f, "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: "
		    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
		    "\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, "HTTP/1.1 200");
	CHECK_STR_CONTAINS(r, "Content-Type: application/openmetrics-text; version=1.0.0");
	CHECK_STR_CONTAINS(r, "# TYPE t counter\n");
	CHECK_STR_CONTAINS(r, "# EOF\n");
	free(r);

	r = ask(&f, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, "HTTP/1.1 200");
	CHECK(!strstr(r, "# HELP"));
	free(r);

	r = ask(&f, "GET / HTTP/1.0\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, "HTTP/1.1 200");
	CHECK_STR_CONTAINS(r, "<a href=\"/metrics\">");
	free(r);

	r = ask(&f, "GET /metricsx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, "HTTP/1.1 404");
	free(r);
	r = ask(&f, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		    "Connection: close\r\n\r\nhello", 0);
	CHECK_STR_CONTAINS(r, "HTTP/1.1 405");
	CHECK_STR_CONTAINS(r, "Allow: GET, HEAD");
	free(r);
	r = ask(&f, "DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, "HTTP/1.1 405");
	free(r);

	/* Two requests on one keep-alive connection. */
	r = ask(&f, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
		    "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	const char *second = r ? strstr(r + 1, "HTTP/1.1 200") : NULL;
	CHECK(second && strstr(second, "t_total{i=\"2\"} 2"));
	free(r);

	CHECK(pl_metrics__route("GET", "/metrics") == 200);
	CHECK(pl_metrics__route("HEAD", "/metrics?a") == 200);
	CHECK(pl_metrics__route("PUT", "/metrics") == 405);
	CHECK(pl_metrics__route("GET", "/metrics/") == 404);
	CHECK(pl_metrics__route("GET", "") == 404);
	CHECK(pl_metrics__route(NULL, "/metrics") == 404);
	teardown(&f);
}

static void bad_input(void)
{
	struct fixture f;
	char *r;

	if (!setup(&f, 10))
		return;
	/* A request line libmicrohttpd cannot split into method, URL and
	 * version: 0.9.75 closes the connection without an answer (later
	 * versions answer 400). Either way nothing else is sent. */
	const char *junk[] = { "GARBAGE\r\n\r\n", "GET\r\n\r\n", "\x01\x02 \xff\r\n\r\n" };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		r = ask(&f, junk[i], 0);
		CHECK_MSG(!*r || !strncmp(r, "HTTP/1.1 400 ", 13), "%s", r);
		free(r);
	}
	r = ask(&f, "GET /metrics\r\n\r\n", 0);             /* no version */
	CHECK_STR_CONTAINS(r, " 400 ");
	free(r);
	r = ask(&f, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, " 400 ");
	free(r);
	r = ask(&f, "GET /metrics HTTP/1.1\r\n\r\n", 0);     /* HTTP/1.1 without Host */
	CHECK_STR_CONTAINS(r, " 400 ");
	free(r);
	r = ask(&f, "GET /metrics HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, " 400 ");
	free(r);
	r = ask(&f, "GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, " 505 ");
	free(r);

	/* Headers larger than the connection may hold: 431. */
	size_t big = 64 * 1024;
	char *req = malloc(big + 128);
	int n = snprintf(req, 128, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(req + n, 'a', big);
	memcpy(req + n + big, "\r\n\r\n", 5);
	r = ask(&f, req, 0);
	CHECK_STR_CONTAINS(r, " 431 ");
	free(r);
	/* A request line larger than that: 414. */
	n = snprintf(req, 128, "GET /metrics?");
	memset(req + n, 'a', big);
	memcpy(req + n + big, " HTTP/1.1\r\nHost: x\r\n\r\n", 23);
	r = ask(&f, req, 0);
	CHECK_STR_CONTAINS(r, " 414 ");
	free(r);
	/* Binary junk, 4 KB of it. */
	for (size_t i = 0; i < 4096; i++)
		req[i] = (char)(i * 7 + 3);
	r = ask(&f, req, 4096);
	CHECK_MSG(!*r || !strncmp(r, "HTTP/1.1 400 ", 13), "%s", r);
	free(r);
	free(req);

	/* The server goes on. */
	int before = f.r.calls;
	r = ask(&f, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, "HTTP/1.1 200");
	CHECK(f.r.calls == before + 1);
	free(r);

	/* A render that fails: 500 with its message, and the next one works. */
	f.r.fail = -EIO;
	r = ask(&f, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, "HTTP/1.1 500");
	CHECK_STR_CONTAINS(r, "scrape failed: map 'x': the dog ate it");
	free(r);
	f.r.fail = 0;
	r = ask(&f, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0);
	CHECK_STR_CONTAINS(r, "HTTP/1.1 200");
	free(r);
	teardown(&f);
}

/* A client sends half a request and stalls; another is served at once, and
 * the stalled one is closed after the timeout (1 s). */
static void stalled(struct job *j)
{
	struct conn c[2] = { { .fd = connect_to(j->port) }, { .fd = -1 } };
	double t0 = now();

	send_all(c[0].fd, "GET /metr", 9);
	usleep(100 * 1000);
	c[1].fd = connect_to(j->port);
	send_all(c[1].fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 54);
	read_all(&c[1], 1, 10);
	j->other_served_after = now() - t0;
	j->ok = c[1].resp && strstr(c[1].resp, "HTTP/1.1 200") != NULL;
	read_all(&c[0], 1, 10);
	j->stalled_closed_after = now() - t0;
	j->n = c[0].closed;
	for (int i = 0; i < 2; i++) {
		close(c[i].fd);
		free(c[i].resp);
	}
}

static void stalled_client(void)
{
	struct fixture f;
	struct job j = { .fn = stalled };

	if (!setup(&f, 1))
		return;
	run_job(&f, &j);
	CHECK(j.ok);
	CHECK_MSG(j.other_served_after < 0.9, "served after %.3f s", j.other_served_after);
	CHECK(j.n == 1);
	CHECK_MSG(j.stalled_closed_after >= 0.9 && j.stalled_closed_after < 3,
		  "stalled connection closed after %.3f s", j.stalled_closed_after);
	teardown(&f);
}

#define CONCURRENT 128

static void concurrent(struct job *j)
{
	struct conn *c = calloc(CONCURRENT, sizeof(*c));
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

	for (int i = 0; i < CONCURRENT; i++)
		c[i].fd = connect_to(j->port);
	for (int i = 0; i < CONCURRENT; i++)
		if (c[i].fd >= 0)
			send_all(c[i].fd, req, sizeof(req) - 1);
	read_all(c, CONCURRENT, 15);
	for (int i = 0; i < CONCURRENT; i++) {
		const char *body = c[i].resp ? strstr(c[i].resp, "\r\n\r\n") : NULL;
		const char *cl = c[i].resp ? strstr(c[i].resp, "Content-Length: ") : NULL;
		if (c[i].resp && !strncmp(c[i].resp, "HTTP/1.1 200", 12) && body && cl &&
		    strtoul(cl + 16, NULL, 10) == strlen(body + 4) &&
		    strstr(body, "t_total{i=\"3999\"} 3999\n"))
			j->ok++;
		close(c[i].fd);
		free(c[i].resp);
	}
	free(c);
}

static void hundred_concurrent_scrapes(void)
{
	struct fixture f;
	struct job j = { .fn = concurrent };

	if (!setup(&f, 10))
		return;
	f.r.lines = 4000;         /* ~100 KB each: sent in several rounds */
	run_job(&f, &j);
	CHECK_MSG(j.ok == CONCURRENT, "%d of %d scrapes complete", j.ok, CONCURRENT);
	CHECK(f.r.calls == CONCURRENT);
	teardown(&f);
}

/* A client asks for a large exposition and does not read it: the loop's
 * timers keep firing meanwhile, and another scrape is served. */
struct ticks {
	int n;
};

static void tick(void *ctx, int id)
{
	(void)id;
	((struct ticks *)ctx)->n++;
}

static void slow_reader(struct job *j)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct conn c[2] = { { .fd = connect_to(j->port) }, { .fd = connect_to(j->port) } };
	int small = 65536;        /* the 5 MB answer cannot fit in the socket buffers */

	setsockopt(c[0].fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	send_all(c[0].fd, req, sizeof(req) - 1);
	usleep(300 * 1000);       /* not reading: the server's send blocks */
	send_all(c[1].fd, req, sizeof(req) - 1);
	read_all(&c[1], 1, 10);
	j->ok = c[1].resp && strstr(c[1].resp, "HTTP/1.1 200") != NULL;
	read_all(&c[0], 1, 10);   /* now read the first one whole */
	j->n = c[0].resp && strstr(c[0].resp, "t_total{i=\"199999\"} 199999\n") != NULL;
	for (int i = 0; i < 2; i++) {
		close(c[i].fd);
		free(c[i].resp);
	}
}

static void loop_runs_during_scrape(void)
{
	struct fixture f;
	struct job j = { .fn = slow_reader };
	struct ticks t = { 0 };

	if (!setup(&f, 10))
		return;
	f.r.lines = 200000;       /* ~5 MB */
	int id = pl_loop__add_timer(f.loop, 0.01, 0.01, tick, &t);
	run_job(&f, &j);
	pl_loop__remove(f.loop, id);
	CHECK(j.ok);
	CHECK(j.n);
	CHECK_MSG(t.n >= 20, "timer fired %d times in >= 300 ms", t.n);
	teardown(&f);
}

static void cannot_listen(void)
{
	struct render_ctx r = { 0 };
	struct pl_metrics_server_opts o = { .render = render, .ctx = &r };
	char err[256], addr[64];
	struct pl_loop *loop = pl_loop__new();
	struct pl_metrics_server *a = pl_metrics_server__new("127.0.0.1:0", loop, &o, err,
							     sizeof(err));

	CHECK(a);
	if (!a)
		return;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", pl_metrics_server__port(a));
	CHECK(!pl_metrics_server__new(addr, loop, &o, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "cannot listen on 127.0.0.1:");
	CHECK_STR_CONTAINS(err, "Address already in use");
	/* An address of no interface here (198.18.0.0/15 is never local). */
	CHECK(!pl_metrics_server__new("198.19.255.254:0", loop, &o, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "cannot listen on 198.19.255.254:0: Cannot assign requested address");
	const char *bad[] = { "", "nope", "1.2.3.4:", "1.2.3.4:99999", "::1:80", "[::1]80",
			      "127.0.0.1:8x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!pl_metrics_server__new(bad[i], loop, &o, err, sizeof(err)));
		CHECK_STR_CONTAINS(err, "bad address");
	}
	CHECK(!pl_metrics_server__new("no.such.host.invalid:0", loop, &o, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "cannot listen on no.such.host.invalid:0");
	pl_metrics_server__free(a);

	/* IPv6 loopback, and ":0" (every address). */
	struct pl_metrics_server *v6 = pl_metrics_server__new("[::1]:0", loop, &o, err, sizeof(err));
	if (v6)
		CHECK(!strncmp(pl_metrics_server__address(v6), "[::1]:", 6));
	else
		fprintf(stderr, "  (no IPv6 loopback here: %s)\n", err);
	pl_metrics_server__free(v6);
	struct pl_metrics_server *any = pl_metrics_server__new(":0", loop, &o, err, sizeof(err));
	CHECK_MSG(any, "%s", err);
	pl_metrics_server__free(any);
	pl_loop__free(loop);
}

/* What a fuzzer does: no listening socket, no loop; a socketpair handed
 * over, bytes in, an answer out. */
static void harness_entry(void)
{
	struct render_ctx r = { .lines = 1 };
	struct pl_metrics_server_opts o = { .render = render, .ctx = &r, .no_listen = true };
	char err[256], buf[4096] = "";
	struct pl_metrics_server *srv = pl_metrics_server__new(NULL, NULL, &o, err, sizeof(err));
	int sv[2];

	CHECK_MSG(srv, "%s", err);
	if (!srv || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return;
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	send_all(sv[0], req, sizeof(req) - 1);
	CHECK(pl_metrics_server__add_connection(srv, sv[1]) == 0);
	size_t len = 0;
	for (int i = 0; i < 100 && !strstr(buf, "t_total{i=\"0\"} 0\n"); i++) {
		pl_metrics_server__run(srv);
		ssize_t n = recv(sv[0], buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n > 0)
			len += (size_t)n;
		buf[len] = '\0';
	}
	CHECK_STR_CONTAINS(buf, "HTTP/1.1 200");
	CHECK_STR_CONTAINS(buf, "t_total{i=\"0\"} 0\n");
	close(sv[0]);
	pl_metrics_server__free(srv);
}

int main(void)
{
	RUN(routing);
	RUN(bad_input);
	RUN(stalled_client);
	RUN(hundred_concurrent_scrapes);
	RUN(loop_runs_during_scrape);
	RUN(cannot_listen);
	RUN(harness_entry);
	return pl_test_summary();
}
