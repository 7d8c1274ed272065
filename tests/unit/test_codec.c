/* test_codec.c — BTF plans (codec.c) and their Lua conversion (lua_codec.c).
 *
 * The BTF is built in memory with libbpf's btf__add_*(), laid out after C
 * structs of this file (offsetof, probed bitfield positions), so the byte
 * layout checks compare against what the compiler does. No root needed. */
#include "harness.h"

#include "bpf/codec.h"
#include "lua/lua_codec.h"

#include <bpf/btf.h>
#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the C side of the types -------------------------------------------- */

struct inner {
	uint16_t port;
	uint8_t addr[4];
};

struct key {
	uint32_t pid;
	char comm[16];
};

enum proto { P_TCP = 6, P_UDP = 17 };

struct val {
	uint64_t count;
	char name[16];
	struct inner in;
	int32_t delta;
	enum proto proto;
	bool flag;
	struct inner pairs[2];
	int64_t big;
	double ratio;
	struct key *next;
	unsigned char raw[4];
};

struct kv {
	char comm[16];
	uint64_t n;
};

struct bits {
	unsigned a : 3, b : 5;
	int c : 4;
	unsigned d : 20;
	uint64_t e : 40;
	bool f : 1;
	int : 3;             /* anonymous padding: no field */
	int g : 7;
};

struct anon {
	uint32_t kind;
	union {
		uint32_t ip4;
		uint8_t ip6[16];
	};
	struct {
		uint16_t lo, hi;
	};
};

union u {
	uint32_t a;
	uint8_t b[4];
};

/* ---- the BTF side ------------------------------------------------------- */

static struct {
	struct btf *btf;
	int uint_, u32, int_, s32, ull, u64, ll, s64, uchar, u8, ushort, u16, chr, boolean,
	    dbl, i128, flt;
	int char16, u8x4, u64x4, ucharx4, cchar8, name_t4, int23;
	int proto, sign, e64;
	int inner, key, val, kv, bits, anon, uni, bss, ptr_key, bad_sec, legacy;
	int cv_u32;
} T;

static int bit_pos(const void *s, size_t size)
{
	const uint8_t *p = s;

	for (size_t i = 0; i < size; i++)
		for (int b = 0; b < 8; b++)
			if (p[i] & (1u << b))
				return (int)(i * 8 + b);
	return -1;
}

/* Bit offset of bitfield F of struct bits, found by setting it (little-endian
 * numbering, which is BTF's on this host). */
#define BITPOS(f, ones)                                                          \
	({                                                                       \
		struct bits s_;                                                  \
		memset(&s_, 0, sizeof(s_));                                      \
		s_.f = (ones);                                                   \
		bit_pos(&s_, sizeof(s_));                                        \
	})

static struct btf_type *btf_type_by_id_mut(struct btf *b, int id)
{
	return (struct btf_type *)btf__type_by_id(b, id);
}

#define FIELD(name, type, st, member) btf__add_field(b, name, type, offsetof(st, member) * 8, 0)

