/* test_attach.c — attach real programs to this kernel and see them fire.
 *
 * Compiles its BPF programs with pl_compile() (the shim is built next to the
 * pktlua binary), loads them with pl_object_load() and attaches them with
 * pl_attach(): tracepoint, raw_tp, tp_btf, uprobe/uretprobe and USDT on this
 * very binary, perf_event, and in a private network namespace XDP + tcx +
 * a socket filter on its lo, plus cgroup_skb. Then the error messages.
 * Needs root (exit 77 otherwise). */
#include "harness.h"

#include "base/log.h"
#include "bpf/attach.h"
#include "bpf/loader.h"
#include "bpf/mounts.h"
#include "compile/compiler.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_CALLS 37
#define N_PACKETS 23
#define UDP_PORT 40111

static int skipped;

static void skip(const char *what)
{
	fprintf(stderr, "skip: %s\n", what);
	skipped++;
}

/* ---- helpers -------------------------------------------------------------- */

static struct bpf_object *build(const char *src, const char *const *defines,
				const char *const *cflags)
{
	struct pl_compile_opts copts = {
		.filename = "test_attach.c", .defines = defines, .cflags = cflags,
	};
	struct pl_compile_result res;
	struct bpf_object *obj = NULL;
	char *msg = NULL;

	int err = pl_compile(src, strlen(src), &copts, &res);
	CHECK_MSG(err == 0, "compile: %d\n%s", err, pl_test_str(res.diag));
	if (!err) {
		err = pl_object_load(res.obj, res.obj_len, &(struct pl_load_opts){ .name = "t" },
				     &obj, &msg);
		CHECK_MSG(err == 0, "load: %d %s", err, pl_test_str(msg));
	}
	free(msg);
	pl_compile_result__free(&res);
	return obj;
}

static struct bpf_program *prog(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = obj ? bpf_object__find_program_by_name(obj, name) : NULL;

	CHECK_MSG(p != NULL, "no program '%s'", name);
	return p;
}

static uint64_t slot(struct bpf_object *obj, uint32_t k)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "hits");
	uint64_t v = 0;

	CHECK(m != NULL);
	if (m)
		CHECK(bpf_map__lookup_elem(m, &k, sizeof(k), &v, sizeof(v), 0) == 0);
	return v;
}

/* Attach; on failure say why. */
static struct pl_link *attach(struct bpf_program *p, const struct pl_attach_opts *opts)
{
	struct pl_link *link = NULL;
	char err[512];

	if (!p)
		return NULL;
	int rc = pl_attach(p, opts, &link, err, sizeof(err));
	CHECK_MSG(rc == 0 && link, "attach %s: %d %s", bpf_program__name(p), rc, err);
	return link;
}

/* Attach expecting failure RC with a message containing WANT. */
static void attach_fails(struct bpf_program *p, const struct pl_attach_opts *opts, int rc,
			 const char *want)
{
	struct pl_link *link = (struct pl_link *)1;
	char err[512];

	if (!p)
		return;
	int got = pl_attach(p, opts, &link, err, sizeof(err));
	CHECK_MSG(got == rc, "%s: rc %d, want %d (%s)", want, got, rc, err);
	CHECK(link == NULL);
	CHECK_STR_CONTAINS(err, want);
	CHECK_MSG(!strchr(err, '\n'), "not one line: %s", err);
	CHECK_STR_CONTAINS(err, bpf_program__name(p));
}

/* The output of a shell command (at most LEN-1 bytes). */
static void run(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;

	out[0] = '\0';
	if (!f)
		return;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	pclose(f);
}

static bool have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* How many BPF links in the kernel run PROG. */
static int links_of(struct bpf_program *p)
{
	struct bpf_prog_info pinfo = {};
	__u32 len = sizeof(pinfo), id = 0;
	int n = 0;

	if (!p || bpf_obj_get_info_by_fd(bpf_program__fd(p), &pinfo, &len))
		return -1;
	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = {};
		int fd = bpf_link_get_fd_by_id(id);

		len = sizeof(info);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.prog_id == pinfo.id)
			n++;
		close(fd);
	}
	return n;
}

/* ---- tracing: tracepoint, raw_tp, tp_btf, uprobes, usdt, perf_event ------ */

