/* fuzz_btf.c — the BTF codec (codec.c, lua_codec.c) on arbitrary BTF blobs
 * and values: the input is a 2-byte length, that many bytes of BTF, then
 * value bytes. Every type libbpf accepts gets a plan; each plan decodes the
 * value bytes into Lua and encodes the result back. */
#include "bpf/codec.h"
#include "lua/lua_codec.h"

#include <bpf/btf.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUE (1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static lua_State *L;
	static unsigned char value[MAX_VALUE], back[MAX_VALUE];
	char err[256];

	if (!L)
		L = luaL_newstate();
	if (size < 2)
		return 0;
	size_t blen = (size_t)data[0] | (size_t)data[1] << 8;
	if (blen > size - 2)
		blen = size - 2;
	const uint8_t *vdata = data + 2 + blen;
	size_t vlen = size - 2 - blen;
	struct btf *btf = btf__new(data + 2, (uint32_t)blen);
	if (!btf)
		return 0;
	memset(value, 0, sizeof(value));
	memcpy(value, vdata, vlen < MAX_VALUE ? vlen : MAX_VALUE);
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t id = 1; id < n && id < 256; id++) {
		/* Sized as the type says, and as a map would size it (4 bytes). */
		for (int sized = 0; sized < 2; sized++) {
			struct pl_codec *c = pl_codec__new(btf, id, sized ? 4 : 0);
			if (!c)
				continue;
			if (c->size <= MAX_VALUE) {
				int top = lua_gettop(L);
				pl_lua_push_value(L, c, value);
				pl_lua_to_value(L, -1, c, back, err, sizeof(err));
				lua_settop(L, top);
			}
			pl_codec__free(c);
		}
	}
	btf__free(btf);
	lua_gc(L, LUA_GCCOLLECT);
	return 0;
}
