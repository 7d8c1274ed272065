/* raw_consumer.c — the floor: the same BPF program (events.bpf.c, compiled
 * by pktlua's in-process compiler), read with nothing but libbpf's
 * ring_buffer__poll() and a C callback that copies the record and counts it.
 * usage: raw_consumer DIR N [RING_BYTES [RATE]]   (DIR holds events.bpf.c,
 * plgetppid) */
#include "compile/compiler.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct event {
	unsigned long long seq, ts;
	unsigned int pid, cpu;
	char comm[16];
};

static long got;
static unsigned long long first_ts, last_ts, seq_sum;

static int on_event(void *ctx, void *data, size_t size)
{
	struct event e;

	(void)ctx;
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	if (!got++)
		first_ts = e.ts;
	last_ts = e.ts;
	seq_sum += e.seq;   /* touch the record, as a real consumer would */
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = f ? malloc(1 << 20) : NULL;

	*len = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	if (f)
		fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s DIR N [RING_BYTES]\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	long n = atol(argv[2]);
	char path[4096], ring[64], count[32];
	snprintf(ring, sizeof(ring), "RING_BYTES=%s", argc > 3 ? argv[3] : "(1 << 20)");
	snprintf(path, sizeof(path), "%s/events.bpf.c", dir);
	size_t len;
	char *src = slurp(path, &len);
	if (!src) {
		perror(path);
		return 1;
	}

	const char *defines[] = { ring, NULL };
	struct pl_compile_opts copts = { .filename = path, .first_line = 1, .defines = defines };
	struct pl_compile_result res;
	if (pl_compile(src, len, &copts, &res)) {
		fprintf(stderr, "compile: %s\n", res.diag);
		return 1;
	}
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .object_name = "raw_events");
	struct bpf_object *obj = bpf_object__open_mem(res.obj, res.obj_len, &oopts);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "load failed: %s\n", strerror(errno));
		return 1;
	}
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "on_getppid");
	struct bpf_link *link = bpf_program__attach(prog);
	if (!link) {
		fprintf(stderr, "attach failed: %s\n", strerror(errno));
		return 1;
	}
	struct ring_buffer *rb = ring_buffer__new(
		bpf_map__fd(bpf_object__find_map_by_name(obj, "events")), on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "ring_buffer__new: %s\n", strerror(errno));
		return 1;
	}

	snprintf(path, sizeof(path), "%s/plgetppid", dir);
	snprintf(count, sizeof(count), "%ld", n);
	struct rusage ru0;
	getrusage(RUSAGE_SELF, &ru0);
	double cpu0 = (double)ru0.ru_utime.tv_sec + (double)ru0.ru_utime.tv_usec / 1e6 +
		      (double)ru0.ru_stime.tv_sec + (double)ru0.ru_stime.tv_usec / 1e6;
	pid_t child = fork();
	if (child == 0) {
		execl(path, "plgetppid", count, argc > 4 ? argv[4] : NULL, (char *)NULL);
		_exit(127);
	}
	int status;
	/* The same polling as pktlua's loop: producers skip most wakeups. */
	while (got < n && waitpid(child, &status, WNOHANG) == 0)
		ring_buffer__poll(rb, 10);
	waitpid(child, &status, 0);
	ring_buffer__consume(rb);

	unsigned long long lost = 0, produced = 0;
	struct bpf_map_info info;
	__u32 ilen = sizeof(info), key = 0;
	memset(&info, 0, sizeof(info));
	bpf_obj_get_info_by_fd(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")),
			       &info, &ilen);
	bpf_map_lookup_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "pktlua_lost")),
			    &info.id, &lost);
	bpf_map_lookup_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "produced")),
			    &key, &produced);
	double span = (double)(last_ts - first_ts) / 1e9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6 - cpu0;
	printf("raw C:  received %ld lost %llu of %llu; rate %.2f M/s; consumer cpu %.3f s, "
	       "capacity %.2f M/s\n", got, lost, produced, span > 0 ? got / span / 1e6 : 0.0,
	       cpu, cpu > 0 ? got / cpu / 1e6 : 0.0);
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	pl_compile_result__free(&res);
	free(src);
	return 0;
}
