/* test_caps.c — bpf/caps.c: what each operation needs, the words for what
 * is missing, and dropping every capability (in a child, which then still
 * uses a map made before the drop and cannot make another). */
#include "bpf/caps.h"
#include "base/log.h"

#include "harness.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define C(x) PL_CAP(CAP_##x)

static void test_missing(void)
{
	/* CAP_SYS_ADMIN stands in for the three BPF ones, as in the kernel. */
	CHECK(pl_caps_missing_from(C(SYS_ADMIN), C(BPF) | C(PERFMON) | C(NET_ADMIN)) == 0);
	CHECK(pl_caps_missing_from(C(SYS_ADMIN), C(NET_RAW)) == C(NET_RAW));
	CHECK(pl_caps_missing_from(C(DAC_OVERRIDE), C(DAC_READ_SEARCH)) == 0);
	CHECK(pl_caps_missing_from(C(BPF), C(BPF) | C(PERFMON)) == C(PERFMON));
	CHECK(pl_caps_missing_from(C(BPF) | C(PERFMON), C(SYS_ADMIN)) == C(SYS_ADMIN));
	CHECK(pl_caps_missing_from(0, 0) == 0);
}

static void test_describe(void)
{
	char buf[128];

	CHECK(!strcmp(pl_caps_describe(0, buf, sizeof(buf)), "none"));
	CHECK(!strcmp(pl_caps_describe(C(BPF), buf, sizeof(buf)), "CAP_BPF"));
	/* The order is the list's, not the numbers'. */
	CHECK(!strcmp(pl_caps_describe(C(NET_ADMIN) | C(BPF), buf, sizeof(buf)),
		      "CAP_BPF and CAP_NET_ADMIN"));
	CHECK(!strcmp(pl_caps_describe(C(NET_ADMIN) | C(BPF) | C(PERFMON), buf, sizeof(buf)),
		      "CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN"));
	CHECK(!strcmp(pl_caps_describe(PL_CAP(CAP_CHOWN), buf, sizeof(buf)), "capability 0"));
	/* Truncated, still terminated. */
	CHECK(!strcmp(pl_caps_describe(C(BPF) | C(PERFMON), buf, 8), "CAP_BPF"));
}

static void test_needs(void)
{
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_TRACEPOINT, false) == (C(BPF) | C(PERFMON)));
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_PERF_EVENT, false) == (C(BPF) | C(PERFMON)));
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, false) == (C(BPF) | C(PERFMON)));
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_KPROBE, false) == (C(BPF) | C(PERFMON)));
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_XDP, false) == (C(BPF) | C(NET_ADMIN)));
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_SCHED_CLS, false) == (C(BPF) | C(NET_ADMIN)));
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_CGROUP_SOCK, false) == (C(BPF) | C(NET_ADMIN)));
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, false) == C(BPF));
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_CGROUP_SKB, false) == C(BPF));
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_SYSCALL, false) == C(BPF));
	/* kernel.unprivileged_bpf_disabled=0 lets anyone load these two. */
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, true) == 0);
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_CGROUP_SKB, true) == 0);
	CHECK(pl_caps_for_prog_type(BPF_PROG_TYPE_XDP, true) == (C(BPF) | C(NET_ADMIN)));

	CHECK(pl_caps_for_map_type(BPF_MAP_TYPE_HASH, false) == C(BPF));
	CHECK(pl_caps_for_map_type(BPF_MAP_TYPE_HASH, true) == 0);
	CHECK(pl_caps_for_map_type(BPF_MAP_TYPE_LRU_HASH, true) == C(BPF));
	CHECK(pl_caps_for_map_type(BPF_MAP_TYPE_DEVMAP, true) == (C(BPF) | C(NET_ADMIN)));
	CHECK(pl_caps_for_map_type(BPF_MAP_TYPE_SOCKHASH, false) == (C(BPF) | C(NET_ADMIN)));
}