static const char tracing_src[] =
	"#include <vmlinux.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"struct {\n"
	"	__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"	__uint(max_entries, 8);\n"
	"	__type(key, __u32);\n"
	"	__type(value, __u64);\n"
	"} hits SEC(\".maps\");\n"
	"static __always_inline int bump(__u32 k)\n"
	"{\n"
	"	__u64 *v = bpf_map_lookup_elem(&hits, &k);\n"
	"	if (v) __sync_fetch_and_add(v, 1);\n"
	"	return 0;\n"
	"}\n"
	"static __always_inline int mine(void)\n"
	"{\n"
	"	return (bpf_get_current_pid_tgid() >> 32) == TEST_PID;\n"
	"}\n"
	"SEC(\"tracepoint/syscalls/sys_enter_getppid\")\n"
	"int on_getppid(void *ctx) { return mine() ? bump(0) : 0; }\n"
	"SEC(\"raw_tp/sys_enter\")\n"
	"int on_raw(struct bpf_raw_tracepoint_args *ctx)\n"
	"{ return mine() && ctx->args[1] == NR_GETPPID ? bump(1) : 0; }\n"
	"SEC(\"tp_btf/sys_enter\")\n"
	"int on_btf(__u64 *ctx) { return mine() && ctx[1] == NR_GETPPID ? bump(2) : 0; }\n"
	"SEC(\"uprobe\") int on_fn(void *ctx) { return bump(3); }\n"
	"SEC(\"uretprobe\") int on_fn_ret(void *ctx) { return bump(4); }\n"
	"SEC(\"usdt\") int on_usdt(void *ctx) { return 0; }\n"
	"SEC(\"perf_event\") int on_tick(void *ctx) { return mine() ? bump(6) : 0; }\n"
	"SEC(\"kprobe/do_sys_openat2\") int on_open(void *ctx) { return 0; }\n"
	"SEC(\"sk_msg\") int on_msg(void *ctx) { return 1; }\n"
	"SEC(\"socket\") int on_sock(void *ctx) { return 0; }\n"
	"SEC(\"tracepoint\") int on_nothing(void *ctx) { return 0; }\n";

/* A USDT probe, the way <sys/sdt.h> writes one (not installed here): a nop
 * at the probe site and an ELF note that names it. */
#if defined(__x86_64__) || defined(__aarch64__)
#define HAVE_USDT 1
#define PL_USDT(provider, name)                                                 \
	__asm__ __volatile__("990: nop\n"                                       \
			     ".pushsection .note.stapsdt,\"?\",\"note\"\n"      \
			     ".balign 4\n"                                      \
			     ".4byte 992f-991f, 994f-993f, 3\n"                 \
			     "991: .asciz \"stapsdt\"\n"                        \
			     "992: .balign 4\n"                                 \
			     "993: .8byte 990b\n"                               \
			     ".8byte _.stapsdt.base\n"                          \
			     ".8byte 0\n"                                       \
			     ".asciz \"" provider "\"\n"                        \
			     ".asciz \"" name "\"\n"                            \
			     ".asciz \"\"\n"                                    \
			     "994: .balign 4\n"                                 \
			     ".popsection\n"                                    \
			     ".ifndef _.stapsdt.base\n"                         \
			     ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
			     ".weak _.stapsdt.base\n"                           \
			     ".hidden _.stapsdt.base\n"                         \
			     "_.stapsdt.base: .space 1\n"                       \
			     ".size _.stapsdt.base, 1\n"                        \
			     ".popsection\n"                                    \
			     ".endif\n")
#else
#define HAVE_USDT 0
#define PL_USDT(provider, name) __asm__ __volatile__("" ::: "memory")
#endif

/* What the uprobes and the USDT probe watch. */
__attribute__((noinline, used)) int pl_attach_test_fn(int x)
{
	__asm__ __volatile__("" ::: "memory");
	PL_USDT("pktlua_test", "tick");
	return x + 1;
}

static void self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
}

