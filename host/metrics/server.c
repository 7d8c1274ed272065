/* server.c — GET /metrics over libmicrohttpd, driven by pktlua's loop. See
 * server.h. */
#include "metrics/server.h"

#include "base/log.h"
#include "events/loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct pl_metrics_server {
	struct MHD_Daemon *mhd;
	struct pl_loop *loop;
	int epoll_id;          /* loop source of the daemon's epoll fd, or 0 */
	int timer_id;          /* loop source of the pending timeout, or 0 */
	bool running;          /* inside MHD_run: never re-entered */
	pl_metrics_render_fn render;
	void *ctx;
	unsigned long long responses, errors;
	char address[INET6_ADDRSTRLEN + 16];
	int port;
};

static const char index_page[] =
	"<html><head><title>pktlua</title></head><body>"
	"<h1>pktlua</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

/* ---- routing ---------------------------------------------------------------- */

static bool path_is(const char *url, const char *path)
{
	size_t n = strlen(path);
	return !strncmp(url, path, n) && (url[n] == '\0' || url[n] == '?');
}

int pl_metrics__route(const char *method, const char *url)
{
	if (!method || !url || !(path_is(url, "/metrics") || path_is(url, "/")))
		return MHD_HTTP_NOT_FOUND;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return MHD_HTTP_METHOD_NOT_ALLOWED;
	return MHD_HTTP_OK;
}

/* ---- answering ---------------------------------------------------------------- */

static enum MHD_Result reply(struct pl_metrics_server *srv, struct MHD_Connection *conn,
			     unsigned status, const char *type, char *body, size_t len,
			     bool owned)
{
	struct MHD_Response *r = owned
		? MHD_create_response_from_buffer_with_free_callback(len, body, free)
		: MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);

	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;    /* closes the connection */
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	srv->responses++;
	if (status >= 400)
		srv->errors++;
	return ret;
}

