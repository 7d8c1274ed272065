/* test_capture_file.c — the files live capture writes (capture_file.c):
 * pcap and pcapng read back by libpcap (as tcpdump reads them), the
 * pcapng blocks checked field by field, the temporary file renamed only on
 * success, errors naming the path. No root needed. */
#include "harness.h"

#include "packets/capture_file.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/pktlua-test-capfile-XXXXXX";
static char path[256], err[512];

static const char *named(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Files in DIR (the temporary ones included). */
static int files_in_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static uint8_t frame[100];

static void write_two(const char *file, bool pcapng)
{
	struct pl_capture_file_opts o = { .pcapng = pcapng, .snaplen = 80 };
	struct pl_capture_file *f = pl_capture_file__open(file, &o, err, sizeof(err));

	CHECK(f);
	if (!f)
		return;
	CHECK(pl_capture_file__add_iface(f, "va") == 0);
	CHECK(pl_capture_file__add_iface(f, "lo") == 0);
	/* Before the close, nothing is at FILE: only the temporary file. */
	CHECK(access(file, F_OK) < 0);
	CHECK(pl_capture_file__write(f, 0, PL_CAPTURE_IN, 1700000000123456789LL, frame, 100, 1500) == 0);
	CHECK(pl_capture_file__write(f, 1, PL_CAPTURE_OUT, 1700000001000000001LL, frame, 61, 61) == 0);
	CHECK(pl_capture_file__close(f, true, err, sizeof(err)) == 0);
	CHECK(access(file, F_OK) == 0);
}

/* Read FILE with libpcap: two packets, cut at 80, wire lengths kept. */
static void read_back(const char *file, bool nano)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	struct pcap_pkthdr *h;
	const u_char *data;

	CHECK_MSG(p, "%s", ebuf);
	if (!p)
		return;
	CHECK(pcap_datalink(p) == DLT_EN10MB);
	CHECK(pcap_snapshot(p) == 80);
	CHECK(pcap_next_ex(p, &h, &data) == 1);
	CHECK(h->caplen == 80 && h->len == 1500 && !memcmp(data, frame, 80));
	CHECK(h->ts.tv_sec == 1700000000);
	CHECK(h->ts.tv_usec == (nano ? 123456789 : 123456000));
	CHECK(pcap_next_ex(p, &h, &data) == 1);
	CHECK(h->caplen == 61 && h->len == 61 && !memcmp(data, frame, 61));
	CHECK(h->ts.tv_usec == (nano ? 1 : 0));
	CHECK(pcap_next_ex(p, &h, &data) == PCAP_ERROR_BREAK);
	pcap_close(p);
}

static void test_pcap(void)
{
	const char *f = named("a.pcap");

	write_two(f, false);
	read_back(f, false);
	CHECK(files_in_dir() == 1);
	unlink(f);
}

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_pcapng(void)
{
	const char *f = named("b.pcapng");
	uint8_t buf[2048];
	size_t n;
	FILE *in;

	CHECK(pl_capture_file_is_pcapng(f));
	CHECK(!pl_capture_file_is_pcapng(named("b.pcap")));
	f = named("b.pcapng");
	write_two(f, true);
	read_back(f, true);
	/* The blocks: SHB, IDB va, IDB lo, EPB (in), EPB (out). */
	in = fopen(f, "rb");
	CHECK(in);
	if (!in)
		return;
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	size_t off = 0;
	uint32_t types[5] = { 0 }, i = 0;
	while (off + 12 <= n && i < 5) {
		uint32_t len = u32(buf + off + 4);
		CHECK(len % 4 == 0 && off + len <= n);
		CHECK(u32(buf + off + len - 4) == len);    /* trailing length */
		types[i] = u32(buf + off);
		if (types[i] == 1) {
			/* if_name: the name, then if_tsresol 9 (ns) */
			CHECK(!memcmp(buf + off + 16 + 4, i == 1 ? "va" : "lo", 2));
		}
		if (types[i] == 6) {
			uint32_t id = u32(buf + off + 8), cap = u32(buf + off + 20);
			uint32_t opt = off + 28 + ((cap + 3) & ~3u);
			CHECK(id == i - 3);
			/* epb_flags (code 2, length 4): 1 inbound, 2 outbound */
			CHECK(u32(buf + opt) == (2u | 4u << 16));
			CHECK(u32(buf + opt + 4) == (i == 3 ? 1u : 2u));
		}
		off += len;
		i++;
	}
	CHECK(off == n && i == 5);
	CHECK(types[0] == 0x0A0D0D0A && types[1] == 1 && types[2] == 1 && types[3] == 6 && types[4] == 6);
	unlink(f);
}

static void test_not_kept(void)
{
	struct pl_capture_file *f = pl_capture_file__open(named("c.pcap"), NULL, err, sizeof(err));

	CHECK(f);
	if (!f)
		return;
	CHECK(pl_capture_file__write(f, 0, 0, 0, frame, 10, 10) == 0);
	CHECK(pl_capture_file__close(f, false, err, sizeof(err)) == 0);
	CHECK(files_in_dir() == 0);   /* no FILE, no temporary file */
}

static void test_errors(void)
{
	struct pl_capture_file *f;

	f = pl_capture_file__open(named("no/such/dir/x.pcap"), NULL, err, sizeof(err));
	CHECK(!f && errno == ENOENT);
	CHECK_STR_CONTAINS(err, "no/such/dir/x.pcap: cannot create: No such file or directory");
	CHECK(files_in_dir() == 0);
	CHECK(pl_capture_file__close(NULL, true, err, sizeof(err)) == 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 1);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_pcap);
	RUN(test_pcapng);
	RUN(test_not_kept);
	RUN(test_errors);
	rmdir(dir);
	return pl_test_summary();
}
