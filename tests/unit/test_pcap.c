/* test_pcap.c — capture files (pcap_file.c): write, read back, pcapng,
 * truncated and corrupt files, link-layer conversion. No root needed. */
#include "harness.h"

#include "packets/pcap_file.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/pktlua-test-pcap-XXXXXX";
static char path[256], err[512];

static const char *tmpfile_named(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static const uint8_t frame[60] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45 };

static void write_file(const char *file, bool nano)
{
	struct pl_pcap_writer_opts o = { .nanosecond = nano, .snaplen = 50 };
	struct pl_pcap_writer *w = pl_pcap_writer__open(file, &o, err, sizeof(err));

	CHECK(w);
	if (!w)
		return;
	CHECK(pl_pcap_writer__write(w, frame, 60, 0, 1700000000123456789LL) == 0);  /* cut to 50 */
	CHECK(pl_pcap_writer__write(w, frame, 20, 1500, 1700000001000000000LL) == 0);
	CHECK(pl_pcap_writer__count(w) == 2);
	CHECK(pl_pcap_writer__close(w) == 0);
}

static void test_roundtrip(void)
{
	struct pl_pcap_pkt pkt;
	const char *file = tmpfile_named("rt.pcap");

	for (int nano = 0; nano <= 1; nano++) {
		write_file(file, nano);
		struct pl_pcap_reader *r = pl_pcap_reader__open(file, err, sizeof(err));
		CHECK_MSG(r, "%s", err);
		if (!r)
			return;
		CHECK(pl_pcap_reader__linktype(r) == 1);
		CHECK(pl_pcap_reader__snaplen(r) == 50);
		CHECK(pl_pcap_reader__next(r, &pkt) == 1);
		CHECK(pkt.caplen == 50 && pkt.len == 60 && !memcmp(pkt.data, frame, 50));
		CHECK(pkt.ts_ns == (nano ? 1700000000123456789LL : 1700000000123456000LL));
		CHECK(pl_pcap_reader__next(r, &pkt) == 1);
		CHECK(pkt.caplen == 20 && pkt.len == 1500);
		CHECK(pl_pcap_reader__next(r, &pkt) == 0);
		CHECK(pl_pcap_reader__count(r) == 2);
		pl_pcap_reader__close(r);
	}
}