static enum MHD_Result reply_text(struct pl_metrics_server *srv, struct MHD_Connection *conn,
				  unsigned status, const char *text)
{
	return reply(srv, conn, status, "text/plain; charset=utf-8", (char *)text, strlen(text),
		     false);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static int headers_seen;
	struct pl_metrics_server *srv = cls;

	(void)version;
	(void)upload_data;
	/* Errors are answered at the first call, when the headers are in: a
	 * body, if any, is not read (libmicrohttpd then closes the connection
	 * after the answer). */
	switch (pl_metrics__route(method, url)) {
	case MHD_HTTP_NOT_FOUND:
		return reply_text(srv, conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	case MHD_HTTP_METHOD_NOT_ALLOWED:
		return reply_text(srv, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method not allowed: GET or HEAD\n");
	default:
		break;
	}
	/* A GET or HEAD is answered at the second call, once the request is
	 * complete: a response queued earlier makes libmicrohttpd close the
	 * connection after it, and scrapers keep theirs alive. */
	if (!*con_cls) {
		*con_cls = &headers_seen;
		return MHD_YES;
	}
	if (*upload_data_size)
		return reply_text(srv, conn, MHD_HTTP_BAD_REQUEST, "a GET has no body\n");
	if (!path_is(url, "/metrics"))
		return reply(srv, conn, MHD_HTTP_OK, "text/html; charset=utf-8",
			     (char *)index_page, sizeof(index_page) - 1, false);

	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	enum pl_expo_format fmt = pl_expo__negotiate(accept);
	struct pl_mbuf out = { 0 };
	int err = srv->render(srv->ctx, fmt, &out);
	if (!err && out.failed)
		err = -ENOMEM;
	if (err) {
		const char *why = out.len && !out.failed ? out.data : strerror(-err);
		pl_log(PL_LOG_WARN, "metrics: scrape failed: %s", why);
		struct pl_mbuf msg = { 0 };
		pl_mbuf__printf(&msg, "scrape failed: %s\n", why);
		pl_mbuf__free(&out);
		if (msg.failed) {
			pl_mbuf__free(&msg);
			return MHD_NO;
		}
		return reply(srv, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "text/plain; charset=utf-8", msg.data, msg.len, true);
	}
	if (!out.data)
		pl_mbuf__reserve(&out, 0);  /* an empty exposition still needs a buffer */
	if (out.failed) {
		pl_mbuf__free(&out);
		return MHD_NO;
	}
	return reply(srv, conn, MHD_HTTP_OK, pl_expo__content_type(fmt), out.data, out.len, true);
}

/* ---- the loop ------------------------------------------------------------------- */

static void on_ready(void *ctx, int id);

static void on_timeout(void *ctx, int id)
{
	struct pl_metrics_server *srv = ctx;

	if (srv->timer_id == id)
		srv->timer_id = 0;          /* one-shot: the loop removed it */
	on_ready(ctx, 0);
}

/* Let the daemon do what is ready, then ask to be woken for its next
 * deadline (a connection's timeout, or work it left for the next round). */
int pl_metrics_server__run(struct pl_metrics_server *srv)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (srv->running)
		return 0;
	srv->running = true;
	enum MHD_Result ok = MHD_run(srv->mhd);
	srv->running = false;
	if (!srv->loop)
		return ok == MHD_YES ? 0 : -EIO;
	if (srv->timer_id) {
		pl_loop__remove(srv->loop, srv->timer_id);
		srv->timer_id = 0;
	}
	if (MHD_get_timeout(srv->mhd, &ms) == MHD_YES) {
		int id = pl_loop__add_timer(srv->loop, ms / 1000.0, 0, on_timeout, srv);
		if (id > 0)
			srv->timer_id = id;
		else
			pl_log(PL_LOG_WARN, "metrics: cannot arm the connection timer: %s",
			       strerror(-id));
	}
	return ok == MHD_YES ? 0 : -EIO;
}

static void on_ready(void *ctx, int id)
{
	(void)id;
	pl_metrics_server__run(ctx);
}

int pl_metrics_server__add_connection(struct pl_metrics_server *srv, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) || len == 0 ||
	    ss.ss_family == AF_UNIX) {
		/* A socketpair has no peer address: say it is loopback. */
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		memset(&ss, 0, sizeof(ss));
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
	}
	errno = 0;
	if (MHD_add_connection(srv->mhd, fd, (struct sockaddr *)&ss, len) != MHD_YES) {
		int e = errno;
		return e ? -e : -EIO;
	}
	return pl_metrics_server__run(srv);
}

/* ---- setup -------------------------------------------------------------------- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pl_log(PL_LOG_DEBUG, "metrics: libmicrohttpd: %s", msg);
}

/* Split ADDR into host and port (see server.h). Returns 0 or -EINVAL. */
static int split_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon;

	if (!*addr)
		return -EINVAL;
	if (strspn(addr, "0123456789") == strlen(addr)) {
		snprintf(host, hostlen, "127.0.0.1");
		snprintf(port, portlen, "%s", addr);
		return 0;
	}
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= hostlen)
			return -EINVAL;
		memcpy(host, addr + 1, (size_t)(close - addr - 1));
		host[close - addr - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || memchr(addr, ':', (size_t)(colon - addr)) ||
		    (size_t)(colon - addr) >= hostlen)
			return -EINVAL;     /* a bare IPv6 address needs brackets */
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
	}
	if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) >= portlen || atol(colon + 1) > 65535)
		return -EINVAL;
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

static void format_addr(const struct sockaddr *sa, char *out, size_t len, int *port)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		*port = ntohs(in6->sin6_port);
		snprintf(out, len, "[%s]:%d", ip, *port);
	} else {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		*port = ntohs(in->sin_port);
		snprintf(out, len, "%s:%d", ip, *port);
	}
}

