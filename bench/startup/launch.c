/* launch.c — time one run of a command: launch→"attached" line, launch→exit,
 * and peak RSS.
 *   launch MARKER CMD [ARGS...]
 * prints "ATTACHED_MS EXIT_MS MAXRSS_KB" on stdout (ATTACHED_MS is "-" when
 * the command never printed a line equal to MARKER); the command's own
 * stdout is read through a pipe (and dropped), its stderr goes to ours.
 * Launch is taken just before fork(); MAXRSS_KB is wait4()'s ru_maxrss,
 * the largest RSS of the command or any child it waited for — what
 * /usr/bin/time -f %M prints. Exit status: the command's.
 *
 * launch is a child subreaper: a process the command leaves behind (pktlua's
 * perf-event release helper, perf_release.h) becomes launch's child when
 * the command exits, and launch waits for it after taking the exit time, so
 * the kernel work it does cannot fall into the next run (of any tool). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	const char *marker;
	double t0, attached = -1;
	char buf[65536], line[4096];
	size_t linelen = 0;
	struct rusage ru;
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: launch MARKER CMD [ARGS...]\n");
		return 2;
	}
	marker = argv[1];
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		perror("launch: PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		perror("launch: pipe");
		return 1;
	}
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("launch: fork");
		return 1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "launch: cannot run %s: %m\n", argv[2]);
		_exit(127);
	}
	close(fds[1]);
	/* Every line, until EOF: the marker may come after other output
	 * ("Attaching 2 probes..."). */
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (linelen < sizeof(line) - 1)
					line[linelen++] = buf[i];
				continue;
			}
			line[linelen] = '\0';
			linelen = 0;
			if (attached < 0 && !strcmp(line, marker))
				attached = now_ms() - t0;
		}
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("launch: wait4");
		return 1;
	}
	double exited = now_ms() - t0;
	while (wait(NULL) > 0)          /* whatever the command left behind */
		;

	if (attached < 0)
		printf("- %.2f %ld\n", exited, ru.ru_maxrss);
	else
		printf("%.2f %.2f %ld\n", attached, exited, ru.ru_maxrss);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
