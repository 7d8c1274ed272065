/* caps.c — the capabilities pktlua holds and needs, named; dropping them.
 *
 * Raw capget/capset/prctl rather than libcap: reading one mask and
 * emptying every set are three system calls, and libcap's cap_t API would
 * add a dependency and allocations around them without doing more (it,
 * too, changes only the calling thread's sets). */
#include "bpf/caps.h"

#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static bool dropped;

/* Those pktlua may need, in the order messages list them. */
static const struct {
	int cap;
	const char *name;
} known[] = {
	{ CAP_BPF, "CAP_BPF" },
	{ CAP_PERFMON, "CAP_PERFMON" },
	{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	{ CAP_NET_RAW, "CAP_NET_RAW" },
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	{ CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
	{ CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE" },
	{ CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE" },
	{ CAP_SETPCAP, "CAP_SETPCAP" },
};

#define NR_KNOWN (sizeof(known) / sizeof(known[0]))

static int capget_v3(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	memset(data, 0, 2 * sizeof(*data));
	return syscall(SYS_capget, &hdr, data) ? -errno : 0;
}

uint64_t pl_caps_effective(void)
{
	struct __user_cap_data_struct data[2];

	if (capget_v3(data))
		return 0;
	return (uint64_t)data[1].effective << 32 | data[0].effective;
}

uint64_t pl_caps_missing_from(uint64_t held, uint64_t needed)
{
	/* The kernel's bpf_capable(), perfmon_capable() and bpf_net_capable()
	 * accept CAP_SYS_ADMIN too; DAC_OVERRIDE reads what DAC_READ_SEARCH
	 * reads. */
	if (held & PL_CAP(CAP_SYS_ADMIN))
		held |= PL_CAP(CAP_BPF) | PL_CAP(CAP_PERFMON) | PL_CAP(CAP_NET_ADMIN);
	if (held & PL_CAP(CAP_DAC_OVERRIDE))
		held |= PL_CAP(CAP_DAC_READ_SEARCH);
	return needed & ~held;
}

uint64_t pl_caps_missing(uint64_t needed)
{
	return pl_caps_missing_from(pl_caps_effective(), needed);
}

const char *pl_caps_describe(uint64_t caps, char *buf, size_t len)
{
	const char *names[64];
	char other[64][16];
	size_t n = 0, used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < NR_KNOWN; i++)
		if (caps & PL_CAP(known[i].cap)) {
			names[n++] = known[i].name;
			caps &= ~PL_CAP(known[i].cap);
		}
	for (int c = 0; c < 64 && caps; c++)
		if (caps & PL_CAP(c)) {
			snprintf(other[n], sizeof(other[n]), "capability %d", c);
			names[n] = other[n];
			n++;
			caps &= ~PL_CAP(c);
		}
	if (!n) {
		snprintf(buf, len, "none");
		return buf;
	}
	for (size_t i = 0; i < n && used < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
		int w = snprintf(buf + used, len - used, "%s%s", sep, names[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* kernel/bpf/syscall.c: is_net_admin_prog_type(), is_perfmon_prog_type(),
 * and the unprivileged types bpf_prog_load() lets through when
 * kernel.unprivileged_bpf_disabled is 0. Types newer than Debian 12's UAPI
 * header by number: 32 BPF_PROG_TYPE_NETFILTER. */
uint64_t pl_caps_for_prog_type(int prog_type, bool unpriv_bpf)
{
	uint64_t caps = PL_CAP(CAP_BPF);

	switch (prog_type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
	case BPF_PROG_TYPE_CGROUP_SKB:
		if (unpriv_bpf)
			caps = 0;
		break;
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
	case BPF_PROG_TYPE_XDP:
	case BPF_PROG_TYPE_LWT_IN:
	case BPF_PROG_TYPE_LWT_OUT:
	case BPF_PROG_TYPE_LWT_XMIT:
	case BPF_PROG_TYPE_LWT_SEG6LOCAL:
	case BPF_PROG_TYPE_SK_SKB:
	case BPF_PROG_TYPE_SK_MSG:
	case BPF_PROG_TYPE_FLOW_DISSECTOR:
	case BPF_PROG_TYPE_CGROUP_DEVICE:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
	case BPF_PROG_TYPE_SOCK_OPS:
	case 32: /* BPF_PROG_TYPE_NETFILTER */
		caps |= PL_CAP(CAP_NET_ADMIN);
		break;
	case BPF_PROG_TYPE_KPROBE:
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_PERF_EVENT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE:
	case BPF_PROG_TYPE_TRACING:
	case BPF_PROG_TYPE_LSM:
	case BPF_PROG_TYPE_STRUCT_OPS:
		caps |= PL_CAP(CAP_PERFMON);
		break;
	case BPF_PROG_TYPE_EXT:  /* extends any program: both */
		caps |= PL_CAP(CAP_PERFMON) | PL_CAP(CAP_NET_ADMIN);
		break;
	default:
		break;
	}
	return caps;
}

/* kernel/bpf/syscall.c: map_create(). */
uint64_t pl_caps_for_map_type(int map_type, bool unpriv_bpf)
{
	switch (map_type) {
	case BPF_MAP_TYPE_SOCKMAP:
	case BPF_MAP_TYPE_SOCKHASH:
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_XSKMAP:
		return PL_CAP(CAP_BPF) | PL_CAP(CAP_NET_ADMIN);
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_CGROUP_ARRAY:
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
	case BPF_MAP_TYPE_CGROUP_STORAGE:
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
		return unpriv_bpf ? 0 : PL_CAP(CAP_BPF);
	default:
		return PL_CAP(CAP_BPF);
	}
}

bool pl_caps_unpriv_bpf(void)
{
	FILE *f = fopen("/proc/sys/kernel/unprivileged_bpf_disabled", "re");
	int v = 1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 1;
		fclose(f);
	}
	return v == 0;
}

int pl_caps_explain_from(uint64_t held, uint64_t needed, char *buf, size_t len)
{
	uint64_t missing = pl_caps_missing_from(held, needed);
	uint64_t relevant = 0;
	char need[160], have[256];

	if (len)
		buf[0] = '\0';
	if (!missing)
		return 0;
	for (size_t i = 0; i < NR_KNOWN; i++)
		relevant |= PL_CAP(known[i].cap);
	pl_caps_describe(missing, need, sizeof(need));
	pl_caps_describe(held & relevant, have, sizeof(have));
	snprintf(buf, len, "needs %s (held: %s)", need, have);
	return 1;
}

int pl_caps_explain(uint64_t needed, char *buf, size_t len)
{
	return pl_caps_explain_from(pl_caps_effective(), needed, buf, len);
}

/* ---- dropping ------------------------------------------------------------- */

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int v = 63;

	if (f) {
		if (fscanf(f, "%d", &v) != 1 || v < 0 || v > 63)
			v = 63;
		fclose(f);
	}
	return v;
}

/* The value of FIELD ("Threads:", "CapEff:") in a status file, or -1. */
static long long status_field(const char *path, const char *field, int base)
{
	char line[256];
	long long v = -1;
	size_t n = strlen(field);
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n)) {
			v = strtoll(line + n, NULL, base);
			break;
		}
	fclose(f);
	return v;
}

/* Every thread's effective and permitted sets are empty. */
static bool all_threads_empty(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	bool ok = true;

	if (!d)   /* no /proc: this thread's word */
		return pl_caps_effective() == 0;
	while (ok && (e = readdir(d))) {
		char path[300];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		ok = status_field(path, "CapEff:", 16) == 0 &&
		     status_field(path, "CapPrm:", 16) == 0;
	}
	closedir(d);
	return ok;
}

int pl_caps_drop_all(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	long long threads = status_field("/proc/self/status", "Threads:", 10);
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	if (threads > 1) {
		snprintf(err, errlen, "cannot drop capabilities: pktlua runs %lld threads and "
			 "capabilities belong to each thread", threads);
		return -EBUSY;
	}
	/* The bounding set first (it takes CAP_SETPCAP, about to go): then no
	 * exec, not even of a set-uid-root or file-capability binary or by uid
	 * 0, gets anything back. */
	if (pl_caps_effective() & PL_CAP(CAP_SETPCAP))
		for (int c = last_cap(); c >= 0; c--)
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL) {
				rc = -errno;
				snprintf(err, errlen, "cannot drop capability %d from the bounding "
					 "set: %s", c, strerror(-rc));
				return rc;
			}
	/* Ambient capabilities (how setpriv and systemd hand them to a
	 * non-root user) come back on exec unless cleared; EINVAL: a kernel
	 * before 4.3 has none. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		rc = -errno;
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(-rc));
		return rc;
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data)) {
		rc = -errno;
		snprintf(err, errlen, "cannot drop capabilities: capset: %s", strerror(-rc));
		return rc;
	}
	if (!all_threads_empty()) {
		snprintf(err, errlen, "capabilities are still held after capset (another thread?)");
		return -EBUSY;
	}
	dropped = true;
	return 0;
}

bool pl_caps_dropped(void)
{
	return dropped;
}
