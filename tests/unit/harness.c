#include "harness.h"

int pl_test_failures, pl_test_checks;

int pl_test_summary(void)
{
	fprintf(stderr, "%d checks, %d failed\n", pl_test_checks, pl_test_failures);
	return pl_test_failures ? 1 : 0;
}
