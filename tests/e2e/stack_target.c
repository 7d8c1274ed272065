/* stack_target — a process that spins in functions with known names, for
 * the stack-symbol cases. Built with frame pointers (tests/CMakeLists.txt),
 * as a PIE and as a non-PIE executable, and linked to libpl_stacklib.so.
 *
 *   stack_target [WAIT_MS [SPIN_MS [lib]]]
 *
 * Sleeps WAIT_MS (default 200: time for the sampler to attach), then spins
 * SPIN_MS of CPU time (default 400) in pl_spin_outer -> pl_spin_middle -> pl_spin_inner,
 * or with "lib" in pl_lib_outer -> pl_lib_spin of the shared library, or
 * with "sleep" sleeps that long in 10 ms naps in pl_sleep_outer ->
 * pl_sleep_inner (off CPU, for offcputime), and exits. The middle function has a C++ name (pl::spin_middle(long)), for
 * demangling; a USDT probe pktlua_test:spin (args: wait, spin) fires
 * before the spin, for the listing. */
#include <stdlib.h>
#include <sys/sdt.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void pl_lib_outer(long ms);

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Spins are measured in CPU time, so a loaded machine still gives the
 * sampler the same number of on-CPU samples. */
static long cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

volatile unsigned long pl_sink;

__attribute__((noinline)) void pl_spin_inner(long until)
{
	while (cpu_ms() < until)
		for (int i = 0; i < 3000000; i++)
			pl_sink += (unsigned long)i * 7;
}

/* A C++ name, given from C: pktlua has exactly one C++ file. */
void pl_spin_middle(long until) __asm__("_ZN2pl11spin_middleEl");
__attribute__((noinline)) void pl_spin_middle(long until)
{
	pl_spin_inner(until);
	__asm__ volatile("" ::: "memory");   /* not a tail call */
}

__attribute__((noinline)) void pl_spin_outer(long until)
{
	pl_spin_middle(until);
	__asm__ volatile("" ::: "memory");
}

/* A 10 ms nap by a syscall made right here: through libc (no frame
 * pointers there) the frame-pointer walk would skip this function's frame. */
static inline void nap(void)
{
#if defined(__x86_64__)
	struct timespec ts = { 0, 10000000 };
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(35L /* nanosleep */), "D"(&ts), "S"(0L)
			 : "rcx", "r11", "memory");
	(void)ret;
#else
	usleep(10000);
#endif
}

__attribute__((noinline)) void pl_sleep_inner(long until)
{
	while (now_ms() < until)
		nap();
}

__attribute__((noinline)) void pl_sleep_outer(long until)
{
	pl_sleep_inner(until);
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	long wait = argc > 1 ? atol(argv[1]) : 200, spin = argc > 2 ? atol(argv[2]) : 400;

	usleep((useconds_t)wait * 1000);
	STAP_PROBE2(pktlua_test, spin, wait, spin);
	if (argc > 3 && !strcmp(argv[3], "lib"))
		pl_lib_outer(spin);
	else if (argc > 3 && !strcmp(argv[3], "sleep"))
		pl_sleep_outer(now_ms() + spin);
	else
		pl_spin_outer(cpu_ms() + spin);
	return 0;
}
