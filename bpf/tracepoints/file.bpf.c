/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * File family: the open family, unlink, rename, mkdir, rmdir, link, symlink,
 * chmod, chown, truncate, mount, umount2, utimensat, utimes, the setxattr
 * family, mknod. Arguments are stashed at sys_enter,
 * the record (struct vg_file) is built at sys_exit with the result.
 *
 * Each syscall is described by which argument holds what (VG_A_NONE when it
 * has no such argument); the one builder below is inlined per syscall with
 * those constants, so every program carries only the code its syscall needs.
 *
 * A successful open is reported by what it opened: the file behind the new fd
 * gives the inode, device and real path (string `real`, walked from its
 * dentry), whatever path, link, mount or handle reached it. Opens submitted
 * through io_uring are reported at their completion (io_uring_complete).
 */
#include "vg_path.h"
#include "vg_open_filter.h"
#include "../enforce/vg_enforce.h"

#define VG_A_NONE      -1
#define VG_CREAT_FLAGS 01101 /* creat() is open(O_CREAT | O_WRONLY | O_TRUNC) */
#define VG_FSTYPE_MAX  256
#define VG_XATTR_NAME  256 /* XATTR_NAME_MAX + 1 */
#define VG_TIMES_SPEC  1   /* struct timespec[2] (utimensat) */
#define VG_TIMES_VAL   2   /* struct timeval[2] (utimes): microseconds */

/* How a syscall's arguments map onto struct vg_file. */
struct vg_file_args {
	int path;   /* user path */
	int dirfd;  /* dirfd for path (VG_A_NONE: the cwd) */
	int path2;  /* second user path */
	int dirfd2; /* dirfd for path2 (VG_A_NONE: the cwd) */
	int fd;     /* fd-based call: path walked from this fd */
	int flags;
	int mode;
	int uid;
	int gid;
	int length;
	bool
	    open; /* open family: fd/ino/dev of the result; arguments read at exit (vg_regs_args) */
	bool how; /* openat2: flags and mode from struct open_how at `flags` */
	bool no_dir;       /* path is not resolved (symlink target, mount source) */
	int fstype;        /* mount: filesystem type -> extra */
	int times;         /* utimensat/utimes: the times array */
	int times_kind;    /* VG_TIMES_SPEC or VG_TIMES_VAL */
	bool null_path_fd; /* path NULL: dirfd is the file (futimens) */
	int xname;         /* setxattr family: attribute name -> extra */
	int xvalue;        /* setxattr family: value (capability mask -> ino) */
	int devnum;        /* mknod: device number -> dev */
};

/* utimensat/utimes: the times passed (events.h, struct vg_file), converted to nanoseconds. */
static __always_inline void vg_file_times(struct vg_file *f, const void *times, int kind) {
	__s64 ts[4] = {};
	__u64 scale = kind == VG_TIMES_VAL ? 1000 : 1;

	if (!times || bpf_probe_read_user(ts, sizeof(ts), times) != 0)
		return;
	f->mode = 1;
	f->length = ts[0];
	f->uid = ts[1] * scale;
	f->ino = ts[2];
	f->gid = ts[3] * scale;
}

/* setxattr: the permitted capabilities a vfs_cap_data value holds (v1: 32 bits; v2/v3: 64). */
static __always_inline __u64 vg_xattr_caps(const void *value, __u64 size) {
	__u32 w[4] = {};

	if (!value || size < 8 || bpf_probe_read_user(w, size >= 16 ? 16 : 8, value) != 0)
		return 0;
	return w[1] | (size >= 20 ? (__u64)w[3] << 32 : 0);
}

static __always_inline bool vg_is_relative(const char *upath) {
	char c = 0;

	bpf_probe_read_user(&c, 1, upath);
	return c != '/';
}

/* A user path into string i and, when relative, its directory into string i + 1. */
static __always_inline void vg_file_upath(struct vg_rec *r, int i, const char *upath, int dirfd) {
	if (!upath)
		return;
	vg_str_user(r, i, upath, VG_PATH_MAX);
	if (vg_is_relative(upath)) {
		vg_str_dirfd(r, i + 1, dirfd);
		vg_rec_hdr(r)->flags |= VG_HDR_F_RELATIVE;
	}
}

/*
 * The arguments at sys_exit from the registers saved at entry, which the call
 * leaves as they were (libbpf's *_SYSCALL accessors know where each
 * architecture keeps them): the open family, the busiest, needs no sys_enter
 * program and no stash, which saves a map update, lookup and delete per open.
 * bpf_task_pt_regs() gives a BTF pointer, so on x86 the registers are plain
 * loads, not a bpf_probe_read_kernel() call each.
 */

