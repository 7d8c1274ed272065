/* test_loader.c — verifier log summaries (no kernel needed). */
#include "bpf/loader.h"
#include "harness.h"

static void reason_and_line(void)
{
	const char *log =
		"func#0 @0\n"
		"0: R1=ctx() R10=fp0\n"
		"; void *data = (void *)(long)ctx->data; @ x.lua:12\n"
		"0: (61) r1 = *(u32 *)(r1 +0)          ; R1_w=pkt(r=0)\n"
		"; x = *(volatile int *)(data + 4); @ x.lua:15\n"
		"1: (61) r0 = *(u32 *)(r1 +4)\n"
		"invalid access to packet, off=4 size=4, R1(id=0,off=4,r=0)\n"
		"R1 offset is outside of the packet\n"
		"processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";
	char reason[256], where[64];

	pl_verifier_log_summary(log, reason, sizeof(reason), where, sizeof(where));
	CHECK_MSG(!strcmp(reason, "invalid access to packet, off=4 size=4, R1(id=0,off=4,r=0); "
			  "R1 offset is outside of the packet"), "reason = '%s'", reason);
	CHECK_MSG(!strcmp(where, "x.lua:15"), "where = '%s'", where);
}

static void trailers_skipped(void)
{
	const char *log =
		"; return *p; @ a.lua:3\n"
		"0: (79) r0 = *(u64 *)(r1 +0)\n"
		"R1 invalid mem access 'scalar'\n"
		"verification time 12 usec\n"
		"stack depth 0\n"
		"processed 1 insns (limit 1000000) max_states_per_insn 0\n\n";
	char reason[256], where[64];

	pl_verifier_log_summary(log, reason, sizeof(reason), where, sizeof(where));
	CHECK_MSG(!strcmp(reason, "R1 invalid mem access 'scalar'"), "reason = '%s'", reason);
	CHECK_MSG(!strcmp(where, "a.lua:3"), "where = '%s'", where);
}

static void no_line_info(void)
{
	char reason[256], where[64];

	pl_verifier_log_summary("R0 !read_ok\n", reason, sizeof(reason), where, sizeof(where));
	CHECK(!strcmp(reason, "R0 !read_ok"));
	CHECK(where[0] == '\0');
	pl_verifier_log_summary("", reason, sizeof(reason), where, sizeof(where));
	CHECK(reason[0] == '\0' && where[0] == '\0');
	pl_verifier_log_summary(NULL, reason, sizeof(reason), where, sizeof(where));
	CHECK(reason[0] == '\0');
}

static void small_buffers_truncate(void)
{
	char reason[8], where[4];

	pl_verifier_log_summary("; x @ long.lua:1234\nsomething went wrong\n", reason,
				sizeof(reason), where, sizeof(where));
	CHECK(!strcmp(reason, "somethi"));
	CHECK(!strcmp(where, "lon"));
}

int main(void)
{
	RUN(reason_and_line);
	RUN(trailers_skipped);
	RUN(no_line_info);
	RUN(small_buffers_truncate);
	return pl_test_summary();
}
