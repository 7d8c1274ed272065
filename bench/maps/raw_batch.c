/* raw_batch.c — the floor of the map benchmark: the same N-entry hash map
 * (__u32 -> __u64, keys 0..N-1, value 2*key) read with plain
 * bpf_map_lookup_batch into C arrays, counting entries and summing values
 * as the Lua and Python readers do.
 *   raw_batch N [ROUNDS [CHUNK]]
 * prints "raw batch N: MEDIAN ms (min MIN, ROUNDS rounds, CHUNK per call)".
 * With HOLD set in the environment it then prints "id ID" and keeps the map
 * until stdin closes, so bpftool can dump the same map. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: raw_batch N [ROUNDS [CHUNK]]\n");
		return 2;
	}
	__u32 n = strtoul(argv[1], NULL, 0);
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	__u32 chunk = argc > 3 ? strtoul(argv[3], NULL, 0) : 4096;
	double *times = calloc(rounds, sizeof(*times));
	__u32 *keys = malloc((size_t)n * sizeof(*keys));
	__u64 *vals = malloc((size_t)n * sizeof(*vals));
	int fd;

	if (!n || rounds < 1 || !chunk || !times || !keys || !vals) {
		fprintf(stderr, "raw_batch: bad arguments or out of memory\n");
		return 2;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "m", 4, 8, n, NULL);
	if (fd < 0) {
		fprintf(stderr, "raw_batch: map create: %s\n", strerror(errno));
		return 1;
	}
	for (__u32 i = 0; i < n; i++) {
		keys[i] = i;
		vals[i] = 2ull * i;
	}
	__u32 count = n;
	if (bpf_map_update_batch(fd, keys, vals, &count, NULL) || count != n) {
		fprintf(stderr, "raw_batch: fill: %s\n", strerror(errno));
		return 1;
	}
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ms();
		__u32 token, total = 0;
		__u64 sum = 0, got = 0;
		bool started = false;

		for (;;) {
			__u32 c = chunk;
			if (c > n - total)
				c = n - total ? n - total : 1;
			int err = bpf_map_lookup_batch(fd, started ? &token : NULL, &token,
						       keys + total % n, vals + total % n, &c, NULL);
			if (err && errno != ENOENT) {
				fprintf(stderr, "raw_batch: lookup batch: %s\n", strerror(errno));
				return 1;
			}
			for (__u32 i = 0; i < c; i++)
				sum += vals[total % n + i];
			total += c;
			got += c;
			started = true;
			if (err || total >= n)
				break;
		}
		times[r] = now_ms() - t0;
		if (got != n || sum != (__u64)n * (n - 1)) {
			fprintf(stderr, "raw_batch: read %llu entries summing to %llu\n",
				(unsigned long long)got, (unsigned long long)sum);
			return 1;
		}
	}
	qsort(times, rounds, sizeof(*times), cmp_double);
	printf("raw batch %u: %.1f ms (min %.1f, %d rounds, %u per call)\n", n,
	       times[(rounds - 1) / 2], times[0], rounds, chunk);
	if (getenv("HOLD")) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		char c;

		bpf_obj_get_info_by_fd(fd, &info, &len);
		printf("id %u\n", info.id);
		fflush(stdout);
		while (read(0, &c, 1) > 0)
			;
	}
	return 0;
}