static void test_tracing(void)
{
	char pid[32], nr[32], exe[4096];
	const char *defines[] = { pid, nr, NULL };

	snprintf(pid, sizeof(pid), "TEST_PID=%d", getpid());
	snprintf(nr, sizeof(nr), "NR_GETPPID=%d", (int)SYS_getppid);
	self_exe(exe, sizeof(exe));

	struct bpf_object *obj = build(tracing_src, defines, NULL);
	if (!obj)
		return;

	CHECK(!strcmp(pl_attach_kind_name(prog(obj, "on_getppid")), "tracepoint"));
	CHECK(!strcmp(pl_attach_kind_name(prog(obj, "on_raw")), "raw_tp"));
	CHECK(!strcmp(pl_attach_kind_name(prog(obj, "on_btf")), "tp_btf"));
	CHECK(!strcmp(pl_attach_kind_name(prog(obj, "on_fn")), "uprobe"));
	CHECK(!strcmp(pl_attach_kind_name(prog(obj, "on_fn_ret")), "uprobe"));
	CHECK(!strcmp(pl_attach_kind_name(prog(obj, "on_usdt")), "usdt"));
	CHECK(!strcmp(pl_attach_kind_name(prog(obj, "on_tick")), "perf_event"));
	CHECK(!strcmp(pl_attach_kind_name(prog(obj, "on_open")), "kprobe"));
	CHECK(!strcmp(pl_attach_kind_name(prog(obj, "on_sock")), "socket"));
	CHECK(pl_attach_kind_name(prog(obj, "on_msg")) == NULL);

	struct pl_link *tp = attach(prog(obj, "on_getppid"), NULL);
	struct pl_link *raw = attach(prog(obj, "on_raw"), NULL);
	struct pl_link *btf = attach(prog(obj, "on_btf"), NULL);
	struct pl_link *up = attach(prog(obj, "on_fn"), &(struct pl_attach_opts){
		.binary = exe, .symbol = "pl_attach_test_fn" });
	struct pl_link *uret = attach(prog(obj, "on_fn_ret"), &(struct pl_attach_opts){
		.binary = exe, .symbol = "pl_attach_test_fn", .pid = getpid() });

	if (tp)
		CHECK_STR_CONTAINS(pl_link__describe(tp), "tracepoint syscalls/sys_enter_getppid");
	if (raw)
		CHECK_STR_CONTAINS(pl_link__describe(raw), "raw_tp sys_enter");
	if (up)
		CHECK_STR_CONTAINS(pl_link__describe(up), "uprobe ");
	if (uret)
		CHECK_STR_CONTAINS(pl_link__describe(uret), "uretprobe ");

	int s = 0;
	for (int i = 0; i < N_CALLS; i++) {
		syscall(SYS_getppid);
		s += pl_attach_test_fn(i);
	}
	CHECK(s > 0);
	CHECK_MSG(slot(obj, 0) == N_CALLS, "tracepoint: %llu", (unsigned long long)slot(obj, 0));
	CHECK_MSG(slot(obj, 1) == N_CALLS, "raw_tp: %llu", (unsigned long long)slot(obj, 1));
	CHECK_MSG(slot(obj, 2) == N_CALLS, "tp_btf: %llu", (unsigned long long)slot(obj, 2));
	CHECK_MSG(slot(obj, 3) == N_CALLS, "uprobe: %llu", (unsigned long long)slot(obj, 3));
	CHECK_MSG(slot(obj, 4) == N_CALLS, "uretprobe: %llu", (unsigned long long)slot(obj, 4));

	/* Detached: nothing counts any more. Destroy is NULL-safe. */
	pl_link__destroy(tp);
	pl_link__destroy(raw);
	pl_link__destroy(btf);
	pl_link__destroy(up);
	pl_link__destroy(uret);
	pl_link__destroy(NULL);
	syscall(SYS_getppid);
	pl_attach_test_fn(0);
	CHECK(slot(obj, 0) == N_CALLS);
	CHECK(slot(obj, 3) == N_CALLS);

	/* perf_event: cpu-clock samples on every CPU; count ours while busy. */
	struct pl_link *pe = attach(prog(obj, "on_tick"), &(struct pl_attach_opts){ .freq = 999 });
	if (pe) {
		CHECK_STR_CONTAINS(pl_link__describe(pe), "perf_event cpu-clock at 999 Hz on ");
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			for (volatile int i = 0; i < 100000; i++)
				;
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 300000000L);
		CHECK_MSG(slot(obj, 6) > 0, "perf_event: no samples");
		pl_link__destroy(pe);
	}
	pe = attach(prog(obj, "on_tick"), &(struct pl_attach_opts){
		.event = "task-clock", .period = 1000000, .pid = getpid() });
	if (pe)
		CHECK_STR_CONTAINS(pl_link__describe(pe), "every 1000000 events on pid");
	pl_link__destroy(pe);

	/* Error paths. */
	attach_fails(prog(obj, "on_getppid"),
		     &(struct pl_attach_opts){ .tracepoint = "syscalls/sys_enter_nope" }, -ENOENT,
		     "tracepoint 'syscalls/sys_enter_nope' does not exist");
	attach_fails(prog(obj, "on_getppid"), &(struct pl_attach_opts){ .tracepoint = "nope" },
		     -EINVAL, "tracepoint 'nope': not of the form CATEGORY/NAME");
	attach_fails(prog(obj, "on_nothing"), NULL, -EINVAL, "tracepoint program needs a target");
	attach_fails(prog(obj, "on_raw"), &(struct pl_attach_opts){ .tracepoint = "pl_nope" },
		     -ENOENT, "raw_tp 'pl_nope': no such raw tracepoint");
	attach_fails(prog(obj, "on_fn"), &(struct pl_attach_opts){
		.binary = "/nope", .symbol = "main" }, -ENOENT, "uprobe: binary '/nope' not found");
	attach_fails(prog(obj, "on_fn"), &(struct pl_attach_opts){
		.binary = "pl-no-such-binary", .symbol = "main" }, -ENOENT,
		     "uprobe: binary 'pl-no-such-binary' not found in PATH");
	attach_fails(prog(obj, "on_fn"), &(struct pl_attach_opts){
		.binary = "/bin/true", .symbol = "nope" }, -ENOENT,
		     "uprobe: symbol 'nope' not found in /bin/true");
	attach_fails(prog(obj, "on_fn"), &(struct pl_attach_opts){
		.binary = "/proc/self/status", .symbol = "main" }, -ENOEXEC,
		     "uprobe: '/proc/self/status' is not an ELF binary");
	attach_fails(prog(obj, "on_fn"), NULL, -EINVAL, "uprobe program needs a target");
	attach_fails(prog(obj, "on_fn_ret"), &(struct pl_attach_opts){ .binary = exe }, -EINVAL,
		     "needs symbol= or offset=");
	attach_fails(prog(obj, "on_usdt"), NULL, -EINVAL, "usdt program needs binary=");
	attach_fails(prog(obj, "on_usdt"), &(struct pl_attach_opts){
		.binary = exe, .provider = "pktlua_test", .name = "tick" }, -ESRCH,
		     "usdt pktlua_test:tick: the program must #include <bpf/usdt.bpf.h>");
	attach_fails(prog(obj, "on_tick"), &(struct pl_attach_opts){ .event = "bogus" }, -EINVAL,
		     "perf_event: unknown event 'bogus'");
	attach_fails(prog(obj, "on_sock"), NULL, -EINVAL, "socket filter 'on_sock' needs iface=");
	attach_fails(prog(obj, "on_sock"), &(struct pl_attach_opts){ .iface = "pl-nonesuch0" },
		     -ENODEV, "socket filter attach to 'pl-nonesuch0': no such interface");
	attach_fails(prog(obj, "on_msg"), NULL, -EOPNOTSUPP,
		     "pktlua does not know how to attach SEC(\"sk_msg\") programs");

	/* This kernel has no kprobes (CONFIG_KPROBES is off): say so. */
	if (access("/sys/bus/event_source/devices/kprobe", F_OK) == 0) {
		skip("kprobe message: this kernel has kprobes");
	} else {
		attach_fails(prog(obj, "on_open"), NULL, -EOPNOTSUPP,
			     "kprobe 'do_sys_openat2': kprobes are not available on this kernel "
			     "(CONFIG_KPROBES is off)");
	}
	bpf_object__close(obj);
}