static void build_btf(void)
{
	struct btf *b = btf__new_empty();

	T.btf = b;
	T.uint_ = btf__add_int(b, "unsigned int", 4, 0);
	T.u32 = btf__add_typedef(b, "__u32", T.uint_);
	T.int_ = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	T.s32 = btf__add_typedef(b, "__s32", T.int_);
	T.ull = btf__add_int(b, "unsigned long long", 8, 0);
	T.u64 = btf__add_typedef(b, "__u64", T.ull);
	T.ll = btf__add_int(b, "long long", 8, BTF_INT_SIGNED);
	T.s64 = btf__add_typedef(b, "__s64", T.ll);
	T.uchar = btf__add_int(b, "unsigned char", 1, 0);
	T.u8 = btf__add_typedef(b, "__u8", T.uchar);
	T.ushort = btf__add_int(b, "unsigned short", 2, 0);
	T.u16 = btf__add_typedef(b, "__u16", T.ushort);
	T.chr = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	T.boolean = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	T.dbl = btf__add_float(b, "double", 8);
	T.flt = btf__add_float(b, "float", 4);
	T.i128 = btf__add_int(b, "__int128", 16, BTF_INT_SIGNED);

	T.char16 = btf__add_array(b, T.int_, T.chr, 16);
	T.u8x4 = btf__add_array(b, T.int_, T.u8, 4);
	T.u64x4 = btf__add_array(b, T.int_, T.u64, 4);
	T.ucharx4 = btf__add_array(b, T.int_, T.uchar, 4);
	T.cchar8 = btf__add_array(b, T.int_, btf__add_const(b, T.chr), 8);
	T.name_t4 = btf__add_array(b, T.int_, btf__add_typedef(b, "name_t", T.chr), 4);
	T.int23 = btf__add_array(b, T.int_, btf__add_array(b, T.int_, T.int_, 3), 2);
	T.cv_u32 = btf__add_volatile(b, btf__add_const(b, btf__add_type_tag(b, "user", T.u32)));

	T.proto = btf__add_enum(b, "proto", 4);
	btf__add_enum_value(b, "P_TCP", 6);
	btf__add_enum_value(b, "P_UDP", 17);
	T.sign = btf__add_enum(b, NULL, 4);
	btf__add_enum_value(b, "NEG", -1);
	T.e64 = btf__add_enum64(b, "wide", 8, false);
	btf__add_enum64_value(b, "HUGE", 1ull << 40);

	T.inner = btf__add_struct(b, "inner", sizeof(struct inner));
	FIELD("port", T.u16, struct inner, port);
	FIELD("addr", T.u8x4, struct inner, addr);

	T.key = btf__add_struct(b, "key", sizeof(struct key));
	FIELD("pid", T.u32, struct key, pid);
	FIELD("comm", T.char16, struct key, comm);
	T.ptr_key = btf__add_ptr(b, T.key);

	int pairs = btf__add_array(b, T.int_, T.inner, 2);
	T.val = btf__add_struct(b, "val", sizeof(struct val));
	FIELD("count", T.u64, struct val, count);
	FIELD("name", T.char16, struct val, name);
	FIELD("in", T.inner, struct val, in);
	FIELD("delta", T.s32, struct val, delta);
	FIELD("proto", T.proto, struct val, proto);
	FIELD("flag", T.boolean, struct val, flag);
	FIELD("pairs", pairs, struct val, pairs);
	FIELD("big", T.s64, struct val, big);
	FIELD("ratio", T.dbl, struct val, ratio);
	FIELD("next", T.ptr_key, struct val, next);
	FIELD("raw", T.ucharx4, struct val, raw);

	T.kv = btf__add_struct(b, "kv", sizeof(struct kv));
	FIELD("comm", T.char16, struct kv, comm);
	FIELD("n", T.u64, struct kv, n);

	T.bits = btf__add_struct(b, "bits", sizeof(struct bits));
	btf__add_field(b, "a", T.uint_, BITPOS(a, 7), 3);
	btf__add_field(b, "b", T.uint_, BITPOS(b, 31), 5);
	btf__add_field(b, "c", T.int_, BITPOS(c, -1), 4);
	btf__add_field(b, "d", T.uint_, BITPOS(d, 0xfffff), 20);
	btf__add_field(b, "e", T.u64, BITPOS(e, 0xffffffffffull), 40);
	btf__add_field(b, "f", T.boolean, BITPOS(f, 1), 1);
	btf__add_field(b, "", T.int_, BITPOS(f, 1) + 1, 3);
	btf__add_field(b, "g", T.int_, BITPOS(g, -1), 7);

	/* Every type a struct uses exists before it: btf__add_field() extends
	 * the type added last. */
	int u8x16 = btf__add_array(b, T.int_, T.u8, 16);
	int un = btf__add_union(b, NULL, 16);
	btf__add_field(b, "ip4", T.u32, 0, 0);
	btf__add_field(b, "ip6", u8x16, 0, 0);
	int st = btf__add_struct(b, NULL, 4);
	btf__add_field(b, "lo", T.u16, 0, 0);
	btf__add_field(b, "hi", T.u16, 16, 0);
	T.anon = btf__add_struct(b, "anon", sizeof(struct anon));
	FIELD("kind", T.u32, struct anon, kind);
	FIELD("", un, struct anon, ip4);
	FIELD("", st, struct anon, lo);

	T.uni = btf__add_union(b, "u", sizeof(union u));
	btf__add_field(b, "a", T.u32, 0, 0);
	btf__add_field(b, "b", T.u8x4, 0, 0);

	int v1 = btf__add_var(b, "counter", BTF_VAR_GLOBAL_ALLOCATED, T.u64);
	int v2 = btf__add_var(b, "label", BTF_VAR_GLOBAL_ALLOCATED, T.cchar8);
	T.bss = btf__add_datasec(b, ".bss", 16);
	btf__add_datasec_var_info(b, v1, 0, 8);
	btf__add_datasec_var_info(b, v2, 8, 8);
	T.bad_sec = btf__add_datasec(b, ".data", 4);
	btf__add_datasec_var_info(b, v1, 0, 8);

	/* Bitfields the pre-kflag way: the member's int type carries the
	 * width (BTF_INT_BITS) and the member offset is in bits. libbpf's
	 * writer only emits kflag bitfields, so patch the encoding by hand. */
	int i5 = btf__add_int(b, "unsigned int", 4, 0);
	int i3 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	*(uint32_t *)(btf_type_by_id_mut(b, i5) + 1) = 5 /* bits */;
	*(uint32_t *)(btf_type_by_id_mut(b, i3) + 1) = (BTF_INT_SIGNED << 24) | 3;
	T.legacy = btf__add_struct(b, "legacy", 4);
	btf__add_field(b, "a", i5, 0, 0);
	btf__add_field(b, "b", i3, 8, 0);
	btf_members(btf_type_by_id_mut(b, T.legacy))[1].offset = 5;   /* bits 5..7 */
}

