/* caps.h — Linux capabilities: which ones pktlua holds, which ones each BPF
 * operation needs on this kernel, the words that name the missing ones, and
 * dropping them all once everything is loaded and attached.
 *
 * pktlua needs no root, only the capabilities its work needs; when the
 * kernel refuses, the message names exactly the one that is missing. What
 * the kernel demands (Linux 6.x, kernel/bpf/syscall.c, kernel/events/):
 *
 *   CAP_BPF              loading any program, making maps, loading BTF
 *                        (when kernel.unprivileged_bpf_disabled is not 0,
 *                        as on every distribution now)
 *   CAP_PERFMON          loading tracing programs (tracepoint, raw_tp,
 *                        tp_btf, perf_event, kprobe, fentry...), opening
 *                        system-wide perf events (tracepoints, samplers)
 *   CAP_NET_ADMIN        loading XDP, tc and cgroup programs, maps of
 *                        sockets and devices, attaching to cgroups
 *   CAP_NET_RAW          the packet socket a socket filter is attached to
 *   CAP_SYS_ADMIN        uprobes and USDT probes (the kernel's uprobe perf
 *                        events still check it), mounting tracefs; it also
 *                        stands in for CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN
 *   CAP_DAC_READ_SEARCH  reading tracefs when it is mode 0700 (the
 *                        tracepoint ids libbpf looks up); CAP_DAC_OVERRIDE
 *                        also does
 *
 * Capabilities are the numbers of <linux/capability.h>; sets are bit masks
 * (PL_CAP(CAP_BPF) | ...). Plain C, raw capget/capset/prctl: no libcap. */
#ifndef PKTLUA_CAPS_H
#define PKTLUA_CAPS_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define PL_CAP(cap) (UINT64_C(1) << (cap))

/* The effective set of the calling thread (0 if it cannot be read). */
uint64_t pl_caps_effective(void);

/* Of NEEDED, what a process holding HELD lacks, as the kernel judges it:
 * CAP_SYS_ADMIN stands in for CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN
 * (bpf_capable(), perfmon_capable(), bpf_net_capable()), CAP_DAC_OVERRIDE
 * for CAP_DAC_READ_SEARCH. pl_caps_missing() uses the effective set. */
uint64_t pl_caps_missing_from(uint64_t held, uint64_t needed);
uint64_t pl_caps_missing(uint64_t needed);

/* "CAP_BPF", "CAP_BPF and CAP_NET_ADMIN", "CAP_BPF, CAP_PERFMON and
 * CAP_NET_ADMIN", "none" for 0, in BUF; returns BUF. */
const char *pl_caps_describe(uint64_t caps, char *buf, size_t len);

/* What loading a program of PROG_TYPE (enum bpf_prog_type) / making a map
 * of MAP_TYPE (enum bpf_map_type) needs. UNPRIV_BPF is
 * kernel.unprivileged_bpf_disabled == 0: then socket filters, cgroup_skb
 * programs and the plain map types need no CAP_BPF (pl_caps_unpriv_bpf()
 * reads the sysctl). */
uint64_t pl_caps_for_prog_type(int prog_type, bool unpriv_bpf);
uint64_t pl_caps_for_map_type(int map_type, bool unpriv_bpf);
bool pl_caps_unpriv_bpf(void);

/* If this process lacks any of NEEDED: "needs CAP_X (held: CAP_BPF,
 * CAP_PERFMON)" in BUF (the held ones among those pktlua ever needs, or
 * "held: none") and 1. Otherwise "" and 0. */
int pl_caps_explain(uint64_t needed, char *buf, size_t len);
/* The same for a process holding HELD (unit tests). */
int pl_caps_explain_from(uint64_t held, uint64_t needed, char *buf, size_t len);

/* Drop every capability of the process for good: the effective, permitted,
 * inheritable and ambient sets become empty, and the bounding set too when
 * CAP_SETPCAP allows (so no exec gets any back, uid 0's included). What is
 * already loaded and attached keeps working: maps, links, ring and perf
 * buffers are used through their file descriptors, which need none.
 * Capabilities belong to threads: with more than one thread nothing is
 * changed and -EBUSY comes back. Returns 0 (also when there was nothing to
 * drop) or a negative errno with ERR saying what failed. Afterwards
 * pl_caps_dropped() is true, and the loader and pl_attach() refuse with
 * PL_CAPS_DROPPED_MSG. */
int pl_caps_drop_all(char *err, size_t errlen);
bool pl_caps_dropped(void);

#define PL_CAPS_DROPPED_MSG \
	"capabilities were dropped (bpf.drop_caps() or --drop-caps): load and attach everything before dropping them"

#endif
