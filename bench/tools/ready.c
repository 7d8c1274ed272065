/* ready.c — how long a tool takes to be ready: launch → the first line of
 * its output (stdout and stderr) that contains MARKER; then Ctrl-C (SIGINT)
 * and wait for it to end.
 *   ready MARKER CMD [ARGS...]
 * MARKER "#N" waits for N lines instead (bpftrace's first line, "Attaching
 * N probes...", comes before the probes are attached: "#2").
 * prints "READY_MS" on stdout ("-" if the command ended without printing
 * MARKER, with its output on stderr). Launch is taken just before fork(). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
	char buf[65536], all[65536];
	size_t used = 0;
	int fd[2], status;

	if (argc < 3) {
		fprintf(stderr, "usage: ready MARKER CMD [ARGS...]\n");
		return 2;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe(fd))
		return 1;
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	close(fd[1]);
	double ready = -1;
	ssize_t n;
	while ((n = read(fd[0], buf, sizeof(buf) - 1)) > 0) {
		buf[n] = 0;
		if (used + (size_t)n < sizeof(all) - 1) {
			memcpy(all + used, buf, (size_t)n);
			used += (size_t)n;
			all[used] = 0;
		}
		int lines = 0;
		for (size_t i = 0; i < used; i++)
			lines += all[i] == '\n';
		bool hit = argv[1][0] == '#' ? lines >= atoi(argv[1] + 1) : strstr(all, argv[1]) != NULL;
		if (ready < 0 && hit) {
			ready = now_ms() - t0;
			kill(pid, SIGINT);
		}
	}
	waitpid(pid, &status, 0);
	while (waitpid(-1, NULL, 0) > 0)        /* helpers the tool left behind */
		;
	if (ready < 0) {
		fprintf(stderr, "%s", all);
		printf("-\n");
		return 1;
	}
	printf("%.1f\n", ready);
	return 0;
}
