/* traffic_gen.c — real traffic for tests/e2e/filter_live.sh: the kernel
 * builds every packet (segmentation offload, fragments, IP options, IPv6
 * extension headers, ICMP errors, RSTs), so the captures tcpdump takes of it
 * are what a user's would be, not what a generator thought of.
 *
 *   traffic_gen serve PORT
 *       TCP sink on [::]:PORT (IPv4 too), reading each connection to EOF.
 *   traffic_gen client V4 V6 IFNAME PORT
 *       towards the sink at V4 and at V6 (link-local, scope IFNAME): bulk TCP,
 *       a connect to a closed port, UDP of many sizes to a closed port (ICMP
 *       errors back; above the MTU, fragments), UDP with IPv4 options and with
 *       IPv6 hop-by-hop and destination options, ICMP and ICMPv6 echoes,
 *       and a UDP datagram to V4's /24 broadcast address (the sender's
 *       stack loops a copy back: tcpdump does not see that one).
 *   traffic_gen local PORT
 *       bulk TCP over 127.0.0.1 and ::1 in this namespace (loopback's large
 *       offloaded frames).
 *   traffic_gen broadcast V4
 *       one UDP datagram to V4's /24 broadcast address (as client sends).
 *   traffic_gen frames IFNAME SRC DST...
 *       one IPv4 UDP frame (to port 9, Ethernet broadcast) per DST, written
 *       straight onto IFNAME through a packet socket (egress tc and packet
 *       sockets see them): destinations the stack would not send to, for
 *       `ip broadcast` with and without a netmask (capture_netmask.sh).
 *   traffic_gen flood V4 PORT COUNT SIZE [PPS EVERY MPORT]
 *       COUNT UDP datagrams of SIZE bytes, every EVERY-th to MPORT, at PPS
 *       a second (0: as fast as it goes): a flood for drop counts and
 *       benchmarks.
 *
 * Every mode ends by itself (alarm): a test that goes wrong cannot leave it
 * running. Root needed for the raw sockets and the IPv6 option headers. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLOSED_PORT 9       /* discard: nothing listens there */
#define BULK_BYTES (4u << 20)   /* per bulk connection; TRAFFIC_GEN_BULK=bytes overrides */

static size_t bulk_bytes(void)
{
	const char *e = getenv("TRAFFIC_GEN_BULK");

	return e && atol(e) > 0 ? (size_t)atol(e) : BULK_BYTES;
}

static void die(const char *what)
{
	fprintf(stderr, "traffic_gen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ADDR (IPv4 or IPv6, scoped to IFNAME) and PORT as a sockaddr. */
static socklen_t make_addr(struct sockaddr_storage *ss, const char *addr, const char *ifname,
			   int port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_scope_id = ifname ? if_nametoindex(ifname) : 0;
		return sizeof(*s6);
	}
	fprintf(stderr, "traffic_gen: '%s' is not an address\n", addr);
	exit(2);
}

/* Connect (retrying while the sink starts), send N bytes, close. */
static void tcp_bulk(const char *addr, const char *ifname, int port, size_t n)
{
	static char chunk[256 * 1024];
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, addr, ifname, port);
	int fd = -1;

	memset(chunk, 0x5a, sizeof(chunk));
	for (int tries = 0; tries < 50; tries++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (!connect(fd, (struct sockaddr *)&ss, len))
			break;
		close(fd);
		fd = -1;
		nap_ms(100);
	}
	if (fd < 0)
		die(addr);
	while (n) {
		size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
		ssize_t w = write(fd, chunk, k);

		if (w <= 0)
			die("write");
		n -= (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, chunk, sizeof(chunk)) > 0)
		;
	close(fd);
}

/* A SYN to a port nothing listens on: the peer answers RST. */
static void tcp_refused(const char *addr, const char *ifname)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, addr, ifname, CLOSED_PORT);
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (!connect(fd, (struct sockaddr *)&ss, len) || errno != ECONNREFUSED)
		fprintf(stderr, "traffic_gen: connect to %s port %d was not refused\n", addr, CLOSED_PORT);
	close(fd);
}

/* UDP datagrams of many sizes to the closed port, with the socket options
 * (level, name, value) OPTS applied first (none if OPTLEN is 0). */
static void udp_sizes(const char *addr, const char *ifname, int level, int name,
		      const void *opt, socklen_t optlen)
{
	static const size_t sizes[] = { 0, 1, 18, 100, 512, 1472, 1473, 4000, 9000 };
	static char payload[9000];
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, addr, ifname, CLOSED_PORT);
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket");
	if (optlen && setsockopt(fd, level, name, opt, optlen))
		die("setsockopt");
	memset(payload, 0x12, sizeof(payload));
	payload[0] = 0x12, payload[1] = 0x34;       /* udp[8:2] = 0x1234 */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sendto(fd, payload, sizes[i], 0, (struct sockaddr *)&ss, len) < 0 &&
		    errno != ECONNREFUSED)
			die("sendto");
		nap_ms(5);                           /* room for the ICMP error */
	}
	close(fd);
}

