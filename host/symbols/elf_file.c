/* elf_file.c — ELF images opened for a parser, and section notes (libelf). */
#include "symbols/elf_file.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

int pl_elf_file__parse(const void *buf, size_t len, pl_elf_parse_fn parse, void *out)
{
	Elf *e;
	int err;

	elf_version(EV_CURRENT);
	/* libelf reads the image in place (ELF_C_READ_MMAP semantics) and
	 * copies what it must convert: it does not write to it. */
	e = elf_memory((char *)buf, len);
	if (!e)
		return -ENOEXEC;
	err = parse(e, out);
	elf_end(e);
	return err;
}

int pl_elf_file__open(const char *path, pl_elf_parse_fn parse, void *out)
{
	int fd, err;
	Elf *e;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e) {
		close(fd);
		return -ENOEXEC;
	}
	err = parse(e, out);
	elf_end(e);
	close(fd);
	return err;
}

int pl_elf_file__each_note(Elf_Scn *scn, const char *owner, uint32_t type,
			   int (*fn)(const char *desc, size_t descsz, void *arg), void *arg)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0, name_off, desc_off, namesz = strlen(owner) + 1;
	GElf_Nhdr nh;
	int r = 0;

	while (!r && d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const char *base = d->d_buf;
		if (nh.n_type == type && nh.n_namesz == namesz &&
		    !memcmp(base + name_off, owner, namesz))
			r = fn(base + desc_off, nh.n_descsz, arg);
	}
	return r;
}