/* USDT needs libbpf's usdt.bpf.h (argument specs in maps it defines). */
static const char usdt_src[] =
	"#include <vmlinux.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"#include <bpf/usdt.bpf.h>\n"
	"__u64 hits;\n"
	"SEC(\"usdt\") int BPF_USDT(on_usdt) { __sync_fetch_and_add(&hits, 1); return 0; }\n";

static void test_usdt(void)
{
	char exe[4096];

	if (!HAVE_USDT) {
		skip("usdt: no probe macro for this architecture");
		return;
	}
	self_exe(exe, sizeof(exe));
	struct bpf_object *obj = build(usdt_src, NULL, NULL);
	if (!obj)
		return;
	struct bpf_map *bss = bpf_object__find_map_by_name(obj, ".bss");
	struct pl_link *l = attach(prog(obj, "on_usdt"), &(struct pl_attach_opts){
		.binary = exe, .provider = "pktlua_test", .name = "tick" });
	if (l)
		CHECK_STR_CONTAINS(pl_link__describe(l), ":pktlua_test:tick");
	for (int i = 0; i < N_CALLS; i++)
		pl_attach_test_fn(i);
	__u64 hits = 0;
	__u32 zero = 0;
	CHECK(bss && bpf_map__lookup_elem(bss, &zero, sizeof(zero), &hits, sizeof(hits), 0) == 0);
	CHECK_MSG(hits == N_CALLS, "usdt: %llu", (unsigned long long)hits);
	pl_link__destroy(l);
	attach_fails(prog(obj, "on_usdt"), &(struct pl_attach_opts){
		.binary = exe, .provider = "pktlua_test", .name = "nope" }, -ENOENT,
		     "usdt: probe 'pktlua_test:nope' not found in");
	bpf_object__close(obj);
}

