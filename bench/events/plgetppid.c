/* plgetppid.c — the benchmark's producer: N getppid() system calls, at most
 * RATE per second when RATE is given (paced in steps of 1000 calls). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	double rate = argc > 2 ? atof(argv[2]) : 0;
	struct timespec a, b;
	double s = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		syscall(SYS_getppid);
		if (rate > 0 && i % 1000 == 999) {
			do {
				clock_gettime(CLOCK_MONOTONIC, &b);
				s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
			} while ((double)(i + 1) / rate > s);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	fprintf(stderr, "producer: %ld getppid() in %.3f s (%.0f/s)\n", n, s, (double)n / s);
	return 0;
}
