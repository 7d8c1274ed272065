/* stack_lib — the shared library of stack_target: a function to spin in
 * whose name must resolve through the library's load bias. */
#include <time.h>

volatile unsigned long pl_lib_sink;

static long lib_now_ms(void)     /* CPU time, as stack_target's spins */
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((noinline)) void pl_lib_spin(long until)
{
	while (lib_now_ms() < until)
		for (int i = 0; i < 3000000; i++)
			pl_lib_sink += (unsigned long)i * 3;
}

__attribute__((noinline)) void pl_lib_outer(long ms)
{
	pl_lib_spin(lib_now_ms() + ms);
	__asm__ volatile("" ::: "memory");
}