/* ---- network: xdp + tcx + socket filter on lo, cgroup_skb ---------------- */

static const char net_src[] =
	"#include <vmlinux.h>\n"
	"#include <bpf/bpf_helpers.h>\n"
	"#include <bpf/bpf_endian.h>\n"
	"struct {\n"
	"	__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"	__uint(max_entries, 8);\n"
	"	__type(key, __u32);\n"
	"	__type(value, __u64);\n"
	"} hits SEC(\".maps\");\n"
	"static __always_inline void bump(__u32 k)\n"
	"{\n"
	"	__u64 *v = bpf_map_lookup_elem(&hits, &k);\n"
	"	if (v) __sync_fetch_and_add(v, 1);\n"
	"}\n"
	"/* IPv4 + UDP to UDP_PORT: IP at IP, L (bytes) of it readable. */\n"
	"static __always_inline int ours(const struct iphdr *ip)\n"
	"{\n"
	"	const struct udphdr *udp = (const void *)(ip + 1);\n"
	"	return ip->version == 4 && ip->ihl == 5 && ip->protocol == IPPROTO_UDP &&\n"
	"	       udp->dest == bpf_htons(UDP_PORT);\n"
	"}\n"
	"static __always_inline int eth_ours(void *data, void *end)\n"
	"{\n"
	"	struct ethhdr *eth = data;\n"
	"	if (data + sizeof(*eth) + sizeof(struct iphdr) + sizeof(struct udphdr) > end)\n"
	"		return 0;\n"
	"	return eth->h_proto == bpf_htons(ETH_P_IP) && ours((void *)(eth + 1));\n"
	"}\n"
	"SEC(\"xdp\") int count_xdp(struct xdp_md *ctx)\n"
	"{\n"
	"	if (eth_ours((void *)(long)ctx->data, (void *)(long)ctx->data_end)) bump(0);\n"
	"	return XDP_PASS;\n"
	"}\n"
	"SEC(\"tc\") int count_tc(struct __sk_buff *skb)\n"
	"{\n"
	"	if (eth_ours((void *)(long)skb->data, (void *)(long)skb->data_end)) bump(1);\n"
	"	return 0; /* TC_ACT_OK */\n"
	"}\n"
	"SEC(\"tcx/egress\") int count_tcx_out(struct __sk_buff *skb)\n"
	"{\n"
	"	if (eth_ours((void *)(long)skb->data, (void *)(long)skb->data_end)) bump(2);\n"
	"	return 0;\n"
	"}\n"
	"SEC(\"socket\") int count_sock(struct __sk_buff *skb)\n"
	"{\n"
	"	struct { struct iphdr ip; struct udphdr udp; } h;\n"
	"	__be16 proto;\n"
	"	if (bpf_skb_load_bytes(skb, 12, &proto, sizeof(proto)) == 0 &&\n"
	"	    proto == bpf_htons(ETH_P_IP) &&\n"
	"	    bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &h, sizeof(h)) == 0 && ours(&h.ip))\n"
	"		bump(3);\n"
	"	return 0; /* keep nothing in the socket */\n"
	"}\n"
	"SEC(\"cgroup_skb/egress\") int count_cg(struct __sk_buff *skb)\n"
	"{\n"
	"	struct { struct iphdr ip; struct udphdr udp; } h;\n"
	"	if (bpf_skb_load_bytes(skb, 0, &h, sizeof(h)) == 0 && ours(&h.ip))\n"
	"		bump(4);\n"
	"	return 1; /* let it go */\n"
	"}\n"
	"SEC(\"xdp/devmap\") int in_devmap(struct xdp_md *ctx) { return XDP_PASS; }\n";

