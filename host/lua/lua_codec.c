/* lua_codec.c — BTF-typed bytes ↔ Lua values (lua_codec.h).
 *
 * Both directions walk a plan from codec.c. Reading is on the hot path of
 * pairs() over big maps, so it only creates the Lua values themselves:
 * tables are presized, and field names are the plan's own stable strings
 * (Lua's string cache recognises them by address). */
#include "lua/lua_codec.h"

#include <lauxlib.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- bytes -------------------------------------------------------------- */

static uint64_t load_uint(const uint8_t *p, uint32_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	default: memcpy(&u64, p, 8); return u64;
	}
}

static void store_uint(uint8_t *p, uint32_t size, uint64_t v)
{
	uint8_t u8 = v;
	uint16_t u16 = v;
	uint32_t u32 = v;

	switch (size) {
	case 1: memcpy(p, &u8, 1); break;
	case 2: memcpy(p, &u16, 2); break;
	case 4: memcpy(p, &u32, 4); break;
	default: memcpy(p, &v, 8); break;
	}
}

/* Sign-extend the low BITS bits of V. */
static int64_t sext(uint64_t v, unsigned bits)
{
	if (bits >= 64)
		return (int64_t)v;
	uint64_t m = 1ull << (bits - 1);
	v &= (1ull << bits) - 1;
	return (int64_t)((v ^ m) - m);
}

static uint64_t mask_of(unsigned bits)
{
	return bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
}

/* A bitfield spans at most 9 bytes (7 bits of offset + 64 bits): hold them
 * in 128 bits, numbered the way the target numbers them (BTF bit offsets
 * count from the first byte's low bit on little-endian, high bit on big). */
__extension__ typedef unsigned __int128 u128;

static unsigned span(const struct pl_codec_field *f)
{
	return (f->bit_offset + f->bit_size + 7) / 8;
}

static unsigned shift_of(const struct pl_codec_field *f)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return f->bit_offset;
#else
	return span(f) * 8 - f->bit_offset - f->bit_size;
#endif
}

static u128 load_span(const uint8_t *p, unsigned n)
{
	u128 v = 0;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
#else
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
#endif
	return v;
}

