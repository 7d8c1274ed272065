/* child.c — one compile in a forked child that loads the clang shim.
 *
 * The child dlopen()s the shim (clang_shim.cpp), compiles, writes a small
 * header, the object and the diagnostics into a memfd and _exit()s; its
 * stdout and stderr go to a second memfd, so nothing LLVM prints reaches the
 * terminal. The parent waits and reads both. Why a child at all: see
 * compiler.c.
 *
 * The child calls malloc() and dlopen() after fork(), which is only safe
 * because the host is single-threaded: call this from the one thread (a
 * threaded host would need posix_spawn of a helper instead). */
#include "compile/child.h"

#include "base/interrupt.h"
#include "base/log.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Child stderr kept in a diagnostic, at most (LLVM can dump whole DAGs). */
#define MAX_CHILD_STDERR (64 * 1024)

/* What the child writes at offset 0 of the result memfd, followed by
 * obj_len bytes of object, diag_len bytes of diagnostics and deps_len bytes
 * of dependencies (pl_compile_result's deps). */
struct child_result {
	uint32_t magic;
	int32_t status;         /* 0 or a negative errno */
	uint64_t obj_len;
	uint64_t diag_len;
	uint64_t deps_len;
	uint64_t load_ns;       /* dlopen() of the shim */
	uint64_t compile_ns;    /* pl_cc_compile() */
	uint64_t maxrss_kb;     /* the child's peak RSS, for -vv */
};
#define CHILD_MAGIC 0x706c6363u /* "plcc" */

static char *shim_dir;

int pl_compiler_set_shim_dir(const char *dir)
{
	char *copy = NULL;

	if (dir) {
		copy = strdup(dir);
		if (!copy)
			return -ENOMEM;
	}
	free(shim_dir);
	shim_dir = copy;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* --- the child ------------------------------------------------------------ */

/* dlopen() the shim, searching as compiler.h describes. On failure MSG says
 * where we looked and why it failed. */
static void *load_shim(char *msg, size_t msg_sz)
{
	char path[PATH_MAX], exe[PATH_MAX], libdir[PATH_MAX];
	const char *dirs[4];
	size_t ndirs = 0, used = 0;
	const char *env = getenv("PKTLUA_CC_SHIM");
	void *h;

	if (env && *env) {
		h = dlopen(env, RTLD_LAZY | RTLD_LOCAL);
		if (!h)
			snprintf(msg, msg_sz, "cannot load the compiler (PKTLUA_CC_SHIM=%s): %s",
				 env, dlerror());
		return h;
	}

	if (shim_dir)
		dirs[ndirs++] = shim_dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			dirs[ndirs++] = exe;                /* the build tree: beside pktlua */
			/* An installed tree, wherever its prefix went (cmake --install
			 * --prefix, a moved tree): <prefix>/bin/pktlua finds
			 * <prefix>/lib/pktlua/ before the configured prefix. */
			if ((size_t)snprintf(libdir, sizeof(libdir), "%s/../lib/pktlua", exe) <
			    sizeof(libdir))
				dirs[ndirs++] = libdir;
		}
	}
	dirs[ndirs++] = PKTLUA_LIBDIR;

	used = snprintf(msg, msg_sz, "cannot find the compiler %s (looked in", PKTLUA_CC_SHIM_NAME);
	for (size_t i = 0; i < ndirs; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], PKTLUA_CC_SHIM_NAME);
		if (access(path, F_OK)) {
			if (used < msg_sz)
				used += snprintf(msg + used, msg_sz - used, "%s %s",
						 i ? "," : "", dirs[i]);
			continue;
		}
		/* It is there: a failure now (missing libLLVM, ...) is the answer. */
		h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
		if (!h)
			snprintf(msg, msg_sz, "cannot load the compiler %s: %s", path, dlerror());
		return h;
	}
	if (used < msg_sz)
		snprintf(msg + used, msg_sz - used, "; set PKTLUA_CC_SHIM to its path)");
	return NULL;
}