/* ---- Lua helpers -------------------------------------------------------- */

static const char dump_src[] =
	"local function dump(v)\n"
	"  if type(v) ~= 'table' then\n"
	"    return type(v) == 'string' and string.format('%q', v) or tostring(v)\n"
	"  end\n"
	"  local ks, out = {}, {}\n"
	"  for k in pairs(v) do ks[#ks + 1] = k end\n"
	"  table.sort(ks, function(a, b) return tostring(a) < tostring(b) end)\n"
	"  for _, k in ipairs(ks) do out[#out + 1] = tostring(k) .. '=' .. dump(v[k]) end\n"
	"  return '{' .. table.concat(out, ',') .. '}'\n"
	"end\n"
	"return dump\n";

static lua_State *new_state(void)
{
	lua_State *L = luaL_newstate();

	luaL_openlibs(L);
	if (luaL_dostring(L, dump_src))
		abort();
	lua_setglobal(L, "dump");
	return L;
}

/* Push the value of the Lua expression EXPR. */
static void eval(lua_State *L, const char *expr)
{
	char code[1024];

	snprintf(code, sizeof(code), "return %s", expr);
	if (luaL_loadstring(L, code) || lua_pcall(L, 0, 1, 0)) {
		fprintf(stderr, "eval(%s): %s\n", expr, lua_tostring(L, -1));
		abort();
	}
}

/* dump() of the value at the top of the stack, popped; into BUF. */
static const char *dump_top(lua_State *L, char *buf, size_t len)
{
	lua_getglobal(L, "dump");                 /* v dump */
	lua_insert(L, -2);                        /* dump v */
	lua_call(L, 1, 1);                        /* s */
	snprintf(buf, len, "%s", lua_tostring(L, -1));
	lua_pop(L, 1);
	return buf;
}

static struct pl_codec *plan(int id, uint32_t size)
{
	struct pl_codec *c = pl_codec__new(T.btf, id, size);

	CHECK_MSG(c, "pl_codec__new(%d): %s", id, strerror(errno));
	return c;
}

/* EXPR → bytes (into OUT, if not NULL) → Lua; the result must dump as WANT
 * does (WANT NULL: as EXPR). */
static void roundtrip_into(lua_State *L, const struct pl_codec *c, const char *expr,
			   const char *want, void *out)
{
	char err[256], got[2048], exp[2048];
	uint8_t *buf = calloc(1, c->size + 1);
	int top = lua_gettop(L);

	eval(L, expr);
	int ret = pl_lua_to_value(L, -1, c, buf, err, sizeof(err));
	CHECK_MSG(ret == 0, "%s: %s", expr, err);
	CHECK(lua_gettop(L) == top + 1);
	lua_pop(L, 1);
	pl_lua_push_value(L, c, buf);
	dump_top(L, got, sizeof(got));
	eval(L, want ? want : expr);
	dump_top(L, exp, sizeof(exp));
	CHECK_MSG(!strcmp(got, exp), "%s:\n  got  %s\n  want %s", expr, got, exp);
	CHECK(lua_gettop(L) == top);
	if (out)
		memcpy(out, buf, c->size);
	free(buf);
}

static void roundtrip(lua_State *L, const struct pl_codec *c, const char *expr, const char *want)
{
	roundtrip_into(L, c, expr, want, NULL);
}

