/* harness.h — the smallest unit-test harness: CHECK, CHECK_EQ, summary. */
#ifndef PKTLUA_TEST_HARNESS_H
#define PKTLUA_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

extern int pl_test_failures, pl_test_checks;

#define CHECK(cond)                                                              \
	do {                                                                     \
		pl_test_checks++;                                                \
		if (!(cond)) {                                                   \
			pl_test_failures++;                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
		}                                                                \
	} while (0)

#define CHECK_MSG(cond, ...)                                                     \
	do {                                                                     \
		pl_test_checks++;                                                \
		if (!(cond)) {                                                   \
			pl_test_failures++;                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__,   \
				__LINE__, #cond);                                \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
		}                                                                \
	} while (0)

static inline int pl_test_contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle);
}

static inline const char *pl_test_str(const char *s)
{
	return s ? s : "(null)";
}

#define CHECK_STR_CONTAINS(hay, needle)                                          \
	CHECK_MSG(pl_test_contains((hay), (needle)), "'%s' not in:\n%s", (needle), \
		  pl_test_str(hay))

/* Run a test function, print its name. */
#define RUN(fn)                                                                  \
	do {                                                                     \
		int before = pl_test_failures;                                   \
		fn();                                                            \
		fprintf(stderr, "%s %s\n", pl_test_failures == before ? "ok  " : "FAIL", #fn); \
	} while (0)

/* Print the summary; return the exit status for main(). */
int pl_test_summary(void);

#endif