/* Echo requests of SIZES bytes through a raw ICMP (or ICMPv6) socket. */
static void echoes(const char *addr, const char *ifname)
{
	static const size_t sizes[] = { 56, 1400, 3000 };
	static unsigned char buf[3000 + 8];
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, addr, ifname, 0);
	int v6 = ss.ss_family == AF_INET6;
	int fd = socket(ss.ss_family, SOCK_RAW, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);

	if (fd < 0)
		die("raw socket");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i] + 8;

		memset(buf, 0xa5, n);
		buf[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
		buf[1] = 0;
		buf[2] = buf[3] = 0;                 /* the kernel sums ICMPv6 */
		buf[4] = 0x12, buf[5] = 0x34;        /* id */
		buf[6] = 0, buf[7] = (unsigned char)i;
		if (!v6) {
			unsigned long sum = 0;

			for (size_t j = 0; j + 1 < n; j += 2)
				sum += (unsigned)buf[j] << 8 | buf[j + 1];
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			buf[2] = (unsigned char)(~sum >> 8);
			buf[3] = (unsigned char)~sum;
		}
		if (sendto(fd, buf, n, 0, (struct sockaddr *)&ss, len) < 0)
			die("sendto (echo)");
		nap_ms(20);
	}
	close(fd);
}

/* One UDP datagram to the directed broadcast address of V4's /24 (the
 * test networks are /24s). The sender's stack also delivers it to itself:
 * a copy marked PACKET_LOOPBACK passes the interface's tc ingress, and
 * packet sockets skip it. */
