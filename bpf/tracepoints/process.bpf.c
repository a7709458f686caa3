/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Process family: exec, fork, exit from the scheduler tracepoints; chdir,
 * setns, unshare, ptrace, memfd_create, init_module, finit_module, bpf,
 * userfaultfd, prctl, process_vm_readv and process_vm_writev from their
 * syscall tracepoints.
 */
#include "vg_path.h"
#include "vg_bpf_obj.h"
#define VG_ENFORCE_EXEC /* vg_enforce_exec and its global function are defined here */
#include "../enforce/vg_enforce.h"

#define VG_PR_SET_NAME    15
#define VG_BPF_PROG_LOAD  5
#define VG_MEMFD_NAME_MAX 250 /* "memfd:" + name fits NAME_MAX */
#define VG_TASK_COMM_MAX  16
#define VG_STASH_FCHDIR   (VG_EVT_MAX + VG_EVT_CHDIR) /* fchdir shares chdir's type, not its args */

/*
 * Inode change/modify times by kernel: i_ctime_sec/_nsec since 6.11; before,
 * struct timespec64 fields named __i_ctime (6.6) / __i_mtime (6.7), and
 * i_ctime / i_mtime before that. Each read sits behind its own existence
 * check: a relocation that fails is only harmless where the verifier can
 * see it is never reached.
 */
struct inode___ts64 {
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

#define VG_NS(ts)    ((ts).tv_sec * 1000000000ull + (ts).tv_nsec)
#define VG_NSEC_MASK 0x3fffffff /* nanoseconds need 30 bits */

static __always_inline void vg_inode_times(struct inode *ino, struct vg_exec *e) {
	struct inode___ts64 *old = (void *)ino;
	struct timespec64 ts = {};

	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		/* Multigrain timestamps (6.13) keep a flag in the top bit of the nsec field. */
		e->exe_ctime_ns = BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ull +
		                  (BPF_CORE_READ(ino, i_ctime_nsec) & VG_NSEC_MASK);
		e->exe_mtime_ns = BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ull +
		                  (BPF_CORE_READ(ino, i_mtime_nsec) & VG_NSEC_MASK);
		return;
	}
	if (bpf_core_field_exists(old->__i_ctime))
		BPF_CORE_READ_INTO(&ts, old, __i_ctime);
	else if (bpf_core_field_exists(old->i_ctime))
		BPF_CORE_READ_INTO(&ts, old, i_ctime);
	e->exe_ctime_ns = VG_NS(ts);
	if (bpf_core_field_exists(old->__i_mtime))
		BPF_CORE_READ_INTO(&ts, old, __i_mtime);
	else if (bpf_core_field_exists(old->i_mtime))
		BPF_CORE_READ_INTO(&ts, old, i_mtime);
	e->exe_mtime_ns = VG_NS(ts);
}

/* VG_HDR_F_EXE_* for the file being executed, judged with the new credentials. */
static __always_inline __u16 vg_exe_flags(struct file *file, struct inode *ino,
                                          const struct cred *cred) {
	char name[6] = {};
	__u16 flags = 0;
	__u32 mode = BPF_CORE_READ(ino, i_mode);
	__u32 fsuid = BPF_CORE_READ(cred, fsuid.val);
	__u32 fsgid = BPF_CORE_READ(cred, fsgid.val);

	bpf_probe_read_kernel(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
	    name[4] == 'd' && name[5] == ':')
		flags |= VG_HDR_F_EXE_FROM_MEMFD;
	if (BPF_CORE_READ(ino, i_nlink) == 0)
		flags |= VG_HDR_F_EXE_DELETED;
	/* Best effort, no ACLs: owner, group, other write bits; root can write anything. */
	if (fsuid == 0 || (mode & 0002) ||
	    ((mode & 0200) && BPF_CORE_READ(ino, i_uid.val) == fsuid) ||
	    ((mode & 0020) && BPF_CORE_READ(ino, i_gid.val) == fsgid))
		flags |= VG_HDR_F_EXE_WRITABLE;
	if (BPF_CORE_READ(ino, i_sb, s_magic) == VG_OVERLAYFS_MAGIC &&
	    bpf_core_type_exists(struct ovl_inode)) {
		struct ovl_inode *oi =
		    (void *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode);

		if (BPF_CORE_READ(oi, __upperdentry))
			flags |= VG_HDR_F_EXE_UPPER_LAYER;
	}
	return flags;
}

