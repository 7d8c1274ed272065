/* lua_codec.h — BTF-typed bytes ↔ Lua values, by walking a codec.h plan.
 *
 * Bytes to Lua (pl_lua_push_value):
 *   integers, enums, pointers, bitfields  integer (a __u64 above 2^63-1 wraps
 *                                         to a negative integer, as
 *                                         string.unpack("I8") does)
 *   bool                                  boolean (a bool bitfield too)
 *   float, double                         number
 *   char[N]                               string, cut at the first NUL
 *   T[N]                                  sequence 1..N (__u8[N]: numbers)
 *   struct                                table by field name, nested;
 *                                         anonymous members' fields inlined
 *   union                                 table with every member, each
 *                                         decoded from the same bytes
 *   anything else                         string of the raw bytes
 *
 * Lua to bytes (pl_lua_to_value) accepts the same shapes, and:
 *   - integers also as floats with an exact integer value; a value outside
 *     the type's range is an error, except that a __u64 takes any Lua
 *     integer (negatives as their two's complement, like string.pack("I8")),
 *     so that what pl_lua_push_value produced always converts back;
 *   - booleans also as 0 or 1;
 *   - char[N]: a string of at most N bytes (N bytes: no NUL terminator);
 *   - T[N]: a table with integer keys 1..N (absent elements are zero); for
 *     1-byte integer elements (__u8[4], __u8[16]) also a string of exactly
 *     N bytes, as string.pack or an address helper builds it;
 *   - struct: a table whose keys are field names (absent fields are zero;
 *     any other key is an error); a union's members are written in their
 *     declaration order, so a later member overwrites the bytes it shares;
 *   - raw bytes: a string of exactly the type's size.
 *
 * Neither function allocates beyond the Lua values it creates. */
#ifndef PKTLUA_LUA_CODEC_H
#define PKTLUA_LUA_CODEC_H

#include "bpf/codec.h"

#include <lua.h>
#include <stddef.h>

/* Push the value of C held in the C->size bytes at DATA (any alignment).
 * Raises a Lua error only if the Lua stack cannot grow (nesting). */
void pl_lua_push_value(lua_State *L, const struct pl_codec *c, const void *data);

/* Convert the Lua value at IDX into the C->size bytes at OUT (zeroed first;
 * any alignment). Returns 0, or -EINVAL with ERR set to a message naming the
 * field path (Lua indices for sequences) and the expected type:
 *   "field 'in.port': 70000 does not fit __u16"
 *   "field 'comm': expected string for char[16], got number"
 *   "struct key has no field 'nosuch'"
 * The caller prefixes what was being converted ("map 'm': key: "). The
 * stack is left as it was; OUT is unspecified after an error. */
int pl_lua_to_value(lua_State *L, int idx, const struct pl_codec *c, void *out,
		    char *err, size_t errlen);

#endif