static void __attribute__((noreturn))
child_main(const struct pl_cc_input *in, const struct pl_cc_child_hooks *hooks, int out_fd,
	   int err_fd)
{
	struct child_result hdr = { .magic = CHILD_MAGIC };
	struct pl_cc_output out = {0};
	static const int dfl_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
					   SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	char msg[PATH_MAX + 512];
	struct rusage ru;
	sigset_t none;

	/* Everything LLVM might print lands in the parent's memfd. */
	dup2(err_fd, STDOUT_FILENO);
	dup2(err_fd, STDERR_FILENO);
	/* The host may block signals (signalfd) or handle them (ASan catches
	 * SIGSEGV): a crash or a Ctrl-C must end this child with its signal,
	 * which the parent reports. */
	for (size_t i = 0; i < sizeof(dfl_signals) / sizeof(dfl_signals[0]); i++)
		signal(dfl_signals[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The parent gone (SIGKILL), nobody wants the object: go too. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(PL_CC_EXIT_FATAL);

	uint64_t t0 = now_ns();
	void *h = load_shim(msg, sizeof(msg));
	pl_cc_compile_fn compile = h ? (pl_cc_compile_fn)dlsym(h, PL_CC_ENTRY) : NULL;
	if (h && !compile)
		snprintf(msg, sizeof(msg), "compiler library has no %s: %s", PL_CC_ENTRY,
			 dlerror());
	uint64_t t1 = now_ns();
	hdr.load_ns = t1 - t0;
	if (hooks && hooks->child_before_compile)
		hooks->child_before_compile();
	t1 = now_ns();

	if (compile) {
		hdr.status = compile(in, &out);
		hdr.compile_ns = now_ns() - t1;
	} else {
		hdr.status = -ENOENT;
		out.diag = msg;
		out.diag_len = strlen(msg);
	}
	hdr.obj_len = hdr.status ? 0 : out.obj_len;
	if (!getrusage(RUSAGE_SELF, &ru))
		hdr.maxrss_kb = (uint64_t)ru.ru_maxrss;
	hdr.diag_len = out.diag ? out.diag_len : 0;
	hdr.deps_len = hdr.status || !out.deps ? 0 : out.deps_len;
	if (write_all(out_fd, &hdr, sizeof(hdr)) ||
	    write_all(out_fd, out.obj, hdr.obj_len) ||
	    write_all(out_fd, out.diag, hdr.diag_len) ||
	    write_all(out_fd, out.deps, hdr.deps_len))
		_exit(1);
	/* No exit(): atexit handlers and stdio buffers belong to the parent. */
	_exit(0);
}

/* --- the parent ----------------------------------------------------------- */

/* Read LEN bytes at OFF of FD into a new NUL-terminated buffer. */
static char *read_at(int fd, off_t off, size_t len)
{
	char *buf = malloc(len + 1);
	size_t got = 0;

	if (!buf)
		return NULL;
	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, off + got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			errno = r < 0 ? errno : EIO;
			return NULL;
		}
		got += r;
	}
	buf[len] = '\0';
	return buf;
}

/* What the child printed (clang diagnostics before an LLVM fatal error,
 * LLVM's own messages), trimmed to MAX_CHILD_STDERR; "" if nothing. */
static char *child_stderr(int fd)
{
	struct stat st;
	size_t len;

	if (fstat(fd, &st))
		return strdup("");
	len = st.st_size > MAX_CHILD_STDERR ? MAX_CHILD_STDERR : (size_t)st.st_size;
	char *s = read_at(fd, 0, len);
	return s ?: strdup("");
}

/* "FILENAME: WHAT\nBODY", BODY without trailing blank lines; NULL if out of
 * memory. */
static char *join_msg(const char *filename, const char *what, const char *body)
{
	size_t n = body ? strlen(body) : 0;
	char *s;

	while (n && (body[n - 1] == '\n' || body[n - 1] == ' '))
		n--;
	if (asprintf(&s, "%s: %s%s%.*s\n", filename, what, n ? "\n" : "", (int)n, body) < 0)
		return NULL;
	return s;
}

/* Wait for the child PID; a Ctrl-C (pl_interrupt_pending) kills it rather
 * than waiting for the compile to end: -EINTR. A pidfd wakes us when it
 * ends; where there is none, we look every 10 ms. */
