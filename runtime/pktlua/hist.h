/* pktlua/hist.h — histogram buckets on the BPF side, read by pktlua.hist.
 *
 *   PKTLUA_HIST(lat);                         // __u32 bucket -> __u64 count
 *   PKTLUA_HIST_ADD(lat, delta_ns);           // log2 bucket of delta_ns += 1
 *   PKTLUA_LHIST_ADD(sizes, len, 0, 1500, 100);
 *
 * Bucket indexes are bpftrace's, so `hist.log2(p.maps.lat)` prints what
 * bpftrace's hist() would: 0 holds negative values, 1 holds 0, and bucket
 * k >= 2 holds [2^(k-2), 2^(k-1)). Linear buckets: 0 is below MIN, 1.. are
 * [MIN + (i-1)*STEP, MIN + i*STEP), (MAX-MIN)/STEP + 1 is MAX and above. */
#ifndef PKTLUA_HIST_H
#define PKTLUA_HIST_H

#include <pktlua/bpf.h>

/* Buckets a __u64 can reach: negatives, 0, and one per bit. */
#define PKTLUA_HIST_SLOTS 66

/* floor(log2(V)), 0 for 0 and 1 (BCC's log2 slot: tool.h's tool_log2).
 * Why shifts and not a loop: the verifier accepts this straight-line code
 * in every program type, and it costs six compares. */
static __always_inline __u32 pktlua_log2_floor(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8)  { v >>= 8;  r += 8; }
	if (v >> 4)  { v >>= 4;  r += 4; }
	if (v >> 2)  { v >>= 2;  r += 2; }
	if (v >> 1)  { r += 1; }
	return r;
}

/* The bucket of V: 1 for 0, k >= 2 for [2^(k-2), 2^(k-1)). */
static __always_inline __u32 pktlua_log2(__u64 v)
{
	return v == 0 ? 1 : pktlua_log2_floor(v) + 2;
}

/* The same buckets for a signed value: negatives land in bucket 0. */
static __always_inline __u32 pktlua_log2s(__s64 v)
{
	return v < 0 ? 0 : pktlua_log2((__u64)v);
}

/* Linear bucket of V for lhist(MIN, MAX, STEP), MIN < MAX, STEP > 0.
 * Why unsigned division: BPF before cpu v4 has no signed divide (clang
 * refuses it), and both differences are >= 0 here. */
static __always_inline __u32 pktlua_linear(__s64 v, __s64 min, __s64 max, __s64 step)
{
	if (v < min)
		return 0;
	if (v >= max)
		return (__u32)((__u64)(max - min) / (__u64)step) + 1;
	return (__u32)((__u64)(v - min) / (__u64)step) + 1;
}

/* A histogram map: an array of PKTLUA_HIST_SLOTS __u64 counters. */
#define PKTLUA_HIST(name) PKTLUA_ARRAY(name, __u64, PKTLUA_HIST_SLOTS)
/* A linear histogram map for lhist(MIN, MAX, STEP). */
#define PKTLUA_LHIST(name, min, max, step) \
	PKTLUA_ARRAY(name, __u64, ((max) - (min)) / (step) + 2)

/* Count VALUE in its log2 bucket of MAP (an array or hash map with __u32
 * keys and __u64 values; a hash map gets the bucket created on first use). */
#define PKTLUA_HIST_ADD(map, value)                                  \
	({                                                           \
		__u32 __pl_bucket = pktlua_log2((__u64)(value));     \
		PKTLUA_ADD(map, &__pl_bucket, (__u64)1);             \
	})

#define PKTLUA_LHIST_ADD(map, value, min, max, step)                         \
	({                                                                   \
		__u32 __pl_bucket = pktlua_linear((__s64)(value), (min), (max), (step)); \
		PKTLUA_ADD(map, &__pl_bucket, (__u64)1);                     \
	})

#endif