/* The identity of the file an open returned. */
static __always_inline void vg_file_ident(struct vg_file *f, struct file *file) {
	struct inode *ino = BPF_CORE_READ(file, f_inode);

	f->ino = BPF_CORE_READ(ino, i_ino);
	f->dev = vg_encode_dev(BPF_CORE_READ(ino, i_sb, s_dev));
}
static __always_inline bool vg_regs_args(struct vg_stash *a) {
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	if (vg_is_agent(t->tgid))
		return false;
	a->args[0] = PT_REGS_PARM1_SYSCALL(regs);
	a->args[1] = PT_REGS_PARM2_SYSCALL(regs);
	a->args[2] = PT_REGS_PARM3_SYSCALL(regs);
	a->args[3] = PT_REGS_PARM4_SYSCALL(regs);
	return true;
}

static __always_inline int vg_file_exit(struct trace_event_raw_sys_exit *ctx, __u16 type,
                                        const struct vg_file_args d) {
	struct file *file = NULL;
	const char *upath = NULL;
	struct vg_stash a;
	struct vg_file *f;
	struct vg_rec r;
	long ret = ctx->ret;

	__u32 flags = 0, mode = 0;

	if (d.open ? !vg_regs_args(&a) : !vg_unstash_args(type, &a))
		return 0;
	if (d.how) {
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)a.args[d.flags & 7]);
		flags = how.flags;
		mode = how.mode;
	} else {
		if (d.flags >= 0)
			flags = a.args[d.flags & 7];
		if (d.mode >= 0)
			mode = a.args[d.mode & 7];
	}
	if (type == VG_EVT_CREAT)
		flags = VG_CREAT_FLAGS;
	if (d.path >= 0)
		upath = (const char *)a.args[d.path & 7];
	if (d.open && ret >= 0)
		file = vg_fd_file(ret);
	/* Before anything is built: most opens match no rule (the open prefilter). */
	if (d.open && !vg_open_wanted(upath, flags, ret, file))
		return 0;
	f = vg_rec_begin(&r, type, ret, sizeof(*f));
	if (!f)
		return 0;
	r.lens = f->str_len;
	f->dirfd = d.dirfd >= 0 ? (int)a.args[d.dirfd & 7] : VG_AT_FDCWD;
	f->flags = flags;
	f->mode = mode;
	if (d.uid >= 0)
		f->uid = a.args[d.uid & 7];
	if (d.gid >= 0)
		f->gid = a.args[d.gid & 7];
	if (d.length >= 0)
		f->length = a.args[d.length & 7];
	if (d.times >= 0)
		vg_file_times(f, (void *)a.args[d.times & 7], d.times_kind);
	if (d.xvalue >= 0)
		f->ino = vg_xattr_caps((void *)a.args[d.xvalue & 7], f->length);
	if (d.devnum >= 0)
		f->dev = a.args[d.devnum & 7];

	if (d.open) {
		f->fd = ret >= 0 ? ret : -1;
		if (file)
			vg_file_ident(f, file);
	}

	/* Strings in str_len[] order: path, dirpath, path2, dirpath2, extra. */
	if (d.fd >= 0) {
		f->fd = a.args[d.fd & 7];
		vg_str_file(&r, VG_FILE_STR_PATH, vg_fd_file(f->fd));
	} else if (d.null_path_fd && d.path >= 0 && !a.args[d.path & 7]) {
		f->fd = f->dirfd;
		vg_str_file(&r, VG_FILE_STR_PATH, vg_fd_file(f->fd));
	} else if (d.path >= 0) {
		/* An open that returned a file needs no directory: its real path says it all. */
		if (d.no_dir || file)
			vg_str_user(&r, VG_FILE_STR_PATH, upath, VG_PATH_MAX);
		else
			vg_file_upath(&r, VG_FILE_STR_PATH, upath, f->dirfd);
	}
	if (d.path2 >= 0)
		vg_file_upath(&r, VG_FILE_STR_PATH2, (void *)a.args[d.path2 & 7],
		              d.dirfd2 >= 0 ? (int)a.args[d.dirfd2 & 7] : VG_AT_FDCWD);
	if (d.fstype >= 0)
		vg_str_user(&r, VG_FILE_STR_EXTRA, (void *)a.args[d.fstype & 7], VG_FSTYPE_MAX);
	if (d.xname >= 0)
		vg_str_user(&r, VG_FILE_STR_EXTRA, (void *)a.args[d.xname & 7], VG_XATTR_NAME);
	if (file)
		vg_str_file(&r, VG_FILE_STR_REAL, file);
	vg_enforce_rec(&r, type, sizeof(*f));
	return vg_rec_send(&r);
}