static __always_inline __u32 vg_tty_dev(struct task_struct *t) {
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	struct tty_driver *drv;
	__u32 major, minor;

	if (!tty)
		return 0;
	drv = BPF_CORE_READ(tty, driver);
	major = BPF_CORE_READ(drv, major);
	minor = BPF_CORE_READ(drv, minor_start) + BPF_CORE_READ(tty, index);
	return vg_encode_dev(major << 20 | minor);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
	struct task_struct *t = bpf_get_current_task_btf();
	struct file *file = BPF_CORE_READ(bprm, file);
	struct inode *ino = BPF_CORE_READ(file, f_inode);
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	const struct cred *cred = BPF_CORE_READ(t, cred);
	struct signal_struct *sig = BPF_CORE_READ(t, signal);
	struct upid up = vg_task_upid(t);
	unsigned int level = BPF_CORE_READ(t, thread_pid, level);
	struct vg_exec *e;
	struct vg_rec r;

	if (vg_is_agent(vg_current_tgid()))
		return 0;
	e = vg_rec_begin(&r, VG_EVT_EXECVE, 0, sizeof(*e));
	if (!e)
		return 0;
	r.lens = e->str_len;
	e->start_ns = BPF_CORE_READ(t, group_leader, start_boottime);
	e->cap_effective = VG_CRED_CAPS(cred, cap_effective);
	e->cap_permitted = VG_CRED_CAPS(cred, cap_permitted);
	e->cap_inheritable = VG_CRED_CAPS(cred, cap_inheritable);
	e->exe_ino = BPF_CORE_READ(ino, i_ino);
	vg_inode_times(ino, e);
	e->exe_dev = vg_encode_dev(BPF_CORE_READ(ino, i_sb, s_dev));
	e->exe_mode = BPF_CORE_READ(ino, i_mode);
	e->exe_uid = BPF_CORE_READ(ino, i_uid.val);
	e->argc = BPF_CORE_READ(bprm, argc);
	e->tty = vg_tty_dev(t);
	e->sid = vg_pid_nr_at(BPF_CORE_READ(sig, pids[PIDTYPE_SID]), level);
	e->pgid = vg_pid_nr_at(BPF_CORE_READ(sig, pids[PIDTYPE_PGID]), level);
	e->vpid = up.nr;
	e->vppid = vg_pid_nr_at(BPF_CORE_READ(t, real_parent, group_leader, thread_pid), level);
	vg_rec_hdr(&r)->flags = vg_exe_flags(file, ino, cred);

	vg_str_pathp(&r, VG_EXEC_STR_EXE, &file->f_path);
	vg_str_bytes(&r, VG_EXEC_STR_ARGV, (void *)BPF_CORE_READ(mm, arg_start),
	             BPF_CORE_READ(mm, arg_end) - BPF_CORE_READ(mm, arg_start), VG_ARGS_MAX, true);
	vg_str_bytes(&r, VG_EXEC_STR_ENV, (void *)BPF_CORE_READ(mm, env_start),
	             BPF_CORE_READ(mm, env_end) - BPF_CORE_READ(mm, env_start), VG_ENV_MAX, true);
	vg_str_cwd(&r, VG_EXEC_STR_CWD);
	vg_str_cgroup(&r, VG_EXEC_STR_CGROUP, t);
	vg_enforce_exec(&r, sizeof(*e), t);
	return vg_rec_send(&r);
}

/*
 * Clone flags of the fork in progress. sched_process_fork runs inside the
 * parent's syscall, so the syscall's number and arguments are in its user
 * registers: clone passes the flags, clone3 a struct whose first field they
 * are, fork and vfork imply theirs. 0 for forks outside a syscall (kernel
 * threads) and unknown architectures.
 */
#define VG_CLONE_VM    0x100
#define VG_CLONE_VFORK 0x4000
#define VG_SIGCHLD     17
#if defined(__TARGET_ARCH_x86)
#define VG_NR_CLONE        56
#define VG_NR_FORK         57
#define VG_NR_VFORK        58
#define VG_NR_CLONE3       435
#define VG_FORK_REGS_NR(r) ((r)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define VG_NR_CLONE        220
#define VG_NR_FORK         -2 /* none on arm64 */
#define VG_NR_VFORK        -3
#define VG_NR_CLONE3       435
struct pt_regs___arm64_fork {
	int syscallno;
} __attribute__((preserve_access_index));
#define VG_FORK_REGS_NR(r) (((struct pt_regs___arm64_fork *)(r))->syscallno)
#endif

