/* decode.c — label decoders (see decode.h). */
#include "metrics/decode.h"

#include "symbols/kallsyms.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A small cache of number -> name, valid for one scrape. */
struct name_cache {
	struct {
		int64_t key;
		char name[32];     /* an interface name (16) or a comm (16) */
	} e[64];
	unsigned n, next;
};

struct pl_mdecoders {
	struct name_cache ifnames, comms;
};

static const char *const decoder_names[] = {
	[PL_MDECODE_IP] = "ip",
	[PL_MDECODE_PORT] = "port",
	[PL_MDECODE_KSYM] = "ksym",
	[PL_MDECODE_COMM] = "comm",
	[PL_MDECODE_IFNAME] = "ifname",
	[PL_MDECODE_ERRNO] = "errno",
	[PL_MDECODE_FN] = "function",
};

enum pl_mdecode pl_mdecode__parse(const char *name)
{
	for (size_t i = 1; i < sizeof(decoder_names) / sizeof(decoder_names[0]); i++)
		if (i != PL_MDECODE_FN && !strcmp(name, decoder_names[i]))
			return (enum pl_mdecode)i;
	return PL_MDECODE_NONE;
}

const char *pl_mdecode__name(enum pl_mdecode d)
{
	return d > PL_MDECODE_NONE && d <= PL_MDECODE_FN ? decoder_names[d] : "none";
}

static bool is_int(enum pl_mfield_kind k)
{
	return k == PL_MFIELD_UINT || k == PL_MFIELD_INT;
}

const char *pl_mdecode__check(enum pl_mdecode d, enum pl_mfield_kind kind, uint32_t size)
{
	switch (d) {
	case PL_MDECODE_IP:
		return size == 4 || size == 16 ? NULL : "needs a 4- or 16-byte field";
	case PL_MDECODE_PORT:
		return size == 2 ? NULL : "needs a 2-byte field (a __be16)";
	case PL_MDECODE_KSYM:
		return is_int(kind) && (size == 8 || size == 4) ? NULL
		       : "needs a 4- or 8-byte integer (an address)";
	case PL_MDECODE_COMM:
		return kind == PL_MFIELD_CHARS || is_int(kind) ? NULL
		       : "needs a char array or an integer (a pid)";
	case PL_MDECODE_IFNAME:
	case PL_MDECODE_ERRNO:
		return is_int(kind) ? NULL : "needs an integer field";
	default:
		return NULL;
	}
}

struct pl_mdecoders *pl_mdecoders__new(void)
{
	return calloc(1, sizeof(struct pl_mdecoders));
}

void pl_mdecoders__free(struct pl_mdecoders *d)
{
	free(d);
}

void pl_mdecoders__begin_scrape(struct pl_mdecoders *d)
{
	d->ifnames.n = d->ifnames.next = 0;
	d->comms.n = d->comms.next = 0;
}

static const char *cache_get(struct name_cache *c, int64_t key)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->e[i].key == key)
			return c->e[i].name;
	return NULL;
}

static void cache_put(struct name_cache *c, int64_t key, const char *name)
{
	unsigned i = c->n < 64 ? c->n++ : c->next++ % 64;

	c->e[i].key = key;
	snprintf(c->e[i].name, sizeof(c->e[i].name), "%s", name);
}

/* ---- fields as numbers and text ------------------------------------------------ */

__extension__ typedef unsigned __int128 u128;

double pl_mfield__f64(const void *field, uint32_t size)
{
	double d;

	if (size == 4) {
		float f;
		memcpy(&f, field, 4);
		return f;
	}
	memcpy(&d, field, sizeof(d));
	return d;
}

uint64_t pl_mfield__u64(const void *field, uint32_t size, uint8_t bit_offset, uint8_t bit_size,
			bool is_signed)
{
	const uint8_t *p = field;
	uint64_t v = 0;

	if (bit_size) {
		/* A bitfield spans at most 9 bytes; BTF counts its bits from the
		 * first byte's low bit (little-endian, as this host). */
		unsigned n = (bit_offset + bit_size + 7u) / 8u;
		u128 w = 0;
		for (unsigned i = n; i-- > 0;)
			w = w << 8 | p[i];
		v = (uint64_t)(w >> bit_offset);
		if (bit_size < 64)
			v &= (1ull << bit_size) - 1;
		if (is_signed && bit_size < 64 && (v >> (bit_size - 1)) & 1)
			v |= ~0ull << bit_size;
		return v;
	}
	switch (size) {
	case 1:
		return is_signed ? (uint64_t)(int64_t)*(const int8_t *)p : *p;
	case 2: {
		uint16_t x;
		memcpy(&x, p, 2);
		return is_signed ? (uint64_t)(int64_t)(int16_t)x : x;
	}
	case 4: {
		uint32_t x;
		memcpy(&x, p, 4);
		return is_signed ? (uint64_t)(int64_t)(int32_t)x : x;
	}
	case 8:
		memcpy(&v, p, 8);
		return v;
	default:
		return 0;
	}
}

static void put_hex(struct pl_mbuf *out, const uint8_t *p, uint32_t n)
{
	static const char hex[] = "0123456789abcdef";

	if (!pl_mbuf__reserve(out, (size_t)n * 2))
		return;
	for (uint32_t i = 0; i < n; i++) {
		out->data[out->len++] = hex[p[i] >> 4];
		out->data[out->len++] = hex[p[i] & 15];
	}
	out->data[out->len] = '\0';
}

