/* attach.h — attaching loaded programs to their hooks.
 *
 * Each attach kind is a small vtable in its own file (attach_<kind>.c),
 * listed in one table in attach.c. The kind is chosen from the program's
 * SEC() name; opts fill in or override the target named there.
 *
 * Everything is link- or fd-based, so nothing outlives the process, SIGKILL
 * included: XDP through BPF_LINK_CREATE, tc through tcx links
 * (BPF_TCX_INGRESS/EGRESS), perf events and socket filters through fds. */
#ifndef PKTLUA_ATTACH_H
#define PKTLUA_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_program;

/* Zero means "default" / "from SEC()" everywhere; one field per key of the
 * Lua table given to prog:attach{...}. */
struct pl_attach_opts {
	const char *iface;      /* xdp, tc, socket: interface name */
	const char *direction;  /* tc: "ingress" (default) or "egress" */
	bool first;             /* tc: run before the interface's other tc programs
				 * in that direction (tcx BPF_F_BEFORE), not after */
	const char *mode;       /* xdp: "skb" or "native"; NULL lets the kernel choose */
	const char *binary;     /* uprobe, usdt: path, or a name looked up in PATH */
	const char *symbol;     /* uprobe: function name */
	uint64_t offset;        /* uprobe: offset from symbol (or address if no symbol) */
	bool retprobe;          /* uprobe: attach as uretprobe */
	int pid;                /* uprobe, usdt, perf_event: 0 = every process */
	const char *provider;   /* usdt */
	const char *name;       /* usdt probe name */
	const char *cgroup;     /* cgroup_skb/...: cgroup v2 directory */
	const char *tracepoint; /* tracepoint: "category/name", overrides SEC() */
	uint64_t freq;          /* perf_event: samples per second (default 99) */
	uint64_t period;        /* perf_event: events per sample, instead of freq */
	const char *event;      /* perf_event: "cpu-clock" (default), "cpu-cycles", ... */
	uint64_t cookie;        /* uprobe: the value bpf_get_attach_cookie() returns */
};

struct pl_link; /* one attachment; may hold several kernel links (perf: one per CPU) */

/* Attach PROG. Returns 0 and a new *link, or a negative errno with ERR set to
 * one line naming the program, the target and the reason, e.g.
 * "xdp attach to 'eth9': no such interface". */
int pl_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
	      struct pl_link **link, char *err, size_t errlen);

/* Detach and free. Idempotent on NULL. */
void pl_link__destroy(struct pl_link *link);

/* Detach and free the N links at once (NULL entries are skipped): their
 * kernel-side waits overlap instead of adding up. Returns when all are gone;
 * LINKS itself stays the caller's. */
void pl_link__destroy_all(struct pl_link **links, size_t n);

/* Human description, e.g. "xdp on lo (skb)", "tracepoint syscalls/sys_enter_openat". */
const char *pl_link__describe(const struct pl_link *link);

/* The I-th event name attach{event = ...} takes for perf_event programs
 * (aliases included), with its perf type (PERF_TYPE_SOFTWARE/HARDWARE) and
 * config; NULL past the last. For pktlua -l. */
const char *pl_perf_event__at(size_t i, uint32_t *type, uint64_t *config);

/* The attach kind's name for PROG's SEC() ("xdp", "tc", "tracepoint", ...),
 * or NULL if pktlua does not know how to attach it. */
const char *pl_attach_kind_name(const struct bpf_program *prog);

#endif