static __always_inline __u64 vg_clone_flags(void) {
#ifdef VG_NR_CLONE
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long nr = VG_FORK_REGS_NR(regs);
	__u64 flags = 0;

	if (nr == VG_NR_CLONE)
		return PT_REGS_PARM1_SYSCALL(regs);
	if (nr == VG_NR_CLONE3) {
		bpf_probe_read_user(&flags, sizeof(flags), (void *)PT_REGS_PARM1_SYSCALL(regs));
		return flags;
	}
	if (nr == VG_NR_FORK)
		return VG_SIGCHLD;
	if (nr == VG_NR_VFORK)
		return VG_CLONE_VM | VG_CLONE_VFORK | VG_SIGCHLD;
#endif
	return 0;
}

/* New processes only: a new thread (CLONE_THREAD) is not a clone event. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child) {
	struct vg_fork *f;
	struct vg_rec r;

	if (child->pid != child->tgid)
		return 0;
	if (vg_is_agent(vg_current_tgid()))
		return 0;
	f = vg_rec_begin(&r, VG_EVT_CLONE, 0, sizeof(*f));
	if (!f)
		return 0;
	f->child_start_ns = child->start_boottime;
	f->child_pid = child->tgid;
	f->child_vpid = vg_task_upid(child).nr;
	f->clone_flags = vg_clone_flags();
	r.loud = (f->clone_flags & vg_clone_wake()) != 0;
	return vg_rec_send(&r);
}

/* Only when the whole process is gone: the last thread has taken signal->live to 0. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *p) {
	struct vg_exit *x;
	struct vg_rec r;

	if (p->signal->live.counter != 0)
		return 0;
	if (vg_is_agent(vg_current_tgid()))
		return 0;
	x = vg_rec_begin(&r, VG_EVT_EXIT, 0, sizeof(*x));
	if (!x)
		return 0;
	x->start_ns = p->group_leader->start_boottime;
	x->exit_code = p->exit_code;
	return vg_rec_send(&r);
}

/*
 * bpf(2) commands that name an object, and where their union bpf_attr holds its fd or id (UAPI
 * offsets, stable): map fd at 0 (element calls, freeze), at 36 (batch calls: batch.map_fd);
 * program or link fd at 0 (test run, bind map, link update/detach, info by fd); attach_bpf_fd at
 * 4 (prog detach); bpf_fd at 8 (obj pin); an id at 0 (the GET_FD_BY_ID calls).
 */
static __always_inline int vg_bpf_fd_offset(__u64 cmd) {
	switch (cmd) {
	case 1:
	case 2:
	case 3:
	case 4: /* MAP_LOOKUP/UPDATE/DELETE_ELEM, MAP_GET_NEXT_KEY */
	case 10:
	case 15: /* PROG_TEST_RUN, OBJ_GET_INFO_BY_FD */
	case 21:
	case 22: /* MAP_LOOKUP_AND_DELETE_ELEM, MAP_FREEZE */
	case 29:
	case 34:
	case 35: /* LINK_UPDATE, LINK_DETACH, PROG_BIND_MAP */
		return 0;
	case 9: /* PROG_DETACH */
		return 4;
	case 6: /* OBJ_PIN */
		return 8;
	case 24:
	case 25:
	case 26:
	case 27: /* MAP_*_BATCH */
		return 36;
	}
	return -1;
}

/* The BPF object fd refers to: its kind in *kind and its id; 0 for any other file. */
static __always_inline __u32 vg_bpf_fd_object(__u32 fd, __u64 *kind) {
	struct file *f = vg_fd_file(fd);
	__u32 k = vg_bpf_file_kind(f);

	if (k == VG_BPF_OBJ_NONE)
		return 0;
	*kind = k;
	return vg_bpf_file_id(f, k);
}

/* bpf(2): the id (and kind, in *kind) of the map, program or link the call names; else 0. */
static __always_inline __u32 vg_bpf_target(__u64 cmd, void *attr, __u64 *kind) {
	__u32 v = 0;
	int off;

	switch (cmd) {
	case 13: /* PROG_GET_FD_BY_ID */
	case 14: /* MAP_GET_FD_BY_ID */
	case 30: /* LINK_GET_FD_BY_ID */
		if (bpf_probe_read_user(&v, sizeof(v), attr) != 0)
			return 0;
		*kind = cmd == 13 ? VG_BPF_OBJ_PROG : cmd == 14 ? VG_BPF_OBJ_MAP : VG_BPF_OBJ_LINK;
		return v;
	}
	off = vg_bpf_fd_offset(cmd);
	if (off < 0 || bpf_probe_read_user(&v, sizeof(v), attr + off) != 0)
		return 0;
	return vg_bpf_fd_object(v, kind);
}

