/* pktlua/stack.h — stack traces on the BPF side, for require "pktlua.stack".
 *
 *   PKTLUA_STACKS(stacks, 10240);                 // a stack-trace map
 *   PKTLUA_HASH(counts, struct pktlua_stack_key, __u64, 10240);
 *
 *   SEC("perf_event") int sample(void *ctx) {
 *       struct pktlua_stack_key k;
 *       pktlua_stack_key(ctx, &stacks, &k, PKTLUA_STACK_KERNEL | PKTLUA_STACK_USER);
 *       PKTLUA_ADD(counts, &k, 1);
 *       return 0;
 *   }
 *
 * and in Lua: stack.kernel(p.maps.stacks, k.kstack),
 * stack.user(p.maps.stacks, k.ustack, k.pid).
 *
 * Processes that exit before their stacks are read: pktlua_stack_user()
 * remembers the process (pktlua_stack_tgids), and the program
 * pktlua_stack_exit, which this header adds, sends that process's
 * executable mappings to user space (pktlua_stack_vmas) as it exits, while
 * it still has them (sched_process_exit runs before exit_mm() since Linux
 * 6.16). pktlua attaches pktlua_stack_exit when the object loads; the
 * symbols of an exited process then resolve as if it still ran. Define
 * PKTLUA_STACK_NO_EXIT_WATCH before including this header to leave that
 * out. */
#ifndef PKTLUA_STACK_H
#define PKTLUA_STACK_H

#include <pktlua/bpf.h>

/* The kernel's limit (PERF_MAX_STACK_DEPTH). */
#define PKTLUA_STACK_DEPTH 127

#define PKTLUA_STACKS(_name, _max)                                           \
	struct {                                                             \
		__uint(type, BPF_MAP_TYPE_STACK_TRACE);                      \
		__uint(key_size, sizeof(__u32));                             \
		__uint(value_size, PKTLUA_STACK_DEPTH * sizeof(__u64));      \
		__uint(max_entries, _max);                                   \
	} _name SEC(".maps")

#define PKTLUA_STACK_KERNEL 1
#define PKTLUA_STACK_USER   2

/* A key for counting by stack: the process, its name and both stack ids
 * (-1 when not taken or not available, e.g. a kernel thread's user stack). */
struct pktlua_stack_key {
	__u32 pid;
	__s32 kstack;
	__s32 ustack;
	char comm[16];
};

#ifndef PKTLUA_STACK_NO_EXIT_WATCH
/* Processes whose user stacks were taken: their mappings are sent at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, __u8);
	__uint(max_entries, 16384);
} pktlua_stack_tgids SEC(".maps");

#define PKTLUA_STACK_PATH 512

/* One executable file mapping of an exiting process (layout shared with
 * host/symbols/usyms.c). PATH holds the path's components from the file
 * up, each NUL-terminated, an empty one last: "libc.so.6\0lib\0usr\0\0". */
struct pktlua_stack_vma {
	__u32 tgid;
	__u32 dev;                 /* the kernel's dev_t: major << 20 | minor */
	__u64 start, end, pgoff, ino;
	char path[PKTLUA_STACK_PATH];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} pktlua_stack_vmas SEC(".maps");

extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __ksym __weak;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __ksym __weak;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __ksym __weak;

static __always_inline void pktlua__stack_watch(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 one = 1;

	if (!bpf_map_lookup_elem(&pktlua_stack_tgids, &tgid))
		bpf_map_update_elem(&pktlua_stack_tgids, &tgid, &one, BPF_ANY);
}

/* The file's path, component by component up the dentries, crossing
 * mounts as d_path() does (bounded: 32 steps, PKTLUA_STACK_PATH bytes). */
static __always_inline void pktlua__stack_path(struct file *file, char *buf)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vm = BPF_CORE_READ(file, f_path.mnt);
	struct mount *mnt = container_of(vm, struct mount, mnt);
	__u32 off = 0;

	for (int i = 0; i < 32; i++) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (d == BPF_CORE_READ(vm, mnt_root) || d == parent) {
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
			if (up == mnt)
				break;                  /* the namespace's root */
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			vm = &up->mnt;
			continue;
		}
		if (off >= PKTLUA_STACK_PATH / 2)
			break;
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		long n = bpf_probe_read_kernel_str(buf + off, PKTLUA_STACK_PATH / 2, name);
		if (n <= 1)
			break;
		off += n;
		d = parent;
	}
	buf[off & (PKTLUA_STACK_PATH - 1)] = '\0';
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(pktlua_stack_exit, struct task_struct *task, bool group_dead)
{
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	__u32 tgid = task->tgid;

	if (!group_dead || !bpf_map_lookup_elem(&pktlua_stack_tgids, &tgid))
		return 0;
	bpf_map_delete_elem(&pktlua_stack_tgids, &tgid);
	bpf_iter_task_vma_new(&it, task, 0);
	while ((vma = bpf_iter_task_vma_next(&it))) {
		struct file *file = vma->vm_file;
		if (!file || !(vma->vm_flags & 0x4 /* VM_EXEC */))
			continue;
		struct pktlua_stack_vma *r = bpf_ringbuf_reserve(&pktlua_stack_vmas, sizeof(*r), 0);
		if (!r)
			break;
		r->tgid = tgid;
		r->start = vma->vm_start;
		r->end = vma->vm_end;
		r->pgoff = (__u64)vma->vm_pgoff << 12;
		r->ino = BPF_CORE_READ(file, f_inode, i_ino);
		r->dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
		pktlua__stack_path(file, r->path);
		bpf_ringbuf_submit(r, 0);
	}
	bpf_iter_task_vma_destroy(&it);
	return 0;
}
#else
static __always_inline void pktlua__stack_watch(void) {}
#endif

/* The id of the current kernel stack in MAP (>= 0), or a negative errno. */
static __always_inline long pktlua_stack_kernel(void *ctx, void *map)
{
	return bpf_get_stackid(ctx, map, 0);
}

/* The id of the current user stack in MAP (>= 0), or a negative errno
 * (-EFAULT for a kernel thread). Marks the process for the exit watch. */
static __always_inline long pktlua_stack_user(void *ctx, void *map)
{
	long id = bpf_get_stackid(ctx, map, BPF_F_USER_STACK);

	if (id >= 0)
		pktlua__stack_watch();
	return id;
}

/* Fill K for the current task: pid (the process id, tgid), comm, and the
 * stacks WHICH asks for (PKTLUA_STACK_KERNEL, PKTLUA_STACK_USER). */
static __always_inline void pktlua_stack_key(void *ctx, void *map, struct pktlua_stack_key *k,
					     int which)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(k->comm, sizeof(k->comm));
	k->kstack = (which & PKTLUA_STACK_KERNEL) ? (__s32)pktlua_stack_kernel(ctx, map) : -1;
	k->ustack = (which & PKTLUA_STACK_USER) ? (__s32)pktlua_stack_user(ctx, map) : -1;
}

#endif