static void test_explain(void)
{
	char buf[256];

	CHECK(pl_caps_explain_from(C(BPF) | C(PERFMON), C(BPF) | C(PERFMON), buf,
				   sizeof(buf)) == 0 && buf[0] == '\0');
	CHECK(pl_caps_explain_from(C(BPF) | C(PERFMON), C(BPF) | C(NET_ADMIN), buf,
				   sizeof(buf)) == 1);
	CHECK(!strcmp(buf, "needs CAP_NET_ADMIN (held: CAP_BPF and CAP_PERFMON)"));
	CHECK(pl_caps_explain_from(0, C(BPF) | C(PERFMON), buf, sizeof(buf)) == 1);
	CHECK(!strcmp(buf, "needs CAP_BPF and CAP_PERFMON (held: none)"));
	/* Only the capabilities pktlua ever needs are listed as held. */
	CHECK(pl_caps_explain_from(PL_CAP(CAP_CHOWN) | C(BPF), C(PERFMON), buf, sizeof(buf)) == 1);
	CHECK(!strcmp(buf, "needs CAP_PERFMON (held: CAP_BPF)"));
}

static long long status_hex(const char *field)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = strtoll(line + strlen(field), NULL, 16);
	if (f)
		fclose(f);
	return v;
}

/* In a child: make a map, drop everything, check every set is empty and
 * that the map still works while a new one cannot be made. Exit status:
 * the number of the first failed step, 0 when all passed. */
static int drop_child(bool root)
{
	int fd = -1;
	char err[256];
	__u32 k = 0;
	__u64 v = 7, got = 0;

	if (root) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pl_caps_t", 4, 8, 1, NULL);
		if (fd < 0)
			return 1;
	}
	if (pl_caps_dropped())
		return 2;
	if (pl_caps_drop_all(err, sizeof(err))) {
		fprintf(stderr, "drop: %s\n", err);
		return 3;
	}
	if (!pl_caps_dropped() || pl_caps_effective() != 0)
		return 4;
	if (status_hex("CapEff:") != 0 || status_hex("CapPrm:") != 0 ||
	    status_hex("CapInh:") != 0 || status_hex("CapAmb:") != 0)
		return 5;
	/* Root held CAP_SETPCAP: the bounding set is empty too. */
	if (root && status_hex("CapBnd:") != 0)
		return 6;
	if (pl_caps_drop_all(err, sizeof(err)))   /* twice is fine */
		return 7;
	if (root) {
		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY) || bpf_map_lookup_elem(fd, &k, &got) ||
		    got != 7)
			return 8;
		int fd2 = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pl_caps_t2", 4, 8, 1, NULL);
		if (fd2 >= 0 || (errno != EPERM && errno != EACCES))
			return 9;
	}
	return 0;
}

static void test_drop(void)
{
	bool root = geteuid() == 0;
	int status = -1;

	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0)
		_exit(drop_child(root));
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed at step %d",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* The parent kept its own. */
	CHECK(!pl_caps_dropped());
}

static libbpf_print_fn_t routed;

static void libbpf_says(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	routed(LIBBPF_WARN, fmt, ap);
	va_end(ap);
}

/* Without CAP_SYS_RESOURCE libbpf warns that it cannot raise
 * RLIMIT_MEMLOCK before anything is loaded: that is no reason for what
 * fails next, so it is not kept as one. */
static void test_memlock_warning_is_no_reason(void)
{
	pl_log_route_libbpf();
	routed = libbpf_set_print(NULL);
	libbpf_set_print(routed);
	CHECK(routed != NULL);
	if (!routed)
		return;
	pl_log_clear_libbpf_warning();
	libbpf_says("libbpf: Failed to bump RLIMIT_MEMLOCK (err = %d), you might need to do it "
		    "explicitly!\n", -1);
	CHECK(pl_log_libbpf_warning()[0] == '\0');
	libbpf_says("libbpf: map '%s': failed to create: %s\n", "counts", "Operation not permitted");
	CHECK(!strcmp(pl_log_libbpf_warning(), "map 'counts': failed to create: Operation not permitted"));
	pl_log_clear_libbpf_warning();
}

int main(void)
{
	RUN(test_missing);
	RUN(test_describe);
	RUN(test_needs);
	RUN(test_explain);
	RUN(test_drop);
	RUN(test_memlock_warning_is_no_reason);
	return pl_test_summary();
}