/* EXPR must not convert, with an error message containing MSG. */
static void check_err(lua_State *L, const struct pl_codec *c, const char *expr, const char *msg)
{
	char err[256] = "";
	uint8_t *buf = calloc(1, c->size + 1);
	int top = lua_gettop(L);

	eval(L, expr);
	int ret = pl_lua_to_value(L, -1, c, buf, err, sizeof(err));
	CHECK_MSG(ret == -EINVAL, "%s converted (ret %d)", expr, ret);
	CHECK_STR_CONTAINS(err, msg);
	CHECK(lua_gettop(L) == top + 1);
	lua_pop(L, 1);
	free(buf);
}

/* ---- plans -------------------------------------------------------------- */

static void test_untyped(void)
{
	struct pl_codec *c = pl_codec__new(NULL, 0, 8);

	CHECK(c && c->kind == PL_CODEC_INT && c->size == 8 && !c->is_signed);
	CHECK(c && !strcmp(c->type_name, "__u64"));
	pl_codec__free(c);
	c = pl_codec__new(NULL, 0, 16);
	CHECK(c && c->kind == PL_CODEC_BYTES && c->size == 16);
	CHECK(c && !strcmp(c->type_name, "bytes[16]"));
	pl_codec__free(c);
	c = pl_codec__new(T.btf, 0, 2);
	CHECK(c && c->kind == PL_CODEC_INT && c->size == 2);
	pl_codec__free(c);
	c = pl_codec__new(NULL, 0, 0);
	CHECK(c && c->kind == PL_CODEC_BYTES && c->size == 0);
	pl_codec__free(c);
	pl_codec__free(NULL);

	/* A size that disagrees with the BTF: the size wins, never an overrun. */
	c = pl_codec__new(T.btf, T.key, 4);
	CHECK(c && c->kind == PL_CODEC_INT && c->size == 4);
	pl_codec__free(c);
	/* Size 0 with a type: the type's own size. */
	c = pl_codec__new(T.btf, T.key, 0);
	CHECK(c && c->kind == PL_CODEC_STRUCT && c->size == sizeof(struct key));
	pl_codec__free(c);

	/* BTF the codec cannot follow: an error, unless there is a size to
	 * fall back to (a map stays usable as raw integers or bytes). */
	errno = 0;
	c = pl_codec__new(T.btf, 100000, 0);
	CHECK(!c && errno == EINVAL);
	c = pl_codec__new(T.btf, 100000, 4);
	CHECK(c && c->kind == PL_CODEC_INT && c->size == 4);
	pl_codec__free(c);
	errno = 0;
	c = pl_codec__new(T.btf, T.bad_sec, 0);   /* a variable beyond its section */
	CHECK(!c && errno == EINVAL);
	c = pl_codec__new(T.btf, T.bad_sec, 12);
	CHECK(c && c->kind == PL_CODEC_BYTES && c->size == 12 && !strcmp(c->type_name, "bytes[12]"));
	pl_codec__free(c);
}

static void check_plan(int id, enum pl_codec_kind kind, uint32_t size, bool is_signed,
		       const char *name)
{
	struct pl_codec *c = plan(id, 0);

	if (!c)
		return;
	CHECK_MSG(c->kind == kind, "%s: kind %d, want %d", name, c->kind, kind);
	CHECK_MSG(c->size == size, "%s: size %u, want %u", name, c->size, size);
	CHECK_MSG(c->is_signed == is_signed, "%s: is_signed %d", name, c->is_signed);
	CHECK_MSG(!strcmp(c->type_name, name), "type_name '%s', want '%s'", c->type_name, name);
	pl_codec__free(c);
}