/* The record of a vg_proc_op syscall that returned ret, with its arguments `a`; `stash` says which
 * one (a constant once inlined). */
static __always_inline int vg_proc_op_send(long ret, __u32 stash, __u16 type,
                                           const struct vg_stash *a_) {
	struct vg_stash a = *a_;
	struct vg_proc_op *p;
	struct vg_rec r;
	__u32 prog_type = 0;

	p = vg_rec_begin(&r, type, ret, sizeof(*p));
	if (!p)
		return 0;
	r.lens = p->str_len;
	switch (stash) {
	case VG_EVT_CHDIR:
		if (ret == 0)
			vg_str_cwd(&r, 0);
		else
			vg_str_user(&r, 0, (void *)a.args[0], VG_PATH_MAX);
		break;
	case VG_STASH_FCHDIR:
		p->arg[0] = a.args[0];
		vg_str_file(&r, 0, vg_fd_file(a.args[0]));
		break;
	case VG_EVT_SETNS: {
		struct file *f = vg_fd_file(a.args[0]);

		p->arg[0] = a.args[0];
		p->arg[1] = a.args[1];
		p->arg[2] = BPF_CORE_READ(f, f_inode, i_ino);
		vg_str_file(&r, 0, f);
		break;
	}
	case VG_EVT_UNSHARE:
	case VG_EVT_USERFAULTFD:
		p->arg[0] = a.args[0];
		break;
	case VG_EVT_PTRACE:
		p->arg[0] = a.args[0];
		p->arg[1] = a.args[1];
		p->arg[2] = a.args[2];
		p->arg[3] = a.args[3];
		break;
	case VG_EVT_MEMFD_CREATE:
		p->arg[0] = a.args[1];
		vg_str_user(&r, 0, (void *)a.args[0], VG_MEMFD_NAME_MAX);
		break;
	case VG_EVT_INIT_MODULE:
		p->arg[0] = a.args[1];
		vg_str_user(&r, 0, (void *)a.args[2], VG_PATH_MAX);
		break;
	case VG_EVT_FINIT_MODULE:
		p->arg[0] = a.args[0];
		p->arg[1] = a.args[2];
		vg_str_user(&r, 0, (void *)a.args[1], VG_PATH_MAX);
		vg_str_file(&r, 1, vg_fd_file(a.args[0]));
		break;
	case VG_EVT_BPF:
		p->arg[0] = a.args[0];
		if (a.args[0] == VG_BPF_PROG_LOAD &&
		    bpf_probe_read_user(&prog_type, sizeof(prog_type), (void *)a.args[1]) == 0)
			p->arg[1] = prog_type;
		p->arg[2] = vg_bpf_target(a.args[0], (void *)a.args[1], &p->arg[3]);
		break;
	case VG_EVT_IO_URING_SETUP: {
		__u32 ring_flags = 0;

		/* struct io_uring_params: sq_entries, cq_entries, flags. */
		p->arg[0] = a.args[0];
		bpf_probe_read_user(&ring_flags, sizeof(ring_flags), (void *)a.args[1] + 8);
		p->arg[1] = ring_flags;
		break;
	}
	case VG_EVT_PROCESS_VM_READV:
	case VG_EVT_PROCESS_VM_WRITEV:
		p->arg[0] = a.args[0];
		p->arg[1] = a.args[2];
		p->arg[2] = a.args[4];
		p->arg[3] = a.args[5];
		break;
	case VG_EVT_PRCTL:
		p->arg[0] = a.args[0];
		p->arg[1] = a.args[1];
		p->arg[2] = a.args[2];
		p->arg[3] = a.args[3];
		if (a.args[0] == VG_PR_SET_NAME)
			vg_str_user(&r, 0, (void *)a.args[1], VG_TASK_COMM_MAX);
		break;
	}
	return vg_rec_send(&r);
}

/* sys_exit of a vg_proc_op syscall: its arguments were stashed by enter_<name>. */
static __always_inline int vg_proc_op_exit(long ret, __u32 stash, __u16 type) {
	struct vg_stash a;

	if (!vg_unstash_args(stash, &a))
		return 0;
	return vg_proc_op_send(ret, stash, type, &a);
}

