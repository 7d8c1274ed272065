/* test_symbols.c — host/symbols/: kallsyms text, ELF symbols, maps text,
 * demangling and the user resolver, on this test's own process. No root. */
#include "harness.h"

#define CHECK_EQ_INT(a, b) CHECK_MSG((long long)(a) == (long long)(b), "%lld != %lld", (long long)(a), (long long)(b))
#include "symbols/demangle.h"
#include "symbols/elf_syms.h"
#include "symbols/kallsyms.h"
#include "symbols/procmaps.h"
#include "symbols/usyms.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void test_kallsyms(void)
{
	const char text[] =
		"ffffffff81000000 T _text\n"
		"ffffffff81000000 t startup_64\n"
		"ffffffff81000100 T pl_func\n"
		"ffffffff81000200 W pl_weak\n"
		"garbage line\n"
		"0000000000001000 A fixed_percpu_data\n"
		"ffffffffc0001000 t mod_func\t[pl_mod]\n"
		"ffffffffc0002000 t mod_other\t[pl_mod]\n"
		"ffffffffc0003000 t bpf_prog_0123_x\t[bpf]";    /* no final newline */
	struct pl_ksyms *ks = pl_ksyms__parse(text, sizeof(text) - 1);
	uint64_t off = 99;
	const struct pl_ksym *s;

	CHECK(ks);
	CHECK_EQ_INT(pl_ksyms__count(ks), 7);
	CHECK(!pl_ksyms__hidden(ks));
	s = pl_ksyms__find(ks, 0xffffffff81000104ull, &off);
	CHECK(s && !strcmp(s->name, "pl_func") && off == 4 && !s->module);
	s = pl_ksyms__find(ks, 0xffffffff81000000ull, &off);
	CHECK(s && !strcmp(s->name, "_text") && off == 0);     /* global first */
	s = pl_ksyms__find(ks, 0xffffffffc0002010ull, &off);
	CHECK(s && !strcmp(s->name, "mod_other") && off == 0x10 && s->module &&
	      !strcmp(s->module, "pl_mod"));
	s = pl_ksyms__find(ks, 0xffffffffc0003001ull, &off);
	CHECK(s && s->module && !strcmp(s->module, "bpf"));
	CHECK(!pl_ksyms__find(ks, 0x1000, &off));              /* absolute: left out */
	CHECK(!pl_ksyms__find(ks, 0xffffffffc0003000ull + (2u << 20), &off));
	CHECK(pl_ksyms__by_name(ks, "pl_weak"));
	pl_ksyms__free(ks);

	const char hidden[] = "0000000000000000 T _text\n0000000000000000 T pl_func\n";
	ks = pl_ksyms__parse(hidden, sizeof(hidden) - 1);
	CHECK(ks && pl_ksyms__hidden(ks) && !pl_ksyms__find(ks, 0, &off));
	pl_ksyms__free(ks);
}

static void test_procmaps(void)
{
	const char text[] =
		"55a3514aa000-55a3514ac000 r--p 00000000 fe:00 247498      /usr/bin/head\n"
		"55a3514ac000-55a3514b2000 r-xp 00002000 fe:01 247498      /usr/bin/head\n"
		"7f546aa2c000-7f546aa2e000 r-xp 00000000 00:00 0           [vdso]\n"
		"7f0000000000-7f0000001000 r-xp 00000000 00:00 0 \n"
		"bad\n"
		"7f1000000000-7f1000001000 r-xp 00001000 08:02 12  /a path/with space (deleted)";
	struct pl_procmaps *pm = pl_procmaps__parse(text, sizeof(text) - 1);
	const struct pl_mapping *m;

	CHECK(pm);
	CHECK_EQ_INT(pl_procmaps__count(pm), 4);
	m = pl_procmaps__find(pm, 0x55a3514ac010ull);
	CHECK(m && m->pgoff == 0x2000 && m->ino == 247498 && m->dev == makedev(0xfe, 1) &&
	      !strcmp(m->path, "/usr/bin/head"));
	CHECK(!pl_procmaps__find(pm, 0x55a3514aa010ull));        /* not executable */
	m = pl_procmaps__find(pm, 0x7f546aa2c100ull);
	CHECK(m && !strcmp(m->path, "[vdso]"));
	m = pl_procmaps__find(pm, 0x7f0000000010ull);
	CHECK(m && !strcmp(m->path, ""));
	m = pl_procmaps__find(pm, 0x7f1000000fffull);
	CHECK(m && !strcmp(m->path, "/a path/with space (deleted)"));
	CHECK(!pl_procmaps__find(pm, 0x7f1000001000ull));
	pl_procmaps__free(pm);

	pm = pl_procmaps__read(getpid());
	CHECK(pm && pl_procmaps__count(pm) > 2);
	m = pm ? pl_procmaps__find(pm, (uint64_t)(uintptr_t)&test_procmaps) : NULL;
	CHECK(m && m->ino != 0);
	pl_procmaps__free(pm);
}

__attribute__((noinline)) int pl_test_symbol_target(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3;
}