static void store_span(uint8_t *p, unsigned n, u128 v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
#else
	for (unsigned i = n; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
#endif
}

static uint64_t load_bits(const uint8_t *base, const struct pl_codec_field *f)
{
	u128 v = load_span(base + f->offset, span(f));

	return (uint64_t)(v >> shift_of(f)) & mask_of(f->bit_size);
}

static void store_bits(uint8_t *base, const struct pl_codec_field *f, uint64_t val)
{
	unsigned n = span(f), sh = shift_of(f);
	u128 m = (u128)mask_of(f->bit_size) << sh;
	u128 v = load_span(base + f->offset, n);

	v = (v & ~m) | (((u128)val << sh) & m);
	store_span(base + f->offset, n, v);
}

/* ---- bytes to Lua ------------------------------------------------------- */

static void push(lua_State *L, const struct pl_codec *c, const uint8_t *p);

static void push_bitfield(lua_State *L, const struct pl_codec_field *f, const uint8_t *base)
{
	uint64_t v = load_bits(base, f);

	if (f->type->kind == PL_CODEC_BOOL)
		lua_pushboolean(L, v != 0);
	else if (f->type->is_signed)
		lua_pushinteger(L, sext(v, f->bit_size));
	else
		lua_pushinteger(L, (lua_Integer)v);
}

static void push(lua_State *L, const struct pl_codec *c, const uint8_t *p)
{
	switch (c->kind) {
	case PL_CODEC_INT:
	case PL_CODEC_ENUM: {
		uint64_t v = load_uint(p, c->size);

		/* Unsigned 64-bit wraps into the signed lua_Integer on purpose. */
		lua_pushinteger(L, c->is_signed ? sext(v, c->size * 8) : (lua_Integer)v);
		break;
	}
	case PL_CODEC_BOOL:
		lua_pushboolean(L, load_uint(p, c->size) != 0);
		break;
	case PL_CODEC_FLOAT:
		if (c->size == 4) {
			float f;
			memcpy(&f, p, 4);
			lua_pushnumber(L, f);
		} else {
			double d;
			memcpy(&d, p, 8);
			lua_pushnumber(L, d);
		}
		break;
	case PL_CODEC_CHARS:
		lua_pushlstring(L, (const char *)p, strnlen((const char *)p, c->size));
		break;
	case PL_CODEC_ARRAY:
		luaL_checkstack(L, 2, "nested BTF value");
		lua_createtable(L, (int)c->nelems, 0);          /* seq */
		for (uint32_t i = 0; i < c->nelems; i++) {
			push(L, c->elem, p + (size_t)i * c->elem->size); /* seq elem */
			lua_rawseti(L, -2, (lua_Integer)i + 1);  /* seq */
		}
		break;
	case PL_CODEC_STRUCT:
		luaL_checkstack(L, 2, "nested BTF value");
		lua_createtable(L, 0, (int)c->nfields);         /* t */
		for (uint32_t i = 0; i < c->nfields; i++) {
			const struct pl_codec_field *f = &c->fields[i];

			if (f->bit_size)
				push_bitfield(L, f, p);         /* t v */
			else
				push(L, f->type, p + f->offset); /* t v */
			lua_setfield(L, -2, f->name);           /* t */
		}
		break;
	case PL_CODEC_BYTES:
	default:
		lua_pushlstring(L, (const char *)p, c->size);
		break;
	}
}

void pl_lua_push_value(lua_State *L, const struct pl_codec *c, const void *data)
{
	push(L, c, data);
}

/* ---- Lua to bytes ------------------------------------------------------- */

/* Where the walk is: rendered as "in.pairs[2].port" only for an error, so
 * the walk itself costs no formatting. */
struct step {
	const char *field;       /* NULL: a sequence index */
	lua_Integer index;
};

#define MAX_STEPS 64         /* plans nest at most 32 deep (codec.c) */

struct conv {
	lua_State *L;
	char *err;
	size_t errlen;
	int nsteps;
	struct step steps[MAX_STEPS];
};

static void enter_field(struct conv *cv, const char *name)
{
	if (cv->nsteps < MAX_STEPS)
		cv->steps[cv->nsteps] = (struct step){ .field = name };
	cv->nsteps++;
}

static void enter_index(struct conv *cv, lua_Integer i)
{
	if (cv->nsteps < MAX_STEPS)
		cv->steps[cv->nsteps] = (struct step){ .index = i };
	cv->nsteps++;
}

static void leave(struct conv *cv)
{
	cv->nsteps--;
}

static void render_path(const struct conv *cv, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < cv->nsteps && i < MAX_STEPS && n < len; i++) {
		const struct step *s = &cv->steps[i];
		int w;

		if (s->field)
			w = snprintf(buf + n, len - n, "%s%s", i ? "." : "", s->field);
		else
			w = snprintf(buf + n, len - n, "[%lld]", (long long)s->index);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

__attribute__((format(printf, 2, 3)))
static int fail(struct conv *cv, const char *fmt, ...)
{
	char msg[256], path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!cv->errlen)
		return -EINVAL;
	if (cv->nsteps) {
		render_path(cv, path, sizeof(path));
		snprintf(cv->err, cv->errlen, "field '%s': %s", path, msg);
	} else {
		snprintf(cv->err, cv->errlen, "%s", msg);
	}
	return -EINVAL;
}

static int wrong_type(struct conv *cv, int idx, const char *want, const struct pl_codec *c)
{
	return fail(cv, "expected %s for %s, got %s", want, c->type_name,
		    luaL_typename(cv->L, idx));
}

/* "__u32", or "unsigned int:3" for a bitfield: for messages. */
static const char *int_name(const struct pl_codec *c, unsigned bits, char *buf, size_t len)
{
	if (bits >= c->size * 8)
		return c->type_name;
	snprintf(buf, len, "%s:%u", c->type_name, bits);
	return buf;
}

/* The integer at IDX for a BITS-bit integer type C (bits < size*8 for
 * bitfields), range-checked, in *V as the bits to store. */
static int to_int(struct conv *cv, int idx, const struct pl_codec *c, unsigned bits, uint64_t *v)
{
	lua_State *L = cv->L;
	char tname[160];
	lua_Integer i;

	if (lua_type(L, idx) != LUA_TNUMBER)   /* not lua_isnumber: no "42" strings */
		return fail(cv, "expected integer for %s, got %s",
			    int_name(c, bits, tname, sizeof(tname)), luaL_typename(L, idx));
	if (lua_isinteger(L, idx)) {
		i = lua_tointeger(L, idx);
	} else {
		double d = lua_tonumber(L, idx);

		if (isnan(d) || isinf(d))
			return fail(cv, "%g is not an integer for %s", d,
				    int_name(c, bits, tname, sizeof(tname)));
		if (d >= -0x1p63 && d < 0x1p63) {
			i = (lua_Integer)d;
			if ((double)i != d)
				return fail(cv, "%.14g is not an integer for %s", d,
					    int_name(c, bits, tname, sizeof(tname)));
		} else if (!c->is_signed && bits == 64 && d >= 0x1p63 && d < 0x1p64) {
			*v = (uint64_t)d;              /* above Lua's integers: exact */
			return 0;
		} else {
			return fail(cv, "%.14g does not fit %s", d,
				    int_name(c, bits, tname, sizeof(tname)));
		}
	}
	if (bits < 64) {
		bool ok;

		if (c->is_signed)
			ok = i >= -(lua_Integer)(1ull << (bits - 1)) &&
			     i <= (lua_Integer)((1ull << (bits - 1)) - 1);
		else
			ok = i >= 0 && (uint64_t)i <= mask_of(bits);
		if (!ok)
			return fail(cv, "%lld does not fit %s", (long long)i,
				    int_name(c, bits, tname, sizeof(tname)));
	}
	/* 64 bits: every Lua integer fits; for unsigned, negatives wrap. */
	*v = (uint64_t)i & mask_of(bits);
	return 0;
}

static int to_bool(struct conv *cv, int idx, const struct pl_codec *c, uint64_t *v)
{
	lua_State *L = cv->L;

	if (lua_type(L, idx) == LUA_TBOOLEAN) {
		*v = lua_toboolean(L, idx);
		return 0;
	}
	if (lua_isinteger(L, idx) && (lua_tointeger(L, idx) == 0 || lua_tointeger(L, idx) == 1)) {
		*v = (uint64_t)lua_tointeger(L, idx);
		return 0;
	}
	return wrong_type(cv, idx, "boolean", c);
}

static int to_value(struct conv *cv, int idx, const struct pl_codec *c, uint8_t *out);

static int to_array(struct conv *cv, int idx, const struct pl_codec *c, uint8_t *out)
{
	lua_State *L = cv->L;
	size_t n;
	int err;

	if (lua_type(L, idx) == LUA_TSTRING && c->elem->kind == PL_CODEC_INT &&
	    c->elem->size == 1) {
		const char *s = lua_tolstring(L, idx, &n);

		if (n != c->size)
			return fail(cv, "string of %zu bytes for %s, expected %u bytes",
				    n, c->type_name, c->size);
		memcpy(out, s, n);
		return 0;
	}
	if (lua_type(L, idx) != LUA_TTABLE)
		return wrong_type(cv, idx, "table", c);
	n = lua_rawlen(L, idx);
	if (n > c->nelems)
		return fail(cv, "%zu elements do not fit %s", n, c->type_name);
	if (!lua_checkstack(L, 3))
		return fail(cv, "value nested too deeply");
	lua_pushnil(L);                                          /* k */
	while (lua_next(L, idx)) {                               /* k v */
		lua_Integer k;

		if (!lua_isinteger(L, -2))
			return fail(cv, "%s key in a sequence for %s",
				    luaL_typename(L, -2), c->type_name);
		k = lua_tointeger(L, -2);
		if (k < 1 || (uint64_t)k > c->nelems)
			return fail(cv, "index %lld is out of range for %s",
				    (long long)k, c->type_name);
		enter_index(cv, k);
		err = to_value(cv, lua_gettop(L), c->elem, out + (size_t)(k - 1) * c->elem->size);
		if (err)
			return err;
		leave(cv);
		lua_pop(L, 1);                                   /* k */
	}
	return 0;
}

/* A key of the table at IDX that names no field of C: the error. */
static int unknown_field(struct conv *cv, int idx, const struct pl_codec *c)
{
	lua_State *L = cv->L;

	lua_pushnil(L);                                          /* k */
	while (lua_next(L, idx)) {                               /* k v */
		const char *name;
		uint32_t i;

		lua_pop(L, 1);                                   /* k */
		if (lua_type(L, -1) != LUA_TSTRING)
			return fail(cv, "%s key in a table for %s", luaL_typename(L, -1),
				    c->type_name);
		name = lua_tostring(L, -1);
		for (i = 0; i < c->nfields; i++)
			if (!strcmp(c->fields[i].name, name))
				break;
		if (i == c->nfields)
			return fail(cv, "%s has no field '%s'", c->type_name, name);
	}
	return fail(cv, "unexpected key in a table for %s", c->type_name);
}

static int to_struct(struct conv *cv, int idx, const struct pl_codec *c, uint8_t *out)
{
	lua_State *L = cv->L;
	uint32_t found = 0, keys = 0;
	int err;

	if (lua_type(L, idx) != LUA_TTABLE)
		return wrong_type(cv, idx, "table", c);
	if (!lua_checkstack(L, 3))
		return fail(cv, "value nested too deeply");
	/* Field by field in declaration order (unions: later members win). */
	for (uint32_t i = 0; i < c->nfields; i++) {
		const struct pl_codec_field *f = &c->fields[i];

		lua_pushstring(L, f->name);                      /* name */
		if (lua_rawget(L, idx) == LUA_TNIL) {            /* v */
			lua_pop(L, 1);
			continue;
		}
		found++;
		enter_field(cv, f->name);
		if (f->bit_size) {
			uint64_t v;

			err = f->type->kind == PL_CODEC_BOOL ? to_bool(cv, -1, f->type, &v)
							     : to_int(cv, -1, f->type, f->bit_size, &v);
			if (!err)
				store_bits(out, f, v);
		} else {
			err = to_value(cv, lua_gettop(L), f->type, out + f->offset);
		}
		if (err)
			return err;
		leave(cv);
		lua_pop(L, 1);
	}
	/* Any key left over names no field: a typo must not pass as zero. */
	lua_pushnil(L);                                          /* k */
	while (lua_next(L, idx)) {                               /* k v */
		keys++;
		lua_pop(L, 1);                                   /* k */
	}
	if (keys != found)
		return unknown_field(cv, idx, c);
	return 0;
}

static int to_value(struct conv *cv, int idx, const struct pl_codec *c, uint8_t *out)
{
	lua_State *L = cv->L;
	uint64_t v;
	size_t len;
	int err;

	switch (c->kind) {
	case PL_CODEC_INT:
	case PL_CODEC_ENUM:
		err = to_int(cv, idx, c, c->size * 8, &v);
		if (!err)
			store_uint(out, c->size, v);
		return err;
	case PL_CODEC_BOOL:
		err = to_bool(cv, idx, c, &v);
		if (!err)
			store_uint(out, c->size, v);
		return err;
	case PL_CODEC_FLOAT:
		if (lua_type(L, idx) != LUA_TNUMBER)
			return wrong_type(cv, idx, "number", c);
		if (c->size == 4) {
			float f = (float)lua_tonumber(L, idx);
			memcpy(out, &f, 4);
		} else {
			double d = lua_tonumber(L, idx);
			memcpy(out, &d, 8);
		}
		return 0;
	case PL_CODEC_CHARS: {
		const char *s;

		if (lua_type(L, idx) != LUA_TSTRING)
			return wrong_type(cv, idx, "string", c);
		s = lua_tolstring(L, idx, &len);
		if (len > c->size)
			return fail(cv, "string of %zu bytes does not fit %s", len, c->type_name);
		memcpy(out, s, len);
		return 0;
	}
	case PL_CODEC_ARRAY:
		return to_array(cv, idx, c, out);
	case PL_CODEC_STRUCT:
		return to_struct(cv, idx, c, out);
	case PL_CODEC_BYTES:
	default: {
		const char *s;

		if (lua_type(L, idx) != LUA_TSTRING)
			return wrong_type(cv, idx, "string", c);
		s = lua_tolstring(L, idx, &len);
		if (len != c->size)
			return fail(cv, "string of %zu bytes for %s, expected %u bytes",
				    len, c->type_name, c->size);
		memcpy(out, s, len);
		return 0;
	}
	}
}

int pl_lua_to_value(lua_State *L, int idx, const struct pl_codec *c, void *out,
		    char *err, size_t errlen)
{
	struct conv cv;   /* not zero-initialised: steps[] is written before it is read */
	int top = lua_gettop(L);
	int ret;

	cv.L = L;
	cv.err = err;
	cv.errlen = errlen;
	cv.nsteps = 0;
	memset(out, 0, c->size);
	if (errlen)
		err[0] = '\0';
	ret = to_value(&cv, lua_absindex(L, idx), c, out);
	lua_settop(L, top);   /* error paths leave keys and values behind */
	return ret;
}