static void test_truncated_and_corrupt(void)
{
	struct pl_pcap_pkt pkt;
	const char *file = tmpfile_named("cut.pcap");

	write_file(file, false);
	CHECK(truncate(file, 24 + 16 + 50 + 16 + 5) == 0);     /* inside packet 2 */
	struct pl_pcap_reader *r = pl_pcap_reader__open(file, err, sizeof(err));
	CHECK(r);
	if (r) {
		CHECK(pl_pcap_reader__next(r, &pkt) == 1);
		CHECK(pl_pcap_reader__next(r, &pkt) == -EIO);
		CHECK_STR_CONTAINS(pl_pcap_reader__error(r), "cut.pcap: packet 2: truncated");
		pl_pcap_reader__close(r);
	}

	/* A packet header claiming more bytes than any snap length. */
	write_file(file, false);
	FILE *f = fopen(file, "r+b");
	uint32_t huge = 0x7fffffff;
	fseek(f, 24 + 8, SEEK_SET);
	fwrite(&huge, 4, 1, f);
	fclose(f);
	r = pl_pcap_reader__open(file, err, sizeof(err));
	CHECK(r);
	if (r) {
		CHECK(pl_pcap_reader__next(r, &pkt) == -EIO);
		CHECK_STR_CONTAINS(pl_pcap_reader__error(r), "packet 1:");
		pl_pcap_reader__close(r);
	}

	f = fopen(file, "wb");
	fputs("this is not a capture file at all", f);
	fclose(f);
	CHECK(!pl_pcap_reader__open(file, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "cut.pcap");
	CHECK_STR_CONTAINS(err, "unknown file format");

	CHECK(!pl_pcap_reader__open("/nonexistent/x.pcap", err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "/nonexistent/x.pcap");
	CHECK(!pl_pcap_writer__open("/nonexistent/x.pcap", NULL, err, sizeof(err)));
	CHECK_STR_CONTAINS(err, "/nonexistent/x.pcap");
}

/* pcapng written by hand: section header, interface (Ethernet, nanosecond
 * if_tsresol), one enhanced packet block. */
static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }

/* One Ethernet interface with if_tsresol RESOL, one packet at time TS. */
static void write_pcapng(const char *file, uint8_t resol, uint64_t ts)
{
	FILE *f = fopen(file, "wb");

	put32(f, 0x0a0d0d0a); put32(f, 28); put32(f, 0x1a2b3c4d);
	put32(f, 0x00000001); put32(f, 0xffffffff); put32(f, 0xffffffff); put32(f, 28);
	/* IDB: linktype 1, snaplen 0, option if_tsresol (9) = RESOL, end of options */
	put32(f, 1); put32(f, 32); put32(f, 1); put32(f, 0);
	put32(f, 9 | 1 << 16); put32(f, resol); put32(f, 0); put32(f, 32);
	/* EPB with 60 bytes of data */
	put32(f, 6); put32(f, 32 + 60); put32(f, 0);
	put32(f, (uint32_t)(ts >> 32)); put32(f, (uint32_t)ts); put32(f, 60); put32(f, 60);
	fwrite(frame, 60, 1, f);
	put32(f, 32 + 60);
	fclose(f);
}

static void test_pcapng(void)
{
	const char *file = tmpfile_named("x.pcapng");
	struct pl_pcap_pkt pkt;
	uint64_t ts = 1700000000123456789ULL;

	write_pcapng(file, 9, ts);
	struct pl_pcap_reader *r = pl_pcap_reader__open(file, err, sizeof(err));
	CHECK_MSG(r, "%s", err);
	if (!r)
		return;
	CHECK(pl_pcap_reader__next(r, &pkt) == 1);
	CHECK(pkt.caplen == 60 && !memcmp(pkt.data, frame, 60));
	CHECK_MSG(pkt.ts_ns == (int64_t)ts, "%lld", (long long)pkt.ts_ns);
	CHECK(pkt.ts_ns_ok && pkt.ts_sec == 1700000000 && pkt.ts_nsec == 123456789);
	CHECK(pl_pcap_reader__next(r, &pkt) == 0);
	pl_pcap_reader__close(r);
}

/* Times no 64-bit nanosecond count holds (a signed overflow UBSan caught):
 * the reader hands out seconds and nanoseconds as the file says, as
 * tcpdump prints them, and says ts_ns does not fit. */
static void test_time_range(void)
{
	const char *file = tmpfile_named("far.pcapng");
	struct pl_pcap_pkt pkt;
	struct { uint8_t resol; uint64_t ts; int64_t sec; uint32_t nsec; } cases[] = {
		{ 9, UINT64_MAX, 18446744073LL, 709551615 },          /* year 2554 */
		{ 9, 9223372036854775807ULL, 9223372036LL, 854775807 }, /* 2262, fits */
		{ 6, 1ULL << 62, 4611686018427LL, 387904000 },
		{ 0, 1ULL << 40, 1LL << 40, 0 },                      /* whole seconds */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_pcapng(file, cases[i].resol, cases[i].ts);
		struct pl_pcap_reader *r = pl_pcap_reader__open(file, err, sizeof(err));
		CHECK_MSG(r, "%s", err);
		if (!r)
			return;
		CHECK(pl_pcap_reader__next(r, &pkt) == 1);
		CHECK_MSG(pkt.ts_sec == cases[i].sec && pkt.ts_nsec == cases[i].nsec,
			  "case %zu: %lld.%09u", i, (long long)pkt.ts_sec, pkt.ts_nsec);
		bool fits = i == 1;
		CHECK_MSG(pkt.ts_ns_ok == fits, "case %zu", i);
		if (fits)
			CHECK(pkt.ts_ns == (int64_t)cases[i].ts);
		pl_pcap_reader__close(r);
	}

	/* A pcap record whose microseconds field is 0xffffffff: libpcap reads
	 * it as -1 and scales it to -1000 ns; the time is normalized. */
	file = tmpfile_named("usec.pcap");
	write_file(file, false);
	FILE *f = fopen(file, "r+b");
	CHECK(f && fseek(f, 24 + 4, SEEK_SET) == 0);
	if (f) {
		put32(f, 0xffffffff);
		fclose(f);
	}
	struct pl_pcap_reader *r = pl_pcap_reader__open(file, err, sizeof(err));
	CHECK_MSG(r, "%s", err);
	if (r) {
		CHECK(pl_pcap_reader__next(r, &pkt) == 1);
		CHECK_MSG(pkt.ts_sec == 1699999999 && pkt.ts_nsec == 999999000,
			  "%lld.%09u", (long long)pkt.ts_sec, pkt.ts_nsec);
		CHECK(pkt.ts_ns_ok);
		pl_pcap_reader__close(r);
	}
}

static void test_to_ether(void)
{
	uint8_t buf[128];
	const uint8_t *out;
	uint8_t ip[20] = { 0x45 }, ip6[40] = { 0x60 }, bad[20] = { 0x10 };
	uint8_t sll[16 + 20] = { 0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 9, 0, 0, 0x08, 0x00, 0x45 };
	uint8_t sll2[20 + 20] = { 0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 9 };

	CHECK(pl_pcap_to_ether(1, frame, 60, buf, &out) == 60 && out == frame);
	CHECK(pl_pcap_to_ether(12, ip, 20, buf, &out) == 34 && out == buf);
	CHECK(buf[12] == 0x08 && buf[13] == 0x00 && buf[14] == 0x45);
	CHECK(pl_pcap_to_ether(12, ip6, 40, buf, &out) == 54 && buf[12] == 0x86 && buf[13] == 0xdd);
	CHECK(pl_pcap_to_ether(12, bad, 20, buf, &out) == -EPROTO);
	CHECK(pl_pcap_to_ether(113, sll, sizeof(sll), buf, &out) == 34);
	CHECK(buf[6] == 2 && buf[11] == 9 && buf[12] == 0x08 && buf[14] == 0x45);
	CHECK(pl_pcap_to_ether(113, sll, 10, buf, &out) == -EPROTO);
	CHECK(pl_pcap_to_ether(276, sll2, sizeof(sll2), buf, &out) == 34);
	CHECK(buf[6] == 2 && buf[11] == 9 && buf[12] == 0x86 && buf[13] == 0xdd);
	CHECK(pl_pcap_to_ether(105, frame, 60, buf, &out) == -EPROTONOSUPPORT);
	CHECK(pl_pcap_ether_capable(113) && !pl_pcap_ether_capable(105));

	char nb[32];
	CHECK(!strcmp(pl_pcap_linktype_name(105, nb, sizeof(nb)), "IEEE802_11"));
	CHECK(!strcmp(pl_pcap_linktype_name(4242, nb, sizeof(nb)), "DLT 4242"));
	CHECK(pl_pcap_linktype_from_name("LINUX_SLL2") == 276);
	CHECK(pl_pcap_linktype_from_name("NOPE") == -EINVAL);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_roundtrip);
	RUN(test_truncated_and_corrupt);
	RUN(test_pcapng);
	RUN(test_time_range);
	RUN(test_to_ether);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	return pl_test_summary();
}
