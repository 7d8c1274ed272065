/* test_perf_release.c — the perf-event release helper keeps the perf events
 * and nothing else, waits for its caller's exit, then goes.
 *
 * A "caller" child opens a software perf event (no BPF needed), a file and
 * an anonymous mapping, and calls pl_perf_release_defer(); this process (a
 * child subreaper, so the orphaned helper comes back to it) looks at the
 * helper's fds while the caller lives, then lets the caller exit and waits
 * for the helper. Skips (77) where perf_event_open is not allowed. */
#include "bpf/perf_release.h"
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int open_sw_event(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE, .size = sizeof(attr),
		.config = PERF_COUNT_SW_DUMMY, .disabled = 1,
	};

	return (int)syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* The helper's fds, as "perf" / "pipe" / "other:TARGET" words. */
static void helper_fds(pid_t pid, int *perf, int *pipes, int *other, char *others, size_t len)
{
	char dir[64], path[320], target[256];
	struct dirent *e;
	DIR *d;

	*perf = *pipes = *other = 0;
	others[0] = '\0';
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, "anon_inode:[perf_event]"))
			(*perf)++;
		else if (!strncmp(target, "pipe:", 5))
			(*pipes)++;
		else {
			(*other)++;
			snprintf(others + strlen(others), len - strlen(others), " %s=%s", e->d_name, target);
		}
	}
	closedir(d);
}

static void helper_holds_only_the_events(void)
{
	int to_test[2], from_test[2];
	pid_t caller, helper = 0;

	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	CHECK(pipe(to_test) == 0 && pipe(from_test) == 0);
	caller = fork();
	if (caller == 0) {
		int ev1 = open_sw_event(), ev2 = open_sw_event();
		int file = open("/proc/self/status", O_RDONLY);   /* not a perf event: must go */
		pid_t h = 0;
		char c;

		(void)file;
		if (ev1 < 0 || ev2 < 0)
			_exit(77);
		close(to_test[0]);
		close(from_test[1]);
		int rc = pl_perf_release_defer(&h);
		if (rc != 1 || write(to_test[1], &h, sizeof(h)) != sizeof(h))
			_exit(1);
		/* Live on until told: the helper must wait for this exit. */
		if (read(from_test[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(to_test[1]);
	close(from_test[0]);
	ssize_t n = read(to_test[0], &helper, sizeof(helper));
	if (n != sizeof(helper)) {
		int st;
		waitpid(caller, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			fprintf(stderr, "SKIPPED: perf_event_open is not allowed here\n");
			exit(77);
		}
		CHECK_MSG(0, "the caller did not report a helper (exit %d)", WEXITSTATUS(st));
		return;
	}

	int perf, pipes, other;
	char others[1024];
	/* The helper closes its end of the "ready" pipe just after writing
	 * to it: look again for a moment if it still has it. */
	for (int i = 0; i < 100; i++) {
		struct timespec ms10 = { 0, 10 * 1000000L };
		helper_fds(helper, &perf, &pipes, &other, others, sizeof(others));
		if (pipes == 1)
			break;
		nanosleep(&ms10, NULL);
	}
	CHECK_MSG(perf == 2, "helper holds %d perf events, want 2", perf);
	CHECK_MSG(pipes == 1, "helper holds %d pipes, want 1 (its wait)", pipes);
	CHECK_MSG(other == 0, "helper holds other fds:%s", others);

	/* Still there while the caller lives. */
	struct timespec ms100 = { 0, 100 * 1000000L };
	nanosleep(&ms100, NULL);
	CHECK_MSG(kill(helper, 0) == 0, "the helper went before its caller");

	/* The caller exits: the helper follows, on its own. */
	CHECK(write(from_test[1], "x", 1) == 1);
	int st = -1;
	CHECK(waitpid(caller, &st, 0) == caller && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pid_t got = -1;
	for (int i = 0; i < 100 && got != helper; i++) {
		got = waitpid(helper, &st, WNOHANG);
		if (got != helper)
			nanosleep(&ms100, NULL);
	}
	CHECK_MSG(got == helper, "the helper did not exit after its caller");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void nothing_to_defer(void)
{
	pid_t h = -1;

	/* No perf event open here: no helper. */
	CHECK(pl_perf_release_defer(&h) == 0);
	CHECK(h == -1);
}

static void sync_detach_turns_it_off(void)
{
	int ev = open_sw_event();
	pid_t h = -1;

	if (ev < 0)
		return;
	setenv(PL_SYNC_DETACH_ENV, "1", 1);
	CHECK(pl_perf_release_defer(&h) == 0);
	CHECK(h == -1);
	unsetenv(PL_SYNC_DETACH_ENV);
	close(ev);
}

int main(void)
{
	RUN(nothing_to_defer);
	RUN(sync_detach_turns_it_off);
	RUN(helper_holds_only_the_events);
	return pl_test_summary();
}
