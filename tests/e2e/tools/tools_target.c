/* tools_target — ground truth for the bundled tools' tests: it does exactly
 * what it is told, so a test knows what a tool must see.
 *
 *   tools_target syscalls N M   N getppid() calls, then M getpgid() that fail (ESRCH)
 *   tools_target calls N US     N calls of pl_tool_fn(), each sleeping US microseconds
 *   tools_target leak N SIZE K  N malloc(SIZE), frees all but K, then waits for stdin
 *   tools_target spin MS        burns the CPU for MS milliseconds, then prints
 *                               "schedstat PID RUN_NS WAIT_NS SLICES"
 *   tools_target sleeps N US    N nanosleep()s of US microseconds
 *   tools_target threads N      N threads of pl_tool_thread(), joined
 *   tools_target hog MB         allocates and touches MB megabytes, 1 MB at a time
 *                               (in a small memory cgroup: the OOM killer ends it)
 *   tools_target bind tcp|udp ADDR PORT [reuse]   bind a socket, print its port
 *   tools_target serve ADDR PORT N    TCP: listen (PORT 0: any; the port goes to
 *                               stdout), accept one connection, read to EOF,
 *                               send N bytes, close
 *   tools_target send ADDR PORT N     TCP: connect, send N bytes, shut down the
 *                               sending side, read to EOF, close
 *   tools_target dnsserve ADDR N ANSWER   UDP port 53 on ADDR: answer N A queries
 *                               with ANSWER (prints "ready" when bound)
 *   tools_target dnsquery SERVER NAME     ask SERVER:53 for NAME's A record (ID 0x5a17),
 *                               print the client port and the answer
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) int pl_tool_fn(int us)
{
	if (us > 0)
		usleep((useconds_t)us);
	__asm__ volatile("" ::: "memory");
	return us + 1;
}

__attribute__((noinline)) int pl_tool_other(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 2;
}

__attribute__((noinline)) void *pl_tool_alloc(size_t size)
{
	void *p = malloc(size);
	if (p)
		memset(p, 0x5a, size);
	return p;
}

__attribute__((noinline)) void *pl_tool_thread(void *arg)
{
	__asm__ volatile("" ::: "memory");
	return arg;
}

/* ADDR PORT as a sockaddr (IPv4 or IPv6); its length. */
static socklen_t sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			exit(2);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
		exit(2);
	return sizeof(*s4);
}

static int port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

static long drain(int fd)
{
	char buf[65536];
	long n = 0;
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		n += r;
	return n;
}

static int send_n(int fd, long n)
{
	char buf[65536];

	memset(buf, 'x', sizeof(buf));
	while (n > 0) {
		ssize_t w = write(fd, buf, n < (long)sizeof(buf) ? (size_t)n : sizeof(buf));
		if (w <= 0)
			return -1;
		n -= w;
	}
	return 0;
}

/* Minimal DNS: a query for NAME (type A, class IN) with ID; its length. */
static int dns_query(unsigned char *b, const char *name, unsigned id)
{
	int n = 12;

	memset(b, 0, 12);
	b[0] = id >> 8, b[1] = id & 0xff, b[2] = 0x01, b[5] = 1;   /* RD, QDCOUNT 1 */
	while (*name) {
		const char *dot = strchr(name, '.');
		int len = dot ? (int)(dot - name) : (int)strlen(name);
		b[n++] = (unsigned char)len;
		memcpy(b + n, name, len);
		n += len;
		name += len + (dot ? 1 : 0);
	}
	b[n++] = 0;
	b[n++] = 0, b[n++] = 1, b[n++] = 0, b[n++] = 1;            /* A, IN */
	return n;
}

static int dns(const char *what, int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	unsigned char b[512];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	struct timeval tv = { .tv_sec = 10 };          /* never hang a test */

	if (fd < 0 || inet_pton(AF_INET, argv[0], &sa.sin_addr) != 1)
		return 2;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!strcmp(what, "dnsserve")) {
		struct in_addr ans;
		if (argc < 3 || inet_pton(AF_INET, argv[2], &ans) != 1 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return perror("dnsserve"), 1;
		printf("ready\n");
		fflush(stdout);
		for (int i = 0; i < atoi(argv[1]); i++) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, b, sizeof(b) - 16, 0, (struct sockaddr *)&from, &fl);
			if (n < 0)
				return perror("dnsserve"), 1;
			if (n < 12)
				continue;
			b[2] = 0x81, b[3] = 0x80, b[7] = 1;                 /* response, ANCOUNT 1 */
			unsigned char rr[16] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };
			memcpy(rr + 12, &ans, 4);
			memcpy(b + n, rr, 16);
			sendto(fd, b, (size_t)n + 16, 0, (struct sockaddr *)&from, fl);
		}
		return 0;
	}
	/* dnsquery SERVER NAME */
	int n = dns_query(b, argv[1], 0x5a17);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || send(fd, b, (size_t)n, 0) != n)
		return perror("dnsquery"), 1;
	printf("%d\n", port_of(fd));
	ssize_t r = recv(fd, b, sizeof(b), 0);
	if (r < 28)
		return perror("dnsquery"), 1;
	printf("%d.%d.%d.%d\n", b[r - 4], b[r - 3], b[r - 2], b[r - 1]);
	return 0;
}

