/* workload.c — what the observer-cost benchmark times, in-process:
 *   workload openat N      N open("/dev/null") + close
 *   workload exec N        N fork + exec of /bin/true, each waited for
 *   workload syscalls N    N getppid() system calls
 * prints the elapsed milliseconds. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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
	if (argc < 3)
		return 2;
	long n = atol(argv[2]);
	double t0 = now_ms();

	if (!strcmp(argv[1], "openat")) {
		for (long i = 0; i < n; i++) {
			int fd = open("/dev/null", O_RDONLY);
			if (fd >= 0)
				close(fd);
		}
	} else if (!strcmp(argv[1], "exec")) {
		for (long i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			waitpid(p, NULL, 0);
		}
	} else if (!strcmp(argv[1], "syscalls")) {
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
	} else {
		return 2;
	}
	printf("%.1f\n", now_ms() - t0);
	return 0;
}