/* A listening socket on ADDR; -1 with a message in ERR. */
static int listen_on(const char *addr, struct pl_metrics_server *srv, char *err, size_t errlen)
{
	char host[256], port[8];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res = NULL;
	int fd = -1, rc, e = 0;

	if (split_addr(addr, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "bad address '%s': expected HOST:PORT, [IPV6]:PORT, "
			 ":PORT or PORT", addr);
		return -1;
	}
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	/* ":PORT": every address, IPv6 and IPv4 on one socket where there is
	 * IPv6, else IPv4. Otherwise the first address the name gives. */
	struct addrinfo *ai = res;
	if (!host[0])
		for (struct addrinfo *a = res; a; a = a->ai_next)
			if (a->ai_family == AF_INET6) {
				ai = a;
				break;
			}
	for (; ai; ai = host[0] ? NULL : ai->ai_next) {
		int one = 1, zero = 0;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && !host[0])
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, SOMAXCONN))
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		const char *hint = e == EADDRINUSE ? " (another server has that port)"
				 : e == EACCES ? " (ports below 1024 need CAP_NET_BIND_SERVICE)"
				 : e == EADDRNOTAVAIL ? " (not an address of this machine)" : "";
		snprintf(err, errlen, "cannot listen on %s: %s%s", addr, strerror(e ? e : EINVAL),
			 hint);
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		format_addr((struct sockaddr *)&ss, srv->address, sizeof(srv->address), &srv->port);
	return fd;
}

struct pl_metrics_server *pl_metrics_server__new(const char *addr, struct pl_loop *loop,
						 const struct pl_metrics_server_opts *opts,
						 char *err, size_t errlen)
{
	struct pl_metrics_server *srv = calloc(1, sizeof(*srv));
	int fd = -1;

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!addr)
		addr = PL_METRICS_DEFAULT_ADDR;
	srv->loop = loop;
	srv->render = opts->render;
	srv->ctx = opts->ctx;
	if (opts->no_listen) {
		snprintf(srv->address, sizeof(srv->address), "(no listening socket)");
	} else {
		fd = listen_on(addr, srv, err, errlen);
		if (fd < 0)
			goto fail;
	}
	/* Options as an array: with no_listen, MHD_OPTION_LISTEN_SOCKET must
	 * not be given at all (libmicrohttpd refuses it, -1 included). The
	 * logger first, so what the others say goes through it. */
	struct MHD_OptionItem ops[8];
	int n = 0;
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL };
	if (fd >= 0)
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
					    opts->timeout_s ? opts->timeout_s : 10, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
					    opts->max_connections ? opts->max_connections : 512,
					    NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					    (intptr_t)(opts->max_request ? opts->max_request
						       : 16384), NULL };
	/* HTTP/1.1 without Host, spaces before a header's colon: 400. */
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	srv->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (opts->no_listen ? MHD_USE_NO_LISTEN_SOCKET : 0),
		0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
	if (!srv->mhd) {
		snprintf(err, errlen, "cannot serve on %s: libmicrohttpd did not start",
			 opts->no_listen ? "no socket" : addr);
		goto fail;
	}
	fd = -1;                /* the daemon owns it now */
	if (loop) {
		const union MHD_DaemonInfo *info =
			MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_EPOLL_FD);
		int id = info ? pl_loop__add_fd(loop, info->epoll_fd, on_ready, srv) : -EINVAL;
		if (id < 0) {
			snprintf(err, errlen, "cannot serve on %s: %s", addr, strerror(-id));
			goto fail;
		}
		srv->epoll_id = id;
	}
	return srv;
fail:
	if (fd >= 0)
		close(fd);
	pl_metrics_server__free(srv);
	return NULL;
}

void pl_metrics_server__free(struct pl_metrics_server *srv)
{
	if (!srv)
		return;
	if (srv->loop && srv->epoll_id)
		pl_loop__remove(srv->loop, srv->epoll_id);
	if (srv->loop && srv->timer_id)
		pl_loop__remove(srv->loop, srv->timer_id);
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	free(srv);
}

const char *pl_metrics_server__address(const struct pl_metrics_server *srv)
{
	return srv->address;
}

int pl_metrics_server__port(const struct pl_metrics_server *srv)
{
	return srv->port;
}

unsigned long long pl_metrics_server__responses(const struct pl_metrics_server *srv)
{
	return srv->responses;
}

unsigned long long pl_metrics_server__errors(const struct pl_metrics_server *srv)
{
	return srv->errors;
}
