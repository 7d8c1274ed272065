/* server.h — the HTTP server of GET /metrics, on pktlua's event loop.
 *
 * HTTP is libmicrohttpd's (Debian's libmicrohttpd12): parsing, keep-alive,
 * timeouts, limits. It runs in external-epoll mode: the daemon's one epoll
 * fd is a source of pktlua's loop (events/loop.h), and a one-shot timer
 * wakes it for connection timeouts, so a scrape never blocks the loop's
 * ring buffers, timers and signals, and a slow or stalled client never
 * blocks another.
 *
 * The listening socket is made and bound by pl_metrics_server__new, before
 * any loop runs: an address in use or not allowed is an error there, and
 * the socket keeps working after the process drops its capabilities.
 *
 * Requests: GET or HEAD of /metrics (any query string) is answered by the
 * render callback, in the format the Accept header prefers (expo.h); / gets
 * a short page that links to it; other paths 404, other methods on those
 * paths 405 (with Allow). libmicrohttpd answers malformed requests 400, a
 * request line or header block over the connection's memory 414/431, and
 * closes connections idle or incomplete for longer than the timeout.
 *
 * Plain C, no Lua. Errors: 0 / -errno; constructors NULL with a message. */
#ifndef PKTLUA_METRICS_SERVER_H
#define PKTLUA_METRICS_SERVER_H

#include "metrics/expo.h"

#include <stddef.h>

struct pl_loop;
struct pl_metrics_server;

/* Write the exposition in FMT into OUT. Returns 0, or -errno with a message
 * in OUT (the server answers 500 with it). */
typedef int (*pl_metrics_render_fn)(void *ctx, enum pl_expo_format fmt, struct pl_mbuf *out);

#define PL_METRICS_DEFAULT_ADDR "127.0.0.1:9435"

struct pl_metrics_server_opts {
	pl_metrics_render_fn render;
	void *ctx;
	unsigned timeout_s;          /* idle/incomplete connections closed after; 0: 10 */
	unsigned max_connections;    /* 0: 512 */
	size_t max_request;          /* bytes of request line + headers; 0: 16 KiB */
	/* For harnesses (a fuzzer): no listening socket at all, ADDR ignored;
	 * requests come only through pl_metrics_server__add_connection. */
	bool no_listen;
};

/* Listen on ADDR ("HOST:PORT", "[V6]:PORT", ":PORT" for every address,
 * "PORT" for 127.0.0.1; NULL: PL_METRICS_DEFAULT_ADDR; port 0 picks a free
 * one) and serve on LOOP (NULL: the caller drives pl_metrics_server__run).
 * Returns NULL and a message in ERR ("cannot listen on 127.0.0.1:9435:
 * Address already in use") when it cannot. */
struct pl_metrics_server *pl_metrics_server__new(const char *addr, struct pl_loop *loop,
						 const struct pl_metrics_server_opts *opts,
						 char *err, size_t errlen);
/* Stop serving, close every connection. NULL is fine. */
void pl_metrics_server__free(struct pl_metrics_server *srv);

/* The bound address as "HOST:PORT" ("[V6]:PORT"), and its port. */
const char *pl_metrics_server__address(const struct pl_metrics_server *srv);
int pl_metrics_server__port(const struct pl_metrics_server *srv);

/* Responses sent so far, and how many of them were errors (status >= 400). */
unsigned long long pl_metrics_server__responses(const struct pl_metrics_server *srv);
unsigned long long pl_metrics_server__errors(const struct pl_metrics_server *srv);

/* For harnesses (a fuzzer, a unit test) that drive requests themselves:
 * hand over a connected socket FD (the server owns it from then on), and
 * let the server do what is ready now, without blocking. */
int pl_metrics_server__add_connection(struct pl_metrics_server *srv, int fd);
int pl_metrics_server__run(struct pl_metrics_server *srv);

/* How a request for METHOD URL is routed: 200 (the exposition), 404 or 405.
 * URL may carry a query string. */
int pl_metrics__route(const char *method, const char *url);

#endif