static int net(const char *what, int argc, char **argv)
{
	struct sockaddr_storage ss;
	const char *addr = argv[0];
	int port = argc > 1 ? atoi(argv[1]) : 0;
	long n = argc > 2 ? atol(argv[2]) : 0;
	socklen_t len = sockaddr_of(addr, port, &ss);
	int one = 1;

	if (!strcmp(what, "serve")) {
		int l = socket(ss.ss_family, SOCK_STREAM, 0);
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 4))
			return perror("serve"), 1;
		printf("%d\n", port_of(l));
		fflush(stdout);
		int c = accept(l, NULL, NULL);
		if (c < 0)
			return perror("accept"), 1;
		long got = drain(c);
		send_n(c, n);
		close(c);
		close(l);
		fprintf(stderr, "served: read %ld, sent %ld\n", got, n);
		return 0;
	}
	/* send */
	int c = socket(ss.ss_family, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, len))
		return perror("connect"), 1;
	printf("%d\n", port_of(c));
	fflush(stdout);
	send_n(c, n);
	shutdown(c, SHUT_WR);
	long got = drain(c);
	close(c);
	fprintf(stderr, "sent %ld, read %ld\n", n, got);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	long a = argc > 2 ? atol(argv[2]) : 0, b = argc > 3 ? atol(argv[3]) : 0;
	long c = argc > 4 ? atol(argv[4]) : 0, s = 0;

	if (!strcmp(what, "syscalls")) {
		for (long i = 0; i < a; i++)
			s += syscall(SYS_getppid);
		for (long i = 0; i < b; i++)
			s += syscall(SYS_getpgid, 999999);
	} else if (!strcmp(what, "calls")) {
		for (long i = 0; i < a; i++)
			s += pl_tool_fn((int)b);
		s += pl_tool_other((int)s);
	} else if (!strcmp(what, "leak")) {
		void **p = calloc((size_t)a, sizeof(*p));
		for (long i = 0; i < a; i++)
			p[i] = pl_tool_alloc((size_t)b);
		for (long i = c; i < a; i++)
			free(p[i]);
		char buf[16];
		if (read(0, buf, sizeof(buf)) < 0)   /* the test looks now */
			return 1;
		for (long i = 0; i < c; i++)
			free(p[i]);
		free(p);
	} else if (!strcmp(what, "spin")) {
		double end = now_ms() + a;
		while (now_ms() < end)
			s++;
		/* What the scheduler counted for us: on-CPU ns, run-queue wait
		 * ns, slices (runqlat, runqslower and cpudist check against it). */
		char buf[128] = "";
		FILE *f = fopen("/proc/self/schedstat", "r");
		if (f && fgets(buf, sizeof(buf), f))
			printf("schedstat %d %s", getpid(), buf);
		if (f)
			fclose(f);
	} else if (!strcmp(what, "sleeps")) {
		for (long i = 0; i < a; i++) {
			struct timespec ts = { b / 1000000, (b % 1000000) * 1000 };
			nanosleep(&ts, NULL);
		}
	} else if (!strcmp(what, "hog")) {
		for (long i = 0; i < a; i++) {
			char *p = malloc(1 << 20);
			if (!p)
				return 1;
			memset(p, (int)i, 1 << 20);
		}
	} else if (!strcmp(what, "threads")) {
		pthread_t th[64];
		if (a > 64)
			a = 64;
		for (long i = 0; i < a; i++)
			pthread_create(&th[i], NULL, pl_tool_thread, NULL);
		for (long i = 0; i < a; i++)
			pthread_join(th[i], NULL);
	} else if (!strcmp(what, "bind") && argc >= 5) {
		struct sockaddr_storage ss;
		socklen_t len = sockaddr_of(argv[3], atoi(argv[4]), &ss);
		int fd = socket(ss.ss_family, strcmp(argv[2], "udp") ? SOCK_STREAM : SOCK_DGRAM, 0);
		int one = 1;
		if (argc > 5)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len))
			return perror("bind"), 1;
		printf("%d\n", port_of(fd));
		close(fd);
	} else if ((!strcmp(what, "dnsserve") && argc >= 5) || (!strcmp(what, "dnsquery") && argc >= 4)) {
		return dns(what, argc - 2, argv + 2);
	} else if ((!strcmp(what, "serve") || !strcmp(what, "send")) && argc >= 4) {
		return net(what, argc - 2, argv + 2);
	} else {
		fprintf(stderr, "usage: tools_target syscalls|calls|leak|spin|sleeps|threads|bind|serve|send ...\n");
		return 2;
	}
	return s == -12345;
}
