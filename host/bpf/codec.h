/* codec.h — BTF types flattened into conversion plans.
 *
 * A plan describes how the bytes of one BTF type map to Lua-like values
 * (integers, strings, tables, sequences) without knowing Lua: lua_codec.c
 * walks it. Plans are built once per map key/value type and are immutable. */
#ifndef PKTLUA_CODEC_H
#define PKTLUA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

enum pl_codec_kind {
	PL_CODEC_INT,      /* signed/unsigned integer of size 1, 2, 4, 8 (16: bytes) */
	PL_CODEC_BOOL,
	PL_CODEC_FLOAT,    /* float or double */
	PL_CODEC_ENUM,     /* as an integer */
	PL_CODEC_CHARS,    /* char[N]: string, NUL-trimmed */
	PL_CODEC_ARRAY,    /* T[N]: sequence */
	PL_CODEC_STRUCT,   /* struct/union: table by field name */
	PL_CODEC_BYTES,    /* anything else (pointers become INT): raw byte string */
};

struct pl_codec;

struct pl_codec_field {
	const char *name;          /* "" for anonymous members: their fields are inlined */
	uint32_t offset;           /* bytes from the start of the struct */
	uint8_t bit_offset;        /* bitfields: bit offset within the containing bytes */
	uint8_t bit_size;          /* 0 if not a bitfield */
	const struct pl_codec *type;
};

struct pl_codec {
	enum pl_codec_kind kind;
	uint32_t size;             /* bytes */
	bool is_signed;            /* INT, ENUM */
	const char *type_name;     /* C spelling for messages: "__u32", "struct key", "char[16]" */
	/* ARRAY */
	const struct pl_codec *elem;
	uint32_t nelems;
	/* STRUCT */
	const struct pl_codec_field *fields;
	uint32_t nfields;
	bool is_union;
};

/* Plan for BTF type TYPE_ID of BTF (typedefs, const, volatile resolved).
 * TYPE_ID 0 or BTF NULL means "no type information": an integer for sizes
 * 1/2/4/8, bytes otherwise, of SIZE bytes.
 * SIZE 0 with a type: the type's own size (ring buffer records by name).
 * SIZE non-zero that disagrees with the type, or an unusable type: the plain
 * plan above, so a map is never read or written past its buffer.
 * Returns NULL with errno set when out of memory, or SIZE is 0 and the type
 * cannot be used. */
struct pl_codec *pl_codec__new(const struct btf *btf, uint32_t type_id, uint32_t size);
/* Plan for SIZE raw bytes, whatever the size (a string of exactly SIZE
 * bytes): maps that carry no BTF at all (bpf.open_pinned). */
struct pl_codec *pl_codec__new_bytes(uint32_t size);
void pl_codec__free(struct pl_codec *codec);

#endif
