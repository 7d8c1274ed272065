/* tools.c — the bundled tools: installed beside the binary, or embedded. */
#include "base/tools.h"

#include "base/embedded.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EMBED_PREFIX "tools/"

static bool valid_name(const char *name, size_t len)
{
	if (len == 0 || len >= PL_TOOL_NAME_MAX || name[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* The tool's name of a file name "NAME.lua", in OUT; false if it is none. */
static bool name_of_file(const char *file, char *out)
{
	size_t len = strlen(file);

	if (len <= 4 || strcmp(file + len - 4, ".lua"))
		return false;
	if (!valid_name(file, len - 4))
		return false;
	memcpy(out, file, len - 4);
	out[len - 4] = '\0';
	return true;
}

int pl_tools__dir(char *buf, size_t len)
{
	char exe[PATH_MAX];
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';                                  /* <bindir> */
	char dir[PATH_MAX + 32], real[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/../share/pktlua/tools", exe);
	if (!realpath(dir, real) || stat(real, &st) || !S_ISDIR(st.st_mode))
		return -ENOENT;
	if ((size_t)snprintf(buf, len, "%s", real) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* The purpose from a "-- NAME.lua — purpose" (or " - ") line among the
 * first lines of TEXT; "" if there is none. */
static void summary_of(const char *text, size_t len, char *out, size_t out_len)
{
	const char *p = text, *end = text + len;

	out[0] = '\0';
	for (int line = 0; line < 5 && p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if (eol - p > 3 && !memcmp(p, "-- ", 3)) {
			const char *sep = NULL;
			for (const char *q = p + 3; q + 3 <= eol && !sep; q++) {
				if (q + 5 <= eol && !memcmp(q, " \xe2\x80\x94 ", 5))
					sep = q + 5;                       /* " — " */
				else if (!memcmp(q, " - ", 3))
					sep = q + 3;
			}
			if (sep) {
				size_t n = (size_t)(eol - sep);
				if (n >= out_len)
					n = out_len - 1;
				memcpy(out, sep, n);
				out[n] = '\0';
				return;
			}
		}
		p = eol + 1;
	}
}

/* Fill T's summary from the installed file at T->path. */
static void summary_of_file(struct pl_tool *t)
{
	char head[2048];
	FILE *f = fopen(t->path, "r");

	t->summary[0] = '\0';
	if (!f)
		return;
	size_t n = fread(head, 1, sizeof(head), f);
	fclose(f);
	summary_of(head, n, t->summary, sizeof(t->summary));
}

static int find_installed(const char *name, struct pl_tool *t)
{
	char dir[PATH_MAX];
	struct stat st;

	if (pl_tools__dir(dir, sizeof(dir)))
		return -ENOENT;
	if ((size_t)snprintf(t->path, sizeof(t->path), "%s/%s.lua", dir, name) >= sizeof(t->path))
		return -ENAMETOOLONG;
	if (stat(t->path, &st) || !S_ISREG(st.st_mode)) {
		t->path[0] = '\0';
		return -ENOENT;
	}
	t->text = NULL;
	t->len = 0;
	summary_of_file(t);
	return 0;
}

static int find_embedded(const char *name, struct pl_tool *t)
{
	char key[PL_TOOL_NAME_MAX + 16];
	const struct pl_embedded_file *f;

	snprintf(key, sizeof(key), EMBED_PREFIX "%s.lua", name);
	f = pl_embedded_find(key);
	if (!f)
		return -ENOENT;
	t->path[0] = '\0';
	t->text = (const char *)f->data;
	t->len = f->len;
	summary_of(t->text, t->len, t->summary, sizeof(t->summary));
	return 0;
}

int pl_tools__find(const char *name, struct pl_tool *t)
{
	size_t len = strlen(name);

	if (len > 4 && !strcmp(name + len - 4, ".lua"))
		len -= 4;
	if (!valid_name(name, len))
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	memcpy(t->name, name, len);
	t->name[len] = '\0';
	if (!find_installed(t->name, t))
		return 0;
	return find_embedded(t->name, t);
}

static int cmp_tool(const void *a, const void *b)
{
	return strcmp(((const struct pl_tool *)a)->name, ((const struct pl_tool *)b)->name);
}

/* Append a tool named NAME to the list unless it is there already. */
static int add(struct pl_tool **list, int *n, int *cap, const char *name, struct pl_tool **slot)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp((*list)[i].name, name)) {
			*slot = NULL;
			return 0;
		}
	if (*n == *cap) {
		int ncap = *cap ? *cap * 2 : 64;
		struct pl_tool *nl = realloc(*list, (size_t)ncap * sizeof(**list));
		if (!nl)
			return -ENOMEM;
		*list = nl;
		*cap = ncap;
	}
	*slot = &(*list)[(*n)++];
	memset(*slot, 0, sizeof(**slot));
	snprintf((*slot)->name, sizeof((*slot)->name), "%s", name);
	return 0;
}

int pl_tools__list(struct pl_tool **out)
{
	struct pl_tool *list = NULL, *t;
	char dir[PATH_MAX], name[PL_TOOL_NAME_MAX];
	int n = 0, cap = 0, err = 0;
	DIR *d = NULL;

	if (!pl_tools__dir(dir, sizeof(dir)) && (d = opendir(dir))) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!name_of_file(e->d_name, name))
				continue;
			err = add(&list, &n, &cap, name, &t);
			if (err)
				goto out;
			if (t && find_installed(name, t))
				n--;                    /* not a regular file after all */
		}
	}
	for (size_t i = 0; i < pl_embedded_count; i++) {
		const char *f = pl_embedded_files[i].name;
		if (strncmp(f, EMBED_PREFIX, strlen(EMBED_PREFIX)) ||
		    !name_of_file(f + strlen(EMBED_PREFIX), name))
			continue;
		err = add(&list, &n, &cap, name, &t);
		if (err)
			goto out;
		if (t)
			find_embedded(name, t);
	}
	if (n)
		qsort(list, (size_t)n, sizeof(*list), cmp_tool);
out:
	if (d)
		closedir(d);
	if (err) {
		free(list);
		return err;
	}
	*out = list;
	return n;
}
