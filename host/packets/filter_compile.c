/* filter_compile.c — libpcap's pcap_compile() in a child process, so a
 * huge expression stays interruptible and bounded (filter.h:
 * pl_filter_pcap_compile). */
#include "packets/filter.h"

#include "base/interrupt.h"

#include <pcap/pcap.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's answer on the pipe: int32 status (0, or a positive errno),
 * then either uint32 n and n instructions, or libpcap's message. */
static void compile_child(pcap_t *p, const char *expr, uint32_t netmask, int fd)
{
	struct bpf_program prog;
	struct rlimit cpu = { PL_FILTER_COMPILE_S, PL_FILTER_COMPILE_S + 1 };
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	int32_t status = 0;

	/* Limits on top of what we use now (an ASan build reserves terabytes
	 * of address space it never touches). */
	if (f && fscanf(f, "%llu", &pages) == 1) {
		rlim_t as = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) +
			    (rlim_t)PL_FILTER_COMPILE_MB * 1024 * 1024;
		struct rlimit lim = { as, as };
		setrlimit(RLIMIT_AS, &lim);
	}
	if (f)
		fclose(f);
	setrlimit(RLIMIT_CPU, &cpu);
	signal(SIGXCPU, SIG_DFL);
	/* The parent's handlers are not ours; its death (SIGKILL) is our end. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (pcap_compile(p, &prog, expr, 1, netmask) < 0) {
		const char *msg = pcap_geterr(p);
		status = EINVAL;
		(void)!write(fd, &status, sizeof(status));
		(void)!write(fd, msg, strlen(msg));
		_exit(0);
	}
	uint32_t n = prog.bf_len;
	(void)!write(fd, &status, sizeof(status));
	(void)!write(fd, &n, sizeof(n));
	size_t len = (size_t)n * sizeof(*prog.bf_insns), off = 0;
	while (off < len) {
		ssize_t w = write(fd, (char *)prog.bf_insns + off, len - off);
		if (w <= 0)
			_exit(1);
		off += (size_t)w;
	}
	_exit(0);
}

/* Read all the child writes on FD until EOF, looking at the interrupt flag
 * while it works. -EINTR when interrupted. */
