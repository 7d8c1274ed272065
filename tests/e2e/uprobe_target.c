/* uprobe_target — a binary whose function the uprobe e2e test counts.
 * usage: uprobe_target N   (calls pl_target_fn N times) */
#include <stdlib.h>

__attribute__((noinline)) int pl_target_fn(int x)
{
	__asm__ volatile("" ::: "memory"); /* keep the calls */
	return x + 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1, s = 0;

	for (int i = 0; i < n; i++)
		s += pl_target_fn(i);
	return s == -1;
}