/* A network namespace of our own, with its lo up: nothing else attaches to
 * this lo, and it vanishes with the process. */
static int private_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };

	if (unshare(CLONE_NEWNET))
		return -errno;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	err = err ?: ioctl(fd, SIOCSIFFLAGS, &ifr);
	err = err ? -errno : 0;
	close(fd);
	return err;
}

static void send_udp(int n)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(UDP_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	for (int i = 0; fd >= 0 && i < n; i++)
		CHECK(sendto(fd, "pktlua", 6, 0, (struct sockaddr *)&to, sizeof(to)) == 6);
	if (fd >= 0)
		close(fd);
}

static void test_net(void)
{
	char port[32], out[8192];
	const char *defines[] = { port, "ETH_P_IP=0x0800", NULL };
	int err = private_netns();

	if (err) {
		skip("network: cannot make a network namespace");
		return;
	}
	snprintf(port, sizeof(port), "UDP_PORT=%d", UDP_PORT);
	struct bpf_object *obj = build(net_src, defines, NULL);
	if (!obj)
		return;
	struct bpf_program *xdp = prog(obj, "count_xdp"), *tc = prog(obj, "count_tc");
	struct bpf_program *tcx_out = prog(obj, "count_tcx_out");

	CHECK(!strcmp(pl_attach_kind_name(xdp), "xdp"));
	CHECK(!strcmp(pl_attach_kind_name(tc), "tc"));
	CHECK(!strcmp(pl_attach_kind_name(tcx_out), "tc"));
	CHECK(!strcmp(pl_attach_kind_name(prog(obj, "count_cg")), "cgroup"));

	/* XDP (skb mode) and tcx on lo at once. */
	struct pl_link *lx = attach(xdp, &(struct pl_attach_opts){ .iface = "lo", .mode = "skb" });
	struct pl_link *lt = attach(tc, &(struct pl_attach_opts){ .iface = "lo" });
	struct pl_link *lo_out = attach(tcx_out, &(struct pl_attach_opts){ .iface = "lo" });
	struct pl_link *ls = attach(prog(obj, "count_sock"), &(struct pl_attach_opts){ .iface = "lo" });
	if (lx)
		CHECK_STR_CONTAINS(pl_link__describe(lx), "xdp on lo (skb)");
	if (lt)
		CHECK_STR_CONTAINS(pl_link__describe(lt), "tc on lo (ingress)");
	if (lo_out)
		CHECK_STR_CONTAINS(pl_link__describe(lo_out), "tc on lo (egress)");
	if (ls)
		CHECK_STR_CONTAINS(pl_link__describe(ls), "socket filter on lo");
	CHECK(links_of(xdp) == 1);
	CHECK(links_of(tc) == 1);
	run("ip link show lo 2>&1", out, sizeof(out));
	CHECK_STR_CONTAINS(out, "xdp");

	/* Taken: a second XDP program on lo is refused, saying so. */
	attach_fails(xdp, &(struct pl_attach_opts){ .iface = "lo", .mode = "skb" }, -EBUSY,
		     "xdp attach to 'lo': the interface already has an XDP program (id ");

	send_udp(N_PACKETS);
	CHECK_MSG(slot(obj, 0) == N_PACKETS, "xdp: %llu", (unsigned long long)slot(obj, 0));
	CHECK_MSG(slot(obj, 1) == N_PACKETS, "tc: %llu", (unsigned long long)slot(obj, 1));
	CHECK_MSG(slot(obj, 2) == N_PACKETS, "tcx egress: %llu", (unsigned long long)slot(obj, 2));
	/* A packet socket on lo sees each frame going out and coming in. */
	CHECK_MSG(slot(obj, 3) >= N_PACKETS, "socket: %llu", (unsigned long long)slot(obj, 3));

	pl_link__destroy(ls);
	pl_link__destroy(lo_out);
	pl_link__destroy(lt);
	pl_link__destroy(lx);
	CHECK(links_of(xdp) == 0);
	CHECK(links_of(tc) == 0);
	CHECK(links_of(tcx_out) == 0);
	run("ip link show lo 2>&1", out, sizeof(out));
	CHECK_MSG(out[0] && !strstr(out, "xdp"), "lo still has xdp:\n%s", out);
	if (have("bpftool")) {
		run("bpftool net show dev lo 2>&1", out, sizeof(out));
		CHECK_MSG(!strstr(out, "lo("), "bpftool net still shows:\n%s", out);
	} else {
		skip("bpftool net check: bpftool not installed");
	}
	send_udp(1);
	CHECK(slot(obj, 0) == N_PACKETS && slot(obj, 1) == N_PACKETS);

	/* No mode: the kernel picks (lo has no native XDP), and the link says
	 * which. */
	lx = attach(xdp, &(struct pl_attach_opts){ .iface = "lo" });
	if (lx)
		CHECK_STR_CONTAINS(pl_link__describe(lx), "xdp on lo (skb)");
	pl_link__destroy(lx);

	/* cgroup_skb on the root of the cgroup v2 hierarchy. */
	char cg[4096];
	if (pl_cgroup2_dir(cg, sizeof(cg))) {
		skip("cgroup_skb: no cgroup v2 hierarchy mounted");
	} else {
		struct pl_link *lc = attach(prog(obj, "count_cg"), NULL);
		if (lc) {
			CHECK_STR_CONTAINS(pl_link__describe(lc), "cgroup_skb/egress on cgroup ");
			send_udp(N_PACKETS);
			CHECK_MSG(slot(obj, 4) == N_PACKETS, "cgroup_skb: %llu",
				  (unsigned long long)slot(obj, 4));
			pl_link__destroy(lc);
		}
	}
	attach_fails(prog(obj, "count_cg"), &(struct pl_attach_opts){ .cgroup = "/pl/nope" },
		     -ENOENT, "cgroup_skb/egress attach to cgroup '/pl/nope'");
	attach_fails(prog(obj, "count_cg"), &(struct pl_attach_opts){ .cgroup = "/tmp" }, -EINVAL,
		     "not a cgroup v2 directory");

	/* Error paths. */
	attach_fails(xdp, &(struct pl_attach_opts){ .iface = "pl-nonesuch0" }, -ENODEV,
		     "xdp attach to 'pl-nonesuch0': no such interface");
	attach_fails(xdp, &(struct pl_attach_opts){ .iface = "lo", .mode = "turbo" }, -EINVAL,
		     "xdp attach to 'lo': unknown mode 'turbo'");
	attach_fails(xdp, &(struct pl_attach_opts){ .iface = "lo", .mode = "native" }, -EOPNOTSUPP,
		     "xdp attach to 'lo': its driver does not support native mode");
	attach_fails(xdp, NULL, -EINVAL, "xdp program needs iface=");
	CHECK(pl_attach_kind_name(prog(obj, "in_devmap")) == NULL);
	attach_fails(prog(obj, "in_devmap"), &(struct pl_attach_opts){ .iface = "lo" },
		     -EOPNOTSUPP, "pktlua does not know how to attach SEC(\"xdp/devmap\") programs");
	attach_fails(tc, &(struct pl_attach_opts){ .iface = "pl-nonesuch0" }, -ENODEV,
		     "tc attach to 'pl-nonesuch0': no such interface");
	attach_fails(tc, &(struct pl_attach_opts){ .iface = "lo", .direction = "sideways" },
		     -EINVAL, "tc attach to 'lo': unknown direction 'sideways'");
	attach_fails(tc, NULL, -EINVAL, "tc program needs iface=");
	bpf_object__close(obj);
}

/* ---- mounts --------------------------------------------------------------- */

static void test_mounts(void)
{
	CHECK(pl_mounts_ensure() == 0);
	CHECK(pl_is_mounted("/sys/fs/bpf", "bpf"));
	CHECK(pl_tracefs_dir() != NULL);
	/* Quiet and successful the second time. */
	CHECK(pl_mounts_ensure() == 0);
	CHECK(!pl_is_mounted("/sys/fs/bpf", "tracefs"));
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: needs root\n");
		return 77;
	}
	if (pl_compiler_set_shim_dir(PKTLUA_TEST_BINDIR))
		return 1;
	pl_log_route_libbpf();
	RUN(test_mounts);
	RUN(test_tracing);
	RUN(test_usdt);
	RUN(test_net);      /* last: moves the process into its own netns */
	pl_compiler_set_shim_dir(NULL);
	int rc = pl_test_summary();
	return rc == 0 && skipped ? 77 : rc;
}