/* Argument description with everything absent; each syscall overrides what it has. */
#define VG_FA(...)                                                                                 \
	((struct vg_file_args){.path = VG_A_NONE,                                                  \
	                       .dirfd = VG_A_NONE,                                                 \
	                       .path2 = VG_A_NONE,                                                 \
	                       .dirfd2 = VG_A_NONE,                                                \
	                       .fd = VG_A_NONE,                                                    \
	                       .flags = VG_A_NONE,                                                 \
	                       .mode = VG_A_NONE,                                                  \
	                       .uid = VG_A_NONE,                                                   \
	                       .gid = VG_A_NONE,                                                   \
	                       .length = VG_A_NONE,                                                \
	                       .fstype = VG_A_NONE,                                                \
	                       .times = VG_A_NONE,                                                 \
	                       .xname = VG_A_NONE,                                                 \
	                       .xvalue = VG_A_NONE,                                                \
	                       .devnum = VG_A_NONE,                                                \
	                       __VA_ARGS__})

#define VG_FILE(name, tp, type, nargs, ...)                                                        \
	VG_SYSCALL_ENTER(name, tp, type, nargs)                                                    \
	SEC("tracepoint/syscalls/sys_exit_" #tp)                                                   \
	int exit_##name(struct trace_event_raw_sys_exit *ctx) {                                    \
		return vg_file_exit(ctx, type, VG_FA(__VA_ARGS__));                                \
	}

/* The open family: exit_<name> only (vg_regs_args). */
#define VG_OPEN(name, tp, type, ...)                                                               \
	SEC("tracepoint/syscalls/sys_exit_" #tp)                                                   \
	int exit_##name(struct trace_event_raw_sys_exit *ctx) {                                    \
		return vg_file_exit(ctx, type, VG_FA(__VA_ARGS__));                                \
	}

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
VG_OPEN(open, open, VG_EVT_OPEN, .path = 0, .flags = 1, .mode = 2, .open = true)
VG_OPEN(openat, openat, VG_EVT_OPENAT, .dirfd = 0, .path = 1, .flags = 2, .mode = 3, .open = true)
VG_OPEN(openat2, openat2, VG_EVT_OPENAT2, .dirfd = 0, .path = 1, .flags = 2, .how = true,
        .open = true)
VG_OPEN(creat, creat, VG_EVT_CREAT, .path = 0, .mode = 1, .open = true)
VG_OPEN(open_by_handle_at, open_by_handle_at, VG_EVT_OPEN_BY_HANDLE_AT, .dirfd = 0, .flags = 2,
        .open = true)
VG_FILE(unlink, unlink, VG_EVT_UNLINK, 1, .path = 0)
VG_FILE(unlinkat, unlinkat, VG_EVT_UNLINKAT, 3, .dirfd = 0, .path = 1, .flags = 2)
VG_FILE(rename, rename, VG_EVT_RENAME, 2, .path = 0, .path2 = 1)
VG_FILE(renameat, renameat, VG_EVT_RENAMEAT, 4, .dirfd = 0, .path = 1, .dirfd2 = 2, .path2 = 3)
VG_FILE(renameat2, renameat2, VG_EVT_RENAMEAT2, 5, .dirfd = 0, .path = 1, .dirfd2 = 2, .path2 = 3,
        .flags = 4)
VG_FILE(mkdir, mkdir, VG_EVT_MKDIR, 2, .path = 0, .mode = 1)
VG_FILE(mkdirat, mkdirat, VG_EVT_MKDIRAT, 3, .dirfd = 0, .path = 1, .mode = 2)
VG_FILE(rmdir, rmdir, VG_EVT_RMDIR, 1, .path = 0)
VG_FILE(link, link, VG_EVT_LINK, 2, .path = 0, .path2 = 1)
VG_FILE(linkat, linkat, VG_EVT_LINKAT, 5, .dirfd = 0, .path = 1, .dirfd2 = 2, .path2 = 3,
        .flags = 4)
VG_FILE(symlink, symlink, VG_EVT_SYMLINK, 2, .path = 0, .no_dir = true, .path2 = 1)
VG_FILE(symlinkat, symlinkat, VG_EVT_SYMLINKAT, 3, .path = 0, .no_dir = true, .dirfd = 1,
        .dirfd2 = 1, .path2 = 2)