static void put_u64(struct pl_mbuf *out, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	pl_mbuf__add(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void put_i64(struct pl_mbuf *out, int64_t v)
{
	if (v < 0) {
		pl_mbuf__putc(out, '-');
		put_u64(out, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(out, (uint64_t)v);
	}
}

void pl_mfield__text(enum pl_mfield_kind kind, const void *field, uint32_t size,
		     struct pl_mbuf *out)
{
	switch (kind) {
	case PL_MFIELD_UINT:
		if (size <= 8)
			put_u64(out, pl_mfield__u64(field, size, 0, 0, false));
		else
			put_hex(out, field, size);
		break;
	case PL_MFIELD_INT:
		if (size <= 8)
			put_i64(out, (int64_t)pl_mfield__u64(field, size, 0, 0, true));
		else
			put_hex(out, field, size);
		break;
	case PL_MFIELD_BOOL:
		pl_mbuf__puts(out, pl_mfield__u64(field, size, 0, 0, false) ? "true" : "false");
		break;
	case PL_MFIELD_FLOAT:
		pl_expo__double(out, pl_mfield__f64(field, size));
		break;
	case PL_MFIELD_CHARS:
		pl_mbuf__add(out, field, strnlen(field, size));
		break;
	default:
		put_hex(out, field, size);
		break;
	}
}

/* ---- decoders -------------------------------------------------------------------- */

static void decode_ip(const uint8_t *p, uint32_t size, struct pl_mbuf *out)
{
	char text[INET6_ADDRSTRLEN];
	bool v4 = size == 4;

	if (size == 16) {
		v4 = true;
		for (int i = 4; i < 16 && v4; i++)
			v4 = p[i] == 0;
	}
	if (v4) {
		/* By hand: glibc's inet_ntop formats IPv4 with sprintf, a tenth
		 * of a 10,000-series scrape. */
		char *t = text;
		for (int i = 0; i < 4; i++) {
			unsigned b = p[i];
			if (b >= 100)
				*t++ = (char)('0' + b / 100);
			if (b >= 10)
				*t++ = (char)('0' + b / 10 % 10);
			*t++ = (char)('0' + b % 10);
			*t++ = '.';
		}
		pl_mbuf__add(out, text, (size_t)(t - text - 1));
		return;
	}
	if (inet_ntop(AF_INET6, p, text, sizeof(text)))
		pl_mbuf__puts(out, text);
}

static void decode_ifname(struct pl_mdecoders *d, int64_t idx, struct pl_mbuf *out)
{
	const char *name = cache_get(&d->ifnames, idx);
	char buf[IF_NAMESIZE];

	if (!name && idx > 0 && idx <= UINT32_MAX && if_indextoname((unsigned)idx, buf)) {
		cache_put(&d->ifnames, idx, buf);
		name = buf;
	}
	if (name)
		pl_mbuf__puts(out, name);
	else
		put_i64(out, idx);
}

static void decode_pid_comm(struct pl_mdecoders *d, int64_t pid, struct pl_mbuf *out)
{
	const char *name = cache_get(&d->comms, pid);
	char path[64], buf[32];

	if (!name && pid > 0) {
		snprintf(path, sizeof(path), "/proc/%" PRId64 "/comm", pid);
		FILE *f = fopen(path, "re");
		if (f) {
			if (fgets(buf, sizeof(buf), f)) {
				buf[strcspn(buf, "\n")] = '\0';
				cache_put(&d->comms, pid, buf);
				name = buf;
			}
			fclose(f);
		}
	}
	if (name)
		pl_mbuf__puts(out, name);
	else
		put_i64(out, pid);
}

void pl_mdecoders__run(struct pl_mdecoders *d, enum pl_mdecode dec, enum pl_mfield_kind kind,
		       const void *field, uint32_t size, struct pl_mbuf *out)
{
	const uint8_t *p = field;
	int64_t v = (int64_t)pl_mfield__u64(field, size, 0, 0, kind == PL_MFIELD_INT);

	switch (dec) {
	case PL_MDECODE_IP:
		decode_ip(p, size, out);
		break;
	case PL_MDECODE_PORT:
		put_u64(out, (uint64_t)(p[0] << 8 | p[1]));
		break;
	case PL_MDECODE_KSYM: {
		/* symbols/: /proc/kallsyms read once per process, shared with bpf.ksym. */
		const struct pl_ksyms *ks = pl_ksyms();
		const struct pl_ksym *sym = ks ? pl_ksyms__find(ks, (uint64_t)v, NULL) : NULL;
		if (sym)
			pl_mbuf__puts(out, sym->name);
		else
			pl_mbuf__printf(out, "0x%" PRIx64, (uint64_t)v);
		break;
	}
	case PL_MDECODE_COMM:
		if (kind == PL_MFIELD_CHARS)
			pl_mbuf__add(out, field, strnlen(field, size));
		else
			decode_pid_comm(d, v, out);
		break;
	case PL_MDECODE_IFNAME:
		decode_ifname(d, v, out);
		break;
	case PL_MDECODE_ERRNO: {
		int64_t e = v < 0 ? -v : v;
		const char *name = e > 0 && e < 4096 ? strerrorname_np((int)e) : NULL;
		if (name)
			pl_mbuf__puts(out, name);
		else
			put_i64(out, v);
		break;
	}
	default:
		pl_mfield__text(kind, field, size, out);
		break;
	}
}
