/* raw_tp.c — the floor of the startup benchmark: open, load and attach
 * raw_tp.bpf.o with plain libbpf, print "attached", exit.
 *   raw_tp OBJECT.o */
#include <bpf/libbpf.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *link;

	if (argc != 2) {
		fprintf(stderr, "usage: raw_tp OBJECT.o\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "raw_tp: cannot load %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "count");
	link = prog ? bpf_program__attach(prog) : NULL;
	if (!link) {
		fprintf(stderr, "raw_tp: cannot attach 'count'\n");
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	/* As the other tools do at exit: detach, unload. */
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
