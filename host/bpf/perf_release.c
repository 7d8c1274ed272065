/* perf_release.c — the kernel's slow release of perf events, off the exit
 * (see perf_release.h). */
#include "bpf/perf_release.h"

#include "base/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The helper gives up waiting for the caller's exit after this long and
 * releases the events anyway (a caller stuck in its teardown still gets
 * its events released). */
#define HELPER_WAIT_MS 10000

struct fds {
	int *all, *perf;
	size_t nall, nperf;
};

static void fds_free(struct fds *f)
{
	free(f->all);
	free(f->perf);
	memset(f, 0, sizeof(*f));
}

/* Every open fd of the process, and which of them are perf events. */
static int list_fds(struct fds *f)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t cap = 0;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[64], target[64];
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end || end == e->d_name || fd == dirfd(d))
			continue;
		if (f->nall == cap) {
			cap = cap ? 2 * cap : 64;
			int *all = realloc(f->all, cap * sizeof(*all));
			int *perf = realloc(f->perf, cap * sizeof(*perf));
			if (all)
				f->all = all;
			if (perf)
				f->perf = perf;
			if (!all || !perf) {
				rc = -ENOMEM;
				break;
			}
		}
		f->all[f->nall++] = (int)fd;
		snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (!strcmp(target, "anon_inode:[perf_event]"))
				f->perf[f->nperf++] = (int)fd;
		}
	}
	closedir(d);
	if (rc)
		fds_free(f);
	return rc;
}

static bool is_in(const int *v, size_t n, int x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* A mapping of a BPF map (a ring buffer, an mmapable array) holds the map;
 * the helper must not keep any alive. */
static void unmap_bpf_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;

		if (strstr(line, "anon_inode:bpf-map") && sscanf(line, "%lx-%lx", &start, &end) == 2)
			munmap((void *)start, end - start);
	}
	fclose(f);
}

/* In the forked helper: keep the perf events and the two pipe ends, tell
 * the caller, wait for its exit, release the events. Never returns. */
static void helper(const struct fds *f, int hold_rd, int ready_wr)
{
	struct pollfd p = { .fd = hold_rd, .events = POLLIN };
	char c = 1;

	for (size_t i = 0; i < f->nall; i++)
		if (f->all[i] != hold_rd && f->all[i] != ready_wr &&
		    !is_in(f->perf, f->nperf, f->all[i]))
			close(f->all[i]);
	unmap_bpf_maps();
	if (write(ready_wr, &c, 1) != 1)
		_exit(1);
	close(ready_wr);
	/* A Ctrl-C meant for pktlua (its process group's) does not cut the
	 * helper short, nor runs pktlua's handlers in it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	while (poll(&p, 1, HELPER_WAIT_MS) < 0 && errno == EINTR)
		;
	for (size_t i = 0; i < f->nperf; i++)
		close(f->perf[i]);                /* the slow part */
	_exit(0);
}

int pl_perf_release_defer(pid_t *helper_pid)
{
	const char *sync = getenv(PL_SYNC_DETACH_ENV);
	int hold[2] = { -1, -1 }, ready[2] = { -1, -1 };
	struct fds f;
	ssize_t n;
	char c;
	int rc;

	if (sync && *sync && strcmp(sync, "0"))
		return 0;
	rc = list_fds(&f);
	if (rc)
		return rc;
	if (!f.nperf) {
		fds_free(&f);
		return 0;
	}
	if (pipe2(hold, O_CLOEXEC) || pipe2(ready, O_CLOEXEC)) {
		rc = -errno;
		goto fail;
	}
	/* The pipes were made after the listing: add them, so the helper's
	 * sweep knows them (it keeps its own two ends, closes ours). */
	int *all = realloc(f.all, (f.nall + 4) * sizeof(*all));
	if (!all) {
		rc = -ENOMEM;
		goto fail;
	}
	f.all = all;
	f.all[f.nall++] = hold[1];
	f.all[f.nall++] = ready[0];
	fflush(NULL);                 /* nothing buffered is written twice */
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto fail;
	}
	if (pid == 0)
		helper(&f, hold[0], ready[1]);
	close(hold[0]);
	close(ready[1]);
	while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(ready[0]);
	if (n != 1) {
		/* The helper died before it let go of the rest: it holds
		 * nothing now, the teardown pays the wait as before. */
		close(hold[1]);
		fds_free(&f);
		return -ECHILD;
	}
	/* hold[1] stays open until this process exits: its end is the
	 * helper's signal. */
	pl_log(PL_LOG_DEBUG, "perf events: %zu left to helper %d to release after exit", f.nperf,
	       (int)pid);
	fds_free(&f);
	if (helper_pid)
		*helper_pid = pid;
	return 1;

fail:
	for (int i = 0; i < 2; i++) {
		if (hold[i] >= 0)
			close(hold[i]);
		if (ready[i] >= 0)
			close(ready[i]);
	}
	fds_free(&f);
	return rc;
}