static int read_child(int fd, char **buf, size_t *len)
{
	size_t cap = 4096;
	char *b = malloc(cap);

	*len = 0;
	if (!b)
		return -ENOMEM;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (pl_interrupt_pending()) {
			free(b);
			return -EINTR;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;             /* a signal or the tick: look again */
		if (*len == cap) {
			char *nb = cap < (64u << 20) ? realloc(b, cap * 2) : NULL;
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, b + *len, cap - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*len += (size_t)r;
	}
	*buf = b;
	return 0;
}

/* In this process: what a short expression needs (a fork costs more than
 * its compile, many times more on a loaded machine). */
static int compile_here(pcap_t *p, const char *expr, uint32_t netmask,
			struct bpf_program *prog, char *err, size_t errlen)
{
	if (pcap_compile(p, prog, expr, 1, netmask) == 0)
		return 0;
	/* libpcap >= 1.10 says "can't parse filter expression: syntax error";
	 * the prefix says nothing "filter 'EXPR':" does not. */
	const char *msg = pcap_geterr(p);
	const char *pfx = "can't parse filter expression: ";
	if (!strncmp(msg, pfx, strlen(pfx)))
		msg += strlen(pfx);
	snprintf(err, errlen, "filter '%s': %s", expr, msg);
	memset(prog, 0, sizeof(*prog));
	return -EINVAL;
}

int pl_filter_pcap_compile(pcap_t *p, const char *expr, struct bpf_program *prog,
			   char *err, size_t errlen)
{
	return pl_filter_pcap_compile_mask(p, expr, 0, prog, err, errlen);
}

int pl_filter_pcap_compile_mask(pcap_t *p, const char *expr, uint32_t netmask,
				struct bpf_program *prog, char *err, size_t errlen)
{
	int pipefd[2], status = 0, rc;
	char *buf = NULL;
	size_t len = 0;
	int32_t st;
	pid_t pid;

	memset(prog, 0, sizeof(*prog));
	if (strlen(expr) <= PL_FILTER_COMPILE_HERE)
		return compile_here(p, expr, netmask, prog, err, errlen);
	if (pipe2(pipefd, O_CLOEXEC)) {
		rc = -errno;
		snprintf(err, errlen, "filter '%.*s%s': %s", PL_FILTER_QUOTE(expr), strerror(-rc));
		return rc;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		snprintf(err, errlen, "filter '%.*s%s': cannot fork: %s", PL_FILTER_QUOTE(expr),
			 strerror(-rc));
		return rc;
	}
	if (pid == 0) {
		close(pipefd[0]);
		compile_child(p, expr, netmask, pipefd[1]);
	}
	close(pipefd[1]);
	rc = read_child(pipefd[0], &buf, &len);
	close(pipefd[0]);
	if (rc == -EINTR)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == -EINTR) {
		snprintf(err, errlen, "filter '%.*s%s': interrupted", PL_FILTER_QUOTE(expr));
		goto out;
	}
	if (rc) {
		snprintf(err, errlen, "filter '%.*s%s': %s", PL_FILTER_QUOTE(expr), strerror(-rc));
		goto out;
	}
	if (WIFSIGNALED(status) || len < sizeof(st)) {
		int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		rc = sig == SIGXCPU || sig == SIGKILL || sig == SIGSEGV || sig == SIGABRT ? -E2BIG : -EIO;
		if (sig == SIGXCPU)
			snprintf(err, errlen, "filter '%.*s%s': libpcap did not finish compiling it in %d s "
				 "of CPU (its optimizer is cubic in the size of the expression)",
				 PL_FILTER_QUOTE(expr), PL_FILTER_COMPILE_S);
		else if (rc == -E2BIG)
			snprintf(err, errlen, "filter '%.*s%s': libpcap ran out of its %d MB compiling it "
				 "(signal %d)", PL_FILTER_QUOTE(expr), PL_FILTER_COMPILE_MB, sig);
		else
			snprintf(err, errlen, "filter '%.*s%s': libpcap's compiler ended without an answer",
				 PL_FILTER_QUOTE(expr));
		goto out;
	}
	memcpy(&st, buf, sizeof(st));
	if (st) {
		/* libpcap >= 1.10 says "can't parse filter expression: syntax
		 * error"; the prefix says nothing "filter 'EXPR':" does not. */
		const char *pfx = "can't parse filter expression: ";
		int mlen = (int)(len - sizeof(st));
		const char *msg = buf + sizeof(st);
		if (mlen >= (int)strlen(pfx) && !strncmp(msg, pfx, strlen(pfx))) {
			msg += strlen(pfx);
			mlen -= (int)strlen(pfx);
		}
		/* libpcap's compiler works in a fixed number of memory chunks. */
		bool arena = mlen == 13 && !strncmp(msg, "out of memory", 13);
		snprintf(err, errlen, "filter '%.*s%s': %.*s%s", PL_FILTER_QUOTE(expr), mlen, msg,
			 arena ? " (libpcap's compiler has a fixed arena: the expression is "
				 "too big for it)" : "");
		rc = -EINVAL;
		goto out;
	}
	uint32_t n;
	if (len < sizeof(st) + sizeof(n) ||
	    (memcpy(&n, buf + sizeof(st), sizeof(n)), len != sizeof(st) + sizeof(n) +
						       (size_t)n * sizeof(struct bpf_insn))) {
		snprintf(err, errlen, "filter '%.*s%s': libpcap's compiler gave a short answer",
			 PL_FILTER_QUOTE(expr));
		rc = -EIO;
		goto out;
	}
	prog->bf_insns = malloc(n ? n * sizeof(struct bpf_insn) : 1);
	if (!prog->bf_insns) {
		snprintf(err, errlen, "filter '%.*s%s': out of memory", PL_FILTER_QUOTE(expr));
		rc = -ENOMEM;
		goto out;
	}
	memcpy(prog->bf_insns, buf + sizeof(st) + sizeof(n), n * sizeof(struct bpf_insn));
	prog->bf_len = n;
out:
	free(buf);
	return rc;
}

