/* bench_replay.c — pl_replay_file() against the raw floor of BPF_PROG_TEST_RUN.
 *
 * Writes a capture of N generated packets (UDP and TCP, 60..1514 bytes),
 * loads a small XDP program (bounds check, drop UDP, pass the rest), then
 * times, best of R rounds each:
 *   raw    — the packets already in memory, one bpf_prog_test_run_opts each
 *            (the floor: what the kernel costs);
 *   replay — pl_replay_file() on the capture (read + convert + test run).
 * Run by bench/replay/run.sh; needs root. */
#include "packets/pcap_file.h"
#include "packets/replay.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static int load_prog(void)
{
	struct bpf_insn insns[] = {
		INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0),       /* r2 = ctx->data */
		INSN(BPF_LDX | BPF_W | BPF_MEM, 3, 1, 4, 0),       /* r3 = ctx->data_end */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 2),     /* r0 = XDP_PASS */
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0),     /* r4 = r2 */
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 24),    /* r4 += 24 */
		INSN(BPF_JMP | BPF_JGT | BPF_X, 4, 3, 3, 0),       /* if r4 > r3 goto exit */
		INSN(BPF_LDX | BPF_B | BPF_MEM, 5, 2, 23, 0),      /* r5 = IPv4 protocol */
		INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 1, 17),      /* if r5 != UDP goto exit */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),     /* r0 = XDP_DROP */
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "bench_xdp", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100000, rounds = argc > 2 ? atoi(argv[2]) : 5;
	char file[] = "/tmp/pktlua-bench-replay-XXXXXX", err[512];
	int fd = mkstemp(file);
	uint8_t **pkts = calloc(n, sizeof(*pkts));
	uint32_t *lens = calloc(n, sizeof(*lens));
	uint64_t bytes = 0;

	if (fd < 0 || !pkts || !lens)
		return 1;
	close(fd);
	struct pl_pcap_writer *w = pl_pcap_writer__open(file, NULL, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	srand(1);
	for (int i = 0; i < n; i++) {
		uint32_t len = 60 + (uint32_t)(rand() % (1514 - 60 + 1));
		uint8_t *p = calloc(1, len);
		memcpy(p, "\2\0\0\0\0\1\2\0\0\0\0\2\x08\x00\x45", 15);
		p[23] = i % 3 ? 17 : 6;
		pkts[i] = p;
		lens[i] = len;
		bytes += len;
		pl_pcap_writer__write(w, p, len, 0, 1700000000000000000LL + i * 1000LL);
	}
	if (pl_pcap_writer__close(w))
		return 1;

	int prog = load_prog();
	if (prog < 0) {
		fprintf(stderr, "bench: cannot load the XDP program: %s\n", strerror(errno));
		return 1;
	}
	double best_raw = 1e9, best_replay = 1e9;
	for (int r = 0; r < rounds; r++) {
		double t0 = now();
		for (int i = 0; i < n; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkts[i], .data_size_in = lens[i], .repeat = 1);
			if (bpf_prog_test_run_opts(prog, &o))
				return 1;
		}
		double t1 = now();
		struct pl_replay_result res;
		if (pl_replay_file(prog, BPF_PROG_TYPE_XDP, file, NULL, &res, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		double t2 = now();
		if (res.run != (uint64_t)n)
			return 1;
		if (t1 - t0 < best_raw)
			best_raw = t1 - t0;
		if (t2 - t1 < best_replay)
			best_replay = t2 - t1;
	}
	printf("replay bench: %d packets (%.0f bytes average), best of %d rounds\n", n,
	       (double)bytes / n, rounds);
	printf("  raw loop of bpf_prog_test_run_opts: %7.3f s  %9.0f packets/s  %6.0f ns/packet\n",
	       best_raw, n / best_raw, best_raw * 1e9 / n);
	printf("  pl_replay_file (pcap.replay):       %7.3f s  %9.0f packets/s  %6.0f ns/packet\n",
	       best_replay, n / best_replay, best_replay * 1e9 / n);
	printf("  replay rate / raw floor: %.2f\n", best_raw / best_replay);
	unlink(file);
	return 0;
}