static void test_plans(void)
{
	check_plan(T.u32, PL_CODEC_INT, 4, false, "__u32");
	check_plan(T.s64, PL_CODEC_INT, 8, true, "__s64");
	check_plan(T.u8, PL_CODEC_INT, 1, false, "__u8");
	check_plan(T.int_, PL_CODEC_INT, 4, true, "int");
	check_plan(T.cv_u32, PL_CODEC_INT, 4, false, "__u32");
	check_plan(T.boolean, PL_CODEC_BOOL, 1, false, "_Bool");
	check_plan(T.dbl, PL_CODEC_FLOAT, 8, false, "double");
	check_plan(T.i128, PL_CODEC_BYTES, 16, false, "__int128");
	check_plan(T.char16, PL_CODEC_CHARS, 16, false, "char[16]");
	check_plan(T.ucharx4, PL_CODEC_CHARS, 4, false, "unsigned char[4]");
	check_plan(T.cchar8, PL_CODEC_CHARS, 8, false, "char[8]");
	check_plan(T.u8x4, PL_CODEC_ARRAY, 4, false, "__u8[4]");
	check_plan(T.name_t4, PL_CODEC_ARRAY, 4, false, "name_t[4]");
	check_plan(T.u64x4, PL_CODEC_ARRAY, 32, false, "__u64[4]");
	check_plan(T.int23, PL_CODEC_ARRAY, 24, false, "int[2][3]");
	check_plan(T.proto, PL_CODEC_ENUM, 4, false, "enum proto");
	check_plan(T.sign, PL_CODEC_ENUM, 4, true, "enum (anonymous)");
	check_plan(T.e64, PL_CODEC_ENUM, 8, false, "enum wide");
	check_plan(T.ptr_key, PL_CODEC_INT, 8, false, "struct key *");
	check_plan(T.key, PL_CODEC_STRUCT, sizeof(struct key), false, "struct key");
	check_plan(T.uni, PL_CODEC_STRUCT, sizeof(union u), false, "union u");
	check_plan(T.bss, PL_CODEC_STRUCT, 16, false, "section .bss");

	struct pl_codec *c = plan(T.val, sizeof(struct val));
	CHECK(c && c->nfields == 11);
	if (c && c->nfields == 11) {
		CHECK(!strcmp(c->fields[2].name, "in") && c->fields[2].offset == offsetof(struct val, in));
		CHECK(c->fields[2].type->kind == PL_CODEC_STRUCT);
		CHECK(c->fields[6].type->kind == PL_CODEC_ARRAY && c->fields[6].type->nelems == 2);
		CHECK(!strcmp(c->fields[6].type->type_name, "struct inner[2]"));
		/* One plan per type within a build: both uses of struct inner share it. */
		CHECK(c->fields[6].type->elem == c->fields[2].type);
		CHECK(!strcmp(c->fields[9].type->type_name, "struct key *"));
		pl_codec__free(c);
	}
	c = plan(T.anon, sizeof(struct anon));
	CHECK(c && c->nfields == 5);   /* kind, ip4, ip6, lo, hi */
	if (c && c->nfields == 5) {
		CHECK(!strcmp(c->fields[1].name, "ip4") && c->fields[1].offset == offsetof(struct anon, ip4));
		CHECK(!strcmp(c->fields[2].name, "ip6") && c->fields[2].offset == offsetof(struct anon, ip6));
		CHECK(!strcmp(c->fields[4].name, "hi") && c->fields[4].offset == offsetof(struct anon, hi));
		pl_codec__free(c);
	}
	c = plan(T.bits, sizeof(struct bits));
	CHECK(c && c->nfields == 7);   /* the `int :3` padding is no field */
	if (c && c->nfields == 7) {
		CHECK(c->fields[4].bit_size == 40);
		pl_codec__free(c);
	}
}

/* ---- conversions -------------------------------------------------------- */

static void test_scalars(void)
{
	lua_State *L = new_state();
	struct pl_codec *u32 = plan(T.u32, 4), *s64 = plan(T.s64, 8), *u8 = plan(T.u8, 1);
	struct pl_codec *u64 = plan(T.u64, 8), *b = plan(T.boolean, 1), *d = plan(T.dbl, 8);
	struct pl_codec *e = plan(T.proto, 4), *neg = plan(T.sign, 4), *f = plan(T.flt, 4);
	struct pl_codec *i128 = plan(T.i128, 16);
	uint8_t buf[16];

	roundtrip(L, u32, "4294967295", NULL);
	roundtrip(L, u32, "7.0", "7");                  /* exact floats are integers */
	roundtrip(L, s64, "math.mininteger", NULL);
	roundtrip(L, s64, "-5", NULL);
	roundtrip(L, u8, "255", NULL);
	roundtrip(L, b, "true", NULL);
	roundtrip(L, b, "1", "true");
	roundtrip(L, b, "false", NULL);
	roundtrip(L, d, "0.25", NULL);
	roundtrip(L, f, "1.5", NULL);
	roundtrip(L, e, "17", NULL);
	roundtrip(L, neg, "-1", NULL);
	roundtrip(L, i128, "string.rep('\\1', 16)", NULL);

	/* __u64 beyond 2^63-1 wraps to a negative integer, and back. */
	roundtrip_into(L, u64, "-1", NULL, buf);
	CHECK(!memcmp(buf, "\xff\xff\xff\xff\xff\xff\xff\xff", 8));
	roundtrip_into(L, u64, "2^63", "math.mininteger", buf);
	uint64_t v;
	memcpy(&v, buf, 8);
	CHECK(v == 1ull << 63);
	roundtrip(L, u64, "2^64 - 2^11", "-2048");

	check_err(L, u32, "4294967296", "4294967296 does not fit __u32");
	check_err(L, u32, "-1", "-1 does not fit __u32");
	check_err(L, u8, "256", "256 does not fit __u8");
	check_err(L, u32, "1.5", "1.5 is not an integer for __u32");
	check_err(L, u32, "0/0", "is not an integer for __u32");
	check_err(L, u32, "'7'", "expected integer for __u32, got string");
	check_err(L, u64, "2^64", "does not fit __u64");
	check_err(L, s64, "2^63", "does not fit __s64");
	check_err(L, b, "2", "expected boolean for _Bool, got number");
	check_err(L, d, "'x'", "expected number for double, got string");
	check_err(L, e, "2^32", "does not fit enum proto");
	check_err(L, i128, "'short'", "string of 5 bytes for __int128, expected 16 bytes");
	check_err(L, i128, "{}", "expected string for __int128, got table");

	pl_codec__free(u32);
	pl_codec__free(s64);
	pl_codec__free(u8);
	pl_codec__free(u64);
	pl_codec__free(b);
	pl_codec__free(d);
	pl_codec__free(e);
	pl_codec__free(neg);
	pl_codec__free(f);
	pl_codec__free(i128);
	lua_close(L);
}