static void udp_broadcast(const char *v4)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(CLOSED_PORT) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), on = 1;

	if (fd < 0)
		die("socket");
	if (inet_pton(AF_INET, v4, &to.sin_addr) != 1) {
		fprintf(stderr, "traffic_gen: %s: not an IPv4 address\n", v4);
		exit(1);
	}
	to.sin_addr.s_addr |= htonl(0xff);
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)))
		die("SO_BROADCAST");
	if (sendto(fd, "bcast", 5, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		die("sendto (broadcast)");
	close(fd);
}

static void client(const char *v4, const char *v6, const char *ifname, int port)
{
	/* IPv4 record route (7), room for 9 addresses: a 40-byte option. */
	unsigned char rr[40] = { 7, 39, 4 };
	/* IPv6 extension headers the kernel adds to every datagram of the
	 * socket: hop-by-hop and destination options, each one PadN option
	 * (type 1) filling the 8-byte header. */
	unsigned char hbh[8] = { 0, 0, 1, 4 }, dst[8] = { 0, 0, 1, 4 };
	const char *addrs[2] = { v4, v6 };

	for (int i = 0; i < 2; i++) {
		tcp_bulk(addrs[i], ifname, port, bulk_bytes());
		tcp_refused(addrs[i], ifname);
		udp_sizes(addrs[i], ifname, 0, 0, NULL, 0);
		echoes(addrs[i], ifname);
	}
	udp_sizes(v4, ifname, IPPROTO_IP, IP_OPTIONS, rr, sizeof(rr));
	udp_sizes(v6, ifname, IPPROTO_IPV6, IPV6_HOPOPTS, hbh, sizeof(hbh));
	udp_sizes(v6, ifname, IPPROTO_IPV6, IPV6_DSTOPTS, dst, sizeof(dst));
	udp_broadcast(v4);
}

/* Internet checksum of N bytes (N even). */
static uint16_t ip_sum(const unsigned char *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void frames(const char *ifname, const char *src, char **dsts, int n)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	unsigned char f[14 + 20 + 8];
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		die("packet socket");
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex)
		die(ifname);
	for (int i = 0; i < n; i++) {
		struct in_addr s, d;

		if (inet_pton(AF_INET, src, &s) != 1 || inet_pton(AF_INET, dsts[i], &d) != 1) {
			fprintf(stderr, "traffic_gen: %s, %s: want IPv4 addresses\n", src, dsts[i]);
			exit(2);
		}
		memset(f, 0, sizeof(f));
		memset(f, 0xff, 6);                                  /* to everyone */
		memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
		f[12] = 0x08;                                        /* IPv4 */
		f[14] = 0x45, f[17] = 28, f[22] = 64, f[23] = 17;   /* 28 bytes, TTL, UDP */
		memcpy(f + 26, &s, 4);
		memcpy(f + 30, &d, 4);
		uint16_t sum = ip_sum(f + 14, 20);
		f[24] = (unsigned char)(sum >> 8), f[25] = (unsigned char)sum;
		f[34] = 0x03, f[35] = 0xe8, f[37] = 9, f[39] = 8;   /* 1000 -> 9, 8 bytes */
		memcpy(sll.sll_addr, f, 6);
		if (sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
			die("sendto (frame)");
	}
	close(fd);
}

/* COUNT UDP datagrams of SIZE bytes to V4:PORT, as fast as sendmmsg()
 * goes or at about PPS a second (0: no limit); every EVERY-th goes to
 * MPORT instead (EVERY 0: none). Prints what was sent: "sent N to PORT, M
 * to MPORT". For capture_live.sh's drop count and bench/capture. */
static void flood(const char *v4, int port, long count, int size, long pps, long every, int mport)
{
	enum { BATCH = 64 };
	static char payload[65507];
	struct sockaddr_storage to[2];
	socklen_t tolen = make_addr(&to[0], v4, NULL, port);
	struct mmsghdr m[BATCH];
	struct iovec iov = { payload, (size_t)size };
	long sent[2] = { 0, 0 }, n = 0;
	struct timespec t0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	make_addr(&to[1], v4, NULL, mport);
	if (fd < 0)
		die("socket");
	if (size < 0 || size > (int)sizeof(payload)) {
		fprintf(stderr, "traffic_gen: size %d: 0..%zu\n", size, sizeof(payload));
		exit(2);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n < count) {
		int k = 0;

		for (; k < BATCH && n + k < count; k++) {
			int which = every > 0 && (n + k) % every == every - 1;
			m[k] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &to[which], .msg_namelen = tolen,
				.msg_iov = &iov, .msg_iovlen = 1 } };
		}
		int r = sendmmsg(fd, m, k, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			die("sendmmsg");
		}
		for (int i = 0; i < r; i++)
			sent[m[i].msg_hdr.msg_name == &to[1]]++;
		n += r;
		if (pps > 0) {
			/* Wait until N packets are due. */
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			double due = (double)n / pps;
			double el = (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
			if (due > el)
				nap_ms((long)((due - el) * 1000));
		}
	}
	close(fd);
	struct timespec t1;
	struct rusage ru;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* What bench/capture reads: the rate reached and this process's CPU
	 * (the receive path of a veth runs in the sender's context too). */
	printf("sent %ld to %d, %ld to %d in %.3f s (%.0f/s), cpu %.3f s user %.3f s sys\n",
	       sent[0], port, sent[1], mport, secs, n / secs,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

/* The sink: one process, one connection at a time, until the alarm. */
static void serve(int port)
{
	static char buf[256 * 1024];
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	int off = 0, on = 1;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(fd, (struct sockaddr *)&s6, sizeof(s6)) || listen(fd, 8))
		die("listen");
	printf("listening on port %d\n", port);
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			die("accept");
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
}

int main(int argc, char **argv)
{
	alarm(60);
	if (argc == 3 && !strcmp(argv[1], "serve")) {
		serve(atoi(argv[2]));
	} else if (argc == 6 && !strcmp(argv[1], "client")) {
		client(argv[2], argv[3], argv[4], atoi(argv[5]));
	} else if (argc == 3 && !strcmp(argv[1], "local")) {
		int port = atoi(argv[2]);
		pid_t sink = fork();

		if (sink < 0)
			die("fork");
		if (sink == 0)
			serve(port);
		tcp_bulk("127.0.0.1", NULL, port, bulk_bytes());
		tcp_bulk("::1", NULL, port, bulk_bytes());
		kill(sink, SIGKILL);
		waitpid(sink, NULL, 0);
	} else if (argc == 3 && !strcmp(argv[1], "broadcast")) {
		udp_broadcast(argv[2]);
	} else if (argc >= 5 && !strcmp(argv[1], "frames")) {
		frames(argv[2], argv[3], argv + 4, argc - 4);
	} else if ((argc == 6 || argc == 9) && !strcmp(argv[1], "flood")) {
		alarm(600);
		flood(argv[2], atoi(argv[3]), atol(argv[4]), atoi(argv[5]),
		      argc == 9 ? atol(argv[6]) : 0, argc == 9 ? atol(argv[7]) : 0,
		      argc == 9 ? atoi(argv[8]) : 0);
	} else {
		fprintf(stderr, "usage: traffic_gen serve PORT | client V4 V6 IFNAME PORT | local PORT\n"
			"       | broadcast V4 | frames IFNAME SRC DST... | flood V4 PORT COUNT SIZE [PPS EVERY MPORT]\n");
		return 2;
	}
	return 0;
}