static int wait_child(pid_t pid, int *status)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), err = 0;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		if (pl_interrupt_pending()) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			err = -EINTR;
			break;
		}
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		if (pfd >= 0)
			poll(&p, 1, 100);   /* a signal ends the wait early (EINTR) */
		else
			poll(NULL, 0, 10);
	}
	if (pfd >= 0)
		close(pfd);
	return err;
}

int pl_cc_run_child(const struct pl_cc_input *in, const char *filename,
		    const struct pl_cc_child_hooks *hooks, struct pl_compile_result *res)
{
	struct child_result hdr;
	int out_fd = -1, err_fd = -1, status, err = 0;
	char *text = NULL, what[128];
	uint64_t t0 = now_ns();
	struct stat st;
	pid_t pid;

	out_fd = memfd_create("pktlua-cc-result", MFD_CLOEXEC);
	err_fd = memfd_create("pktlua-cc-stderr", MFD_CLOEXEC);
	if (out_fd < 0 || err_fd < 0) {
		err = -errno;
		goto out;
	}
	/* The child shares our stdio buffers: should anything in it call exit(),
	 * they must not be written out twice. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (pid == 0)
		child_main(in, hooks, out_fd, err_fd);
	if (hooks && hooks->parent_after_fork)
		hooks->parent_after_fork();

	err = wait_child(pid, &status);
	if (err == -EINTR) {
		res->diag = join_msg(filename, "compile interrupted", "");
		goto out;
	}
	if (err)
		goto out;

	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		bool crash = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
			     sig == SIGABRT || sig == SIGTRAP || sig == SIGSYS;

		snprintf(what, sizeof(what), "compiler %s (signal %d, %s)",
			 crash ? "crashed" : "killed", sig, strsignal(sig));
		text = child_stderr(err_fd);
		res->diag = join_msg(filename, what, text);
		err = -ECHILD;
		goto out;
	}
	if (WEXITSTATUS(status) == PL_CC_EXIT_FATAL) {
		text = child_stderr(err_fd);
		res->diag = join_msg(filename, "compiler failed (LLVM fatal error)", text);
		err = -ECHILD;
		goto out;
	}

	ssize_t n = pread(out_fd, &hdr, sizeof(hdr), 0);
	if (n != (ssize_t)sizeof(hdr) || hdr.magic != CHILD_MAGIC || fstat(out_fd, &st) ||
	    (uint64_t)st.st_size != sizeof(hdr) + hdr.obj_len + hdr.diag_len + hdr.deps_len ||
	    hdr.status > 0) {
		snprintf(what, sizeof(what), "compiler exited without a result (status %d)",
			 WEXITSTATUS(status));
		text = child_stderr(err_fd);
		res->diag = join_msg(filename, what, text);
		err = -ECHILD;
		goto out;
	}

	res->diag = read_at(out_fd, sizeof(hdr) + hdr.obj_len, hdr.diag_len);
	if (!res->diag) {
		err = -errno;
		goto out;
	}
	err = hdr.status;
	if (!err) {
		res->obj = read_at(out_fd, sizeof(hdr), hdr.obj_len);
		if (!res->obj) {
			err = -errno;
			goto out;
		}
		res->obj_len = hdr.obj_len;
		if (hdr.deps_len) {
			res->deps = read_at(out_fd, sizeof(hdr) + hdr.obj_len + hdr.diag_len,
					    hdr.deps_len);
			if (!res->deps) {
				err = -errno;
				goto out;
			}
			res->deps_len = hdr.deps_len;
		}
	}
	pl_log(PL_LOG_DEBUG, "compiled %s: %.1f ms (shim load %.1f ms, clang %.1f ms, "
	       "peak RSS %.1f MB), %s",
	       filename, (now_ns() - t0) / 1e6, hdr.load_ns / 1e6, hdr.compile_ns / 1e6,
	       hdr.maxrss_kb / 1024.0,
	       err ? "failed" : "ok");
out:
	/* A failure of our own (memfd, fork, wait, memory) still explains itself. */
	if (err && !res->diag) {
		snprintf(what, sizeof(what), "cannot run the compiler: %s", strerror(-err));
		res->diag = join_msg(filename, what, "");
	}
	free(text);
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	return err;
}