static void test_strings_and_arrays(void)
{
	lua_State *L = new_state();
	struct pl_codec *c16 = plan(T.char16, 16), *a4 = plan(T.u8x4, 4);
	struct pl_codec *u64x4 = plan(T.u64x4, 32), *int23 = plan(T.int23, 24);
	struct pl_codec *uc4 = plan(T.ucharx4, 4);
	uint8_t buf[32];

	roundtrip_into(L, c16, "'bash'", NULL, buf);
	CHECK(!memcmp(buf, "bash\0\0\0\0\0\0\0\0\0\0\0\0", 16));
	roundtrip(L, c16, "''", NULL);
	roundtrip(L, c16, "'0123456789abcdef'", NULL);  /* 16 bytes: no NUL */
	roundtrip(L, c16, "'ab\\0cd'", "'ab'");         /* cut at the first NUL */
	roundtrip(L, uc4, "'abcd'", NULL);
	check_err(L, c16, "'0123456789abcdefg'", "string of 17 bytes does not fit char[16]");
	check_err(L, c16, "5", "expected string for char[16], got number");

	roundtrip(L, a4, "{198, 18, 0, 1}", NULL);
	roundtrip(L, a4, "{1, 2}", "{1, 2, 0, 0}");
	roundtrip(L, a4, "{[4] = 9}", "{0, 0, 0, 9}");
	roundtrip(L, a4, "'\\198\\18\\0\\1'", "{198, 18, 0, 1}");  /* packed bytes */
	roundtrip(L, u64x4, "{1, 2, 3, -1}", NULL);
	roundtrip(L, int23, "{{1, 2, 3}, {-4, -5, -6}}", NULL);
	check_err(L, a4, "{1, 2, 3, 4, 5}", "5 elements do not fit __u8[4]");
	check_err(L, a4, "{1, 2, 300}", "field '[3]': 300 does not fit __u8");
	check_err(L, a4, "{x = 1}", "string key in a sequence for __u8[4]");
	check_err(L, a4, "{[0] = 1}", "index 0 is out of range for __u8[4]");
	check_err(L, a4, "'abc'", "string of 3 bytes for __u8[4], expected 4 bytes");
	check_err(L, a4, "7", "expected table for __u8[4], got number");
	check_err(L, int23, "{{}, {1, 2, 3, 4}}", "field '[2]': 4 elements do not fit int[3]");

	pl_codec__free(c16);
	pl_codec__free(a4);
	pl_codec__free(u64x4);
	pl_codec__free(int23);
	pl_codec__free(uc4);
	lua_close(L);
}

