/* mounts.h — the kernel file systems pktlua needs, mounted on demand.
 *
 * A fresh machine may have neither tracefs (tracepoint ids, kprobe/uprobe
 * events) nor bpffs (pinning) mounted; bpftool and perf mount them the same
 * way. Mounts are made in the caller's mount namespace and left in place.
 *
 * Only what needs one mounts it, when it needs it: a tracepoint attach
 * mounts tracefs, pinning bpffs; loading and XDP, tc, socket and cgroup
 * programs need neither. Mounting takes CAP_SYS_ADMIN, which a user running
 * pktlua with only the capabilities of its work lacks, and `ip netns exec`
 * starts with a fresh /sys where neither is mounted. Failures are logged at
 * PL_LOG_INFO: the caller says what it needed the mount for. */
#ifndef PKTLUA_MOUNTS_H
#define PKTLUA_MOUNTS_H

#include <stddef.h>

#define PL_TRACEFS_DIR "/sys/kernel/tracing"

/* Mount tracefs at /sys/kernel/tracing and bpffs at /sys/fs/bpf unless
 * something of that type is already mounted there (per /proc/self/mounts).
 * Quiet when both are there. Returns 0, or the negative errno of the first
 * mount that failed (after trying both). */
int pl_mounts_ensure(void);

/* Mount only tracefs / only bpffs (as above). Returns 0 or a negative
 * errno (-EPERM: no CAP_SYS_ADMIN). */
int pl_mounts_ensure_tracefs(void);
int pl_mounts_ensure_bpffs(void);

/* The directory where tracefs is mounted: /sys/kernel/tracing, or the
 * debugfs automount /sys/kernel/debug/tracing; NULL if neither is. Static
 * string; looked up afresh on each call. */
const char *pl_tracefs_dir(void);

/* Whether a file system of type FSTYPE is mounted at DIR. */
int pl_is_mounted(const char *dir, const char *fstype);

/* The mount point of the cgroup v2 hierarchy (/sys/fs/cgroup, or
 * /sys/fs/cgroup/unified on hybrid v1/v2 systems), copied into BUF; returns
 * 0, or -ENOENT when no cgroup2 file system is mounted. */
int pl_cgroup2_dir(char *buf, size_t len);

#endif
