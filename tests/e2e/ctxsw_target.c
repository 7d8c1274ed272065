/* ctxsw_target — a process whose context switches a test can count.
 * usage: ctxsw_target N PIDFILE
 * Writes its pid to PIDFILE, sleeps in pause() until SIGUSR1, then sleeps
 * 1 ms N times (N voluntary context switches), then pause()s again (one
 * more) until SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	struct timespec ms = { 0, 1000000 };
	sigset_t block, old;

	if (argc < 3)
		return 2;
	signal(SIGUSR1, on_usr1);
	/* Block SIGUSR1 until pause's twin, sigsuspend(), waits for it. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	FILE *f = fopen(argv[2], "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	while (!go)
		sigsuspend(&old);
	for (int i = 0; i < n; i++)
		nanosleep(&ms, NULL);
	pause();
	return 0;
}