static void test_structs(void)
{
	lua_State *L = new_state();
	struct pl_codec *key = plan(T.key, sizeof(struct key));
	struct pl_codec *val = plan(T.val, sizeof(struct val));
	struct pl_codec *kv = plan(T.kv, sizeof(struct kv));
	struct val v;
	struct kv k;

	roundtrip(L, key, "{pid = 42, comm = 'bash'}", NULL);
	roundtrip(L, key, "{}", "{pid = 0, comm = ''}");
	roundtrip_into(L, val,
		       "{count = 7, name = 'hello world 1234', ['in'] = {port = 8080, addr = {198, 18, 0, 1}},"
		       " delta = -5, proto = 6, flag = true, pairs = {{port = 1, addr = {1, 1, 1, 1}},"
		       " {port = 2, addr = {2, 2, 2, 2}}}, big = -1, ratio = 0.5, next = 4096, raw = 'ab'}",
		       NULL, &v);
	CHECK(v.count == 7 && !memcmp(v.name, "hello world 1234", 16));
	CHECK(v.in.port == 8080 && v.in.addr[0] == 198 && v.in.addr[3] == 1);
	CHECK(v.delta == -5 && v.proto == P_TCP && v.flag && v.big == -1 && v.ratio == 0.5);
	CHECK(v.pairs[1].port == 2 && v.pairs[1].addr[2] == 2);
	CHECK((uintptr_t)v.next == 4096 && !memcmp(v.raw, "ab\0\0", 4));

	/* Exact layout: char[16] then __u64, against the compiler's. */
	struct kv want = { .comm = "comm", .n = 0x1122334455667788ull };
	roundtrip_into(L, kv, "{comm = 'comm', n = 0x1122334455667788}", NULL, &k);
	CHECK(!memcmp(&k, &want, sizeof(k)));

	check_err(L, key, "5", "expected table for struct key, got number");
	check_err(L, key, "{pid = 4294967296}", "field 'pid': 4294967296 does not fit __u32");
	check_err(L, key, "{pid = -1}", "field 'pid': -1 does not fit __u32");
	check_err(L, key, "{comm = 5}", "field 'comm': expected string for char[16], got number");
	check_err(L, key, "{pid = 1, nosuch = 2}", "struct key has no field 'nosuch'");
	check_err(L, key, "{pid = 1, [1] = 2}", "number key in a table for struct key");
	check_err(L, val, "{name = string.rep('x', 17)}",
		  "field 'name': string of 17 bytes does not fit char[16]");
	check_err(L, val, "{['in'] = {port = 70000}}", "field 'in.port': 70000 does not fit __u16");
	check_err(L, val, "{['in'] = {addr = {1, 2, 3, 4, 5}}}",
		  "field 'in.addr': 5 elements do not fit __u8[4]");
	check_err(L, val, "{['in'] = {typo = 1}}", "field 'in': struct inner has no field 'typo'");
	check_err(L, val, "{pairs = {{}, {port = 'x'}}}",
		  "field 'pairs[2].port': expected integer for __u16, got string");
	check_err(L, val, "{pairs = {{}, {}, {}}}", "field 'pairs': 3 elements do not fit struct inner[2]");
	check_err(L, val, "{flag = 'yes'}", "field 'flag': expected boolean for _Bool, got string");
	check_err(L, val, "{proto = -1}", "field 'proto': -1 does not fit enum proto");
	check_err(L, val, "{count = {}}", "field 'count': expected integer for __u64, got table");

	/* A short error buffer truncates, never overflows. */
	char small[8];
	eval(L, "{pid = 4294967296}");
	CHECK(pl_lua_to_value(L, -1, key, &k, small, sizeof(small)) == -EINVAL);
	CHECK(strlen(small) == 7);
	lua_pop(L, 1);

	pl_codec__free(key);
	pl_codec__free(val);
	pl_codec__free(kv);
	lua_close(L);
}