static void test_elf(void)
{
	struct pl_elf_syms *es = NULL;
	uint64_t off;
	int err = pl_elf_syms__open("/proc/self/exe", &es);

	CHECK_EQ_INT(err, 0);
	if (!es)
		return;
	CHECK(pl_elf_syms__has_symtab(es));
	CHECK(pl_elf_syms__count(es) > 100);
	size_t idlen;
	CHECK(pl_elf_syms__build_id(es, &idlen) && idlen == 20);
	/* Find our own function by name, then by an address inside it. */
	const struct pl_elf_sym *s = NULL;
	for (size_t i = 0; i < pl_elf_syms__count(es); i++)
		if (!strcmp(pl_elf_syms__at(es, i)->name, "pl_test_symbol_target"))
			s = pl_elf_syms__at(es, i);
	CHECK(s && s->size > 0);
	if (s) {
		const struct pl_elf_sym *f = pl_elf_syms__find(es, s->addr + 2, &off);
		CHECK(f == s && off == 2);
		CHECK(pl_elf_syms__find(es, s->addr + s->size, &off) != s);
	}
	/* The functions list: sorted, one per name, and each file offset is
	 * loaded back at its address. */
	struct pl_elf_func *fn = NULL;
	size_t nfn = 0, found = 0;
	CHECK_EQ_INT(pl_elf_syms__functions(es, &fn, &nfn), 0);
	CHECK(nfn > 100);
	for (size_t i = 0; i < nfn; i++) {
		uint64_t va = 0;
		CHECK(!i || strcmp(fn[i - 1].name, fn[i].name) < 0);
		CHECK(!strchr(fn[i].name, '@'));
		CHECK(!pl_elf_syms__vaddr(es, fn[i].offset, &va) && va == fn[i].addr);
		if (s && !strcmp(fn[i].name, "pl_test_symbol_target")) {
			found++;
			CHECK(fn[i].addr == s->addr && fn[i].size == s->size);
		}
	}
	CHECK(found == 1);
	free(fn);
	pl_elf_syms__free(es);

	/* Not ELF, and cut ELF: an error, never a crash. */
	char junk[256];
	memset(junk, 0x7f, sizeof(junk));
	CHECK_EQ_INT(pl_elf_syms__parse(junk, sizeof(junk), &es), -ENOEXEC);
	FILE *f = fopen("/proc/self/exe", "rb");
	static char head[4096];
	size_t n = f ? fread(head, 1, sizeof(head), f) : 0;
	if (f)
		fclose(f);
	CHECK(n == sizeof(head));
	err = pl_elf_syms__parse(head, 100, &es);         /* only part of the header */
	CHECK(err == -ENOEXEC || (err == 0 && pl_elf_syms__count(es) == 0));
	pl_elf_syms__free(es);
	es = NULL;
	err = pl_elf_syms__parse(head, sizeof(head), &es); /* headers, no sections */
	CHECK(err == 0 || err == -ENOEXEC);
	pl_elf_syms__free(es);
	CHECK_EQ_INT(pl_elf_syms__open("/nonexistent/pl", &es), -ENOENT);
}

static void test_demangle(void)
{
	char *s = pl_demangle("_ZN2pl11spin_middleEl");
	CHECK(s && !strcmp(s, "pl::spin_middle(long)"));
	free(s);
	s = pl_demangle("_ZNSt6vectorIiSaIiEE9push_backERKi");
	CHECK(s && !strcmp(s, "std::vector<int, std::allocator<int> >::push_back(int const&)"));
	free(s);
	CHECK(!pl_demangle("main"));
	CHECK(!pl_demangle("_Zgarbage"));
}

static void test_usyms(void)
{
	struct pl_usyms *us = pl_usyms__new(NULL);
	struct pl_usym u;
	int err;

	CHECK(us);
	err = pl_usyms__resolve(us, getpid(), (uint64_t)(uintptr_t)&pl_test_symbol_target + 3, &u);
	CHECK_EQ_INT(err, 0);
	CHECK(u.name && !strcmp(u.name, "pl_test_symbol_target") && u.offset == 3);
	CHECK(u.module && strstr(u.module, "test_symbols"));
	/* libc's function, through the shared library's load bias. */
	err = pl_usyms__resolve(us, getpid(), (uint64_t)(uintptr_t)&getpid, &u);
	CHECK(!err && u.name && strstr(u.name, "getpid") && strstr(u.module, "libc"));
	CHECK_EQ_INT(pl_usyms__resolve(us, getpid(), 16, &u), -ENOENT);

	/* An exit record (struct pktlua_stack_vma): the path comes in
	 * components from the file up. */
	struct {
		uint32_t tgid, dev;
		uint64_t start, end, pgoff, ino;
		char path[64];
	} rec = { .tgid = 999999, .dev = (8u << 20) | 2, .start = 0x1000, .end = 0x3000,
		  .pgoff = 0x1000, .ino = 12 };
	memcpy(rec.path, "libq.so\0lib\0usr\0", 17);
	CHECK_EQ_INT(pl_usyms__remember_record(us, &rec, sizeof(rec)), 0);
	err = pl_usyms__resolve(us, 999999, 0x1010, &u);
	CHECK(!err && !u.name && u.module && !strcmp(u.module, "/usr/lib/libq.so") &&
	      u.offset == 0x1010);
	CHECK_EQ_INT(pl_usyms__remember_record(us, &rec, 8), -EINVAL);
	rec.end = rec.start;
	CHECK_EQ_INT(pl_usyms__remember_record(us, &rec, sizeof(rec)), -EINVAL);
	pl_usyms__forget(us, 999999);
	CHECK_EQ_INT(pl_usyms__resolve(us, 999999, 0x1010, &u), -ESRCH);
	struct pl_usyms_stats st;
	pl_usyms__stats(us, &st);
	CHECK(st.file_parses >= 2 && st.maps_reads >= 1);
	pl_usyms__free(us);
}

int main(void)
{
	RUN(test_kallsyms);
	RUN(test_procmaps);
	RUN(test_elf);
	RUN(test_demangle);
	RUN(test_usyms);
	return pl_test_summary();
}