#define VG_PROC_OP(name, tp, stash, type, nargs)                                                   \
	VG_SYSCALL_ENTER(name, tp, stash, nargs)                                                   \
	SEC("tracepoint/syscalls/sys_exit_" #tp)                                                   \
	int exit_##name(struct trace_event_raw_sys_exit *ctx) {                                    \
		return vg_proc_op_exit(ctx->ret, stash, type);                                     \
	}

VG_PROC_OP(chdir, chdir, VG_EVT_CHDIR, VG_EVT_CHDIR, 1)
VG_PROC_OP(fchdir, fchdir, VG_STASH_FCHDIR, VG_EVT_CHDIR, 1)
VG_PROC_OP(setns, setns, VG_EVT_SETNS, VG_EVT_SETNS, 2)
VG_PROC_OP(unshare, unshare, VG_EVT_UNSHARE, VG_EVT_UNSHARE, 1)
VG_PROC_OP(ptrace, ptrace, VG_EVT_PTRACE, VG_EVT_PTRACE, 4)
VG_PROC_OP(memfd_create, memfd_create, VG_EVT_MEMFD_CREATE, VG_EVT_MEMFD_CREATE, 2)
VG_PROC_OP(init_module, init_module, VG_EVT_INIT_MODULE, VG_EVT_INIT_MODULE, 3)
VG_PROC_OP(finit_module, finit_module, VG_EVT_FINIT_MODULE, VG_EVT_FINIT_MODULE, 3)
VG_PROC_OP(bpf, bpf, VG_EVT_BPF, VG_EVT_BPF, 3)
VG_PROC_OP(userfaultfd, userfaultfd, VG_EVT_USERFAULTFD, VG_EVT_USERFAULTFD, 1)
VG_PROC_OP(prctl, prctl, VG_EVT_PRCTL, VG_EVT_PRCTL, 5)
VG_PROC_OP(io_uring_setup, io_uring_setup, VG_EVT_IO_URING_SETUP, VG_EVT_IO_URING_SETUP, 2)
VG_PROC_OP(process_vm_readv, process_vm_readv, VG_EVT_PROCESS_VM_READV, VG_EVT_PROCESS_VM_READV, 6)
VG_PROC_OP(process_vm_writev, process_vm_writev, VG_EVT_PROCESS_VM_WRITEV, VG_EVT_PROCESS_VM_WRITEV,
           6)

/*
 * init_module and finit_module where the kernel has no tracepoints for them
 * (CONFIG_MODULES=n: the calls exist, return ENOSYS and are still worth
 * seeing as attempts). This runs on every syscall, so user space attaches
 * it only when rules want module events and enter_/exit_[f]init_module
 * cannot attach. Records are the same as the tracepoint programs'.
 */
#if defined(__TARGET_ARCH_x86)
#define VG_NR_INIT_MODULE  175
#define VG_NR_FINIT_MODULE 313
#define VG_REGS_NR(regs)   ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define VG_NR_INIT_MODULE  105
#define VG_NR_FINIT_MODULE 273
struct pt_regs___arm64_nr {
	int syscallno;
} __attribute__((preserve_access_index));
#define VG_REGS_NR(regs)   (((struct pt_regs___arm64_nr *)(regs))->syscallno)
#endif

#ifdef VG_NR_INIT_MODULE
/*
 * Exit only, the arguments read from the registers saved at entry (as the open family does): a
 * program on every syscall costs its dispatch whatever it does, and a sys_enter twin would double
 * that, for a call that never succeeds on such a kernel (docs/performance.md, floors).
 * tp_btf, not raw_tracepoint: regs is a BTF pointer, so the syscall number is one load rather
 * than a bpf_probe_read_kernel() call on every syscall of the host.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_module, struct pt_regs *regs, long ret) {
	long id = VG_REGS_NR(regs);
	struct vg_stash a = {};

	if (id != VG_NR_INIT_MODULE && id != VG_NR_FINIT_MODULE)
		return 0;
	if (vg_is_agent(bpf_get_current_pid_tgid() >> 32))
		return 0;
	a.args[0] = PT_REGS_PARM1_SYSCALL(regs);
	a.args[1] = PT_REGS_PARM2_SYSCALL(regs);
	a.args[2] = PT_REGS_PARM3_SYSCALL(regs);
	if (id == VG_NR_INIT_MODULE)
		return vg_proc_op_send(ret, VG_EVT_INIT_MODULE, VG_EVT_INIT_MODULE, &a);
	return vg_proc_op_send(ret, VG_EVT_FINIT_MODULE, VG_EVT_FINIT_MODULE, &a);
}
#endif