static void test_bitfields(void)
{
	lua_State *L = new_state();
	struct pl_codec *c = plan(T.bits, sizeof(struct bits));
	struct bits b;

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	/* BITPOS numbers bits the little-endian way. */
	pl_codec__free(c);
	lua_close(L);
	return;
#endif
	roundtrip_into(L, c, "{a = 5, b = 31, c = -8, d = 0xfffff, e = 0xffffffffff, f = true, g = -64}",
		       NULL, &b);
	CHECK(b.a == 5 && b.b == 31 && b.c == -8 && b.d == 0xfffff && b.e == 0xffffffffffull);
	CHECK(b.f && b.g == -64);
	roundtrip(L, c, "{c = 7, g = 63}", "{a = 0, b = 0, c = 7, d = 0, e = 0, f = false, g = 63}");

	/* Decoding what the compiler wrote. */
	memset(&b, 0, sizeof(b));
	b.a = 3;
	b.c = -1;
	b.e = 0x123456789aull;
	b.g = -2;
	pl_lua_push_value(L, c, &b);
	char got[512];
	dump_top(L, got, sizeof(got));
	CHECK_MSG(!strcmp(got, "{a=3,b=0,c=-1,d=0,e=78187493530,f=false,g=-2}"), "%s", got);

	check_err(L, c, "{a = 8}", "field 'a': 8 does not fit unsigned int:3");
	check_err(L, c, "{c = 8}", "field 'c': 8 does not fit int:4");
	check_err(L, c, "{c = -9}", "field 'c': -9 does not fit int:4");
	check_err(L, c, "{e = 1 << 40}", "field 'e': 1099511627776 does not fit __u64:40");
	check_err(L, c, "{f = 2}", "field 'f': expected boolean for _Bool, got number");
	pl_codec__free(c);

	c = plan(T.legacy, 4);
	if (c) {
		uint8_t buf[4];

		CHECK(c->nfields == 2 && c->fields[1].bit_offset == 5 && c->fields[1].bit_size == 3);
		roundtrip_into(L, c, "{a = 31, b = -3}", NULL, buf);
		CHECK(buf[0] == (31 | (5 << 5)) && !buf[1] && !buf[2] && !buf[3]);
		check_err(L, c, "{b = 4}", "field 'b': 4 does not fit int:3");
		pl_codec__free(c);
	}
	lua_close(L);
}

static void test_unions_and_sections(void)
{
	lua_State *L = new_state();
	struct pl_codec *anon = plan(T.anon, sizeof(struct anon));
	struct pl_codec *u = plan(T.uni, sizeof(union u));
	struct pl_codec *bss = plan(T.bss, 16);
	struct anon a;
	union u uu;

	roundtrip_into(L, anon, "{kind = 4, ip4 = 0x0100a8c0, lo = 1, hi = 2}",
		       "{kind = 4, ip4 = 0x0100a8c0, ip6 = {0xc0, 0xa8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,"
		       " 0, 0, 0, 0}, lo = 1, hi = 2}", &a);
	CHECK(a.kind == 4 && a.ip4 == 0x0100a8c0 && a.lo == 1 && a.hi == 2);
	pl_lua_push_value(L, anon, &a);
	lua_getfield(L, -1, "ip6");                               /* t ip6 */
	lua_rawgeti(L, -1, 1);                                    /* t ip6 ip6[1] */
	CHECK(lua_tointeger(L, -1) == 0xc0);                      /* the union's bytes, as ip6 */
	lua_pop(L, 3);
	check_err(L, anon, "{ip7 = 1}", "struct anon has no field 'ip7'");

	/* Every member decodes the same bytes; written in declaration order. */
	roundtrip_into(L, u, "{b = {1, 2, 3, 4}}", "{a = 0x04030201, b = {1, 2, 3, 4}}", &uu);
	CHECK(uu.a == 0x04030201);
	roundtrip(L, u, "{a = 0x04030201, b = {1, 2, 3, 4}}", NULL);

	roundtrip(L, bss, "{counter = 99, label = 'hi'}", NULL);

	pl_codec__free(anon);
	pl_codec__free(u);
	pl_codec__free(bss);
	lua_close(L);
}

/* pairs() over a big map pushes one value per entry: it must not leak
 * stack slots, and a deep struct still fits the default stack. */
static void test_many_pushes(void)
{
	lua_State *L = new_state();
	struct pl_codec *val = plan(T.val, sizeof(struct val));
	struct val v;
	char err[256];

	memset(&v, 0, sizeof(v));
	v.count = 1;
	for (int i = 0; i < 100000; i++) {
		pl_lua_push_value(L, val, &v);
		if (i % 1000 == 0) {
			CHECK(lua_gettop(L) == 1);
			CHECK(pl_lua_to_value(L, -1, val, &v, err, sizeof(err)) == 0);
		}
		lua_pop(L, 1);
	}
	CHECK(lua_gettop(L) == 0 && v.count == 1);
	pl_codec__free(val);
	lua_close(L);
}

int main(void)
{
	build_btf();
	if (!T.btf || T.bss < 0) {
		fprintf(stderr, "cannot build test BTF\n");
		return 1;
	}
	RUN(test_untyped);
	RUN(test_plans);
	RUN(test_scalars);
	RUN(test_strings_and_arrays);
	RUN(test_structs);
	RUN(test_bitfields);
	RUN(test_unions_and_sections);
	RUN(test_many_pushes);
	btf__free(T.btf);
	return pl_test_summary();
}