VG_FILE(chmod, chmod, VG_EVT_CHMOD, 2, .path = 0, .mode = 1)
VG_FILE(fchmod, fchmod, VG_EVT_FCHMOD, 2, .fd = 0, .mode = 1)
VG_FILE(fchmodat, fchmodat, VG_EVT_FCHMODAT, 3, .dirfd = 0, .path = 1, .mode = 2)
VG_FILE(chown, chown, VG_EVT_CHOWN, 3, .path = 0, .uid = 1, .gid = 2)
VG_FILE(lchown, lchown, VG_EVT_LCHOWN, 3, .path = 0, .uid = 1, .gid = 2)
VG_FILE(fchown, fchown, VG_EVT_FCHOWN, 3, .fd = 0, .uid = 1, .gid = 2)
VG_FILE(fchownat, fchownat, VG_EVT_FCHOWNAT, 5, .dirfd = 0, .path = 1, .uid = 2, .gid = 3,
        .flags = 4)
VG_FILE(truncate, truncate, VG_EVT_TRUNCATE, 2, .path = 0, .length = 1)
VG_FILE(ftruncate, ftruncate, VG_EVT_FTRUNCATE, 2, .fd = 0, .length = 1)
VG_FILE(mount, mount, VG_EVT_MOUNT, 5, .path = 0, .no_dir = true, .path2 = 1, .fstype = 2,
        .flags = 3)
VG_FILE(umount2, umount, VG_EVT_UMOUNT2, 2, .path = 0, .flags = 1)
VG_FILE(utimensat, utimensat, VG_EVT_UTIMENSAT, 4, .dirfd = 0, .path = 1, .null_path_fd = true,
        .times = 2, .times_kind = VG_TIMES_SPEC, .flags = 3)
VG_FILE(utimes, utimes, VG_EVT_UTIMES, 2, .path = 0, .times = 1, .times_kind = VG_TIMES_VAL)
VG_FILE(setxattr, setxattr, VG_EVT_SETXATTR, 5, .path = 0, .xname = 1, .xvalue = 2, .length = 3,
        .flags = 4)
VG_FILE(lsetxattr, lsetxattr, VG_EVT_LSETXATTR, 5, .path = 0, .xname = 1, .xvalue = 2, .length = 3,
        .flags = 4)
VG_FILE(fsetxattr, fsetxattr, VG_EVT_FSETXATTR, 5, .fd = 0, .xname = 1, .xvalue = 2, .length = 3,
        .flags = 4)
VG_FILE(mknod, mknod, VG_EVT_MKNOD, 3, .path = 0, .mode = 1, .devnum = 2)
VG_FILE(mknodat, mknodat, VG_EVT_MKNODAT, 4, .dirfd = 0, .path = 1, .mode = 2, .devnum = 3)
#pragma clang diagnostic pop

/*
 * io_uring: an IORING_OP_OPENAT or OPENAT2 request, reported when it completes
 * with a new fd. The completion runs in the submitting task or one of its
 * io_uring threads (io-wq workers, the SQPOLL thread), which share its fd
 * table, so the fd is resolved like a syscall's. The path the caller passed is
 * freed by then: the record has the real path only. An open into a fixed-file
 * slot (file_slot set) returns no fd and is not reported.
 */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(io_uring_complete, void *ring, void *req) {
	struct io_kiocb *kreq = req;
	struct io_open *o = (struct io_open *)&kreq->cmd;
	/* The result from the request: the tracepoint's later arguments vary by kernel. */
	__u8 op = BPF_CORE_READ(kreq, opcode);
	long ret = BPF_CORE_READ(kreq, cqe.res);
	struct file *file;
	struct vg_file *f;
	struct vg_rec r;
	__u16 type;

	if (op == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT))
		type = VG_EVT_OPENAT;
	else if (op == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT2))
		type = VG_EVT_OPENAT2;
	else
		return 0;
	if (ret < 0 || BPF_CORE_READ(o, file_slot) || vg_is_agent(vg_current_tgid()))
		return 0;
	file = vg_fd_file(ret);
	if (!file)
		return 0;
	f = vg_rec_begin(&r, type, ret, sizeof(*f));
	if (!f)
		return 0;
	r.lens = f->str_len;
	vg_rec_hdr(&r)->flags |= VG_HDR_F_IO_URING;
	f->fd = ret;
	f->dirfd = BPF_CORE_READ(o, dfd);
	f->flags = BPF_CORE_READ(o, how.flags);
	f->mode = BPF_CORE_READ(o, how.mode);
	vg_file_ident(f, file);
	vg_str_file(&r, VG_FILE_STR_REAL, file);
	return vg_rec_send(&r);
}
