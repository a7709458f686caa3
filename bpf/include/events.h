/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The wire format between vigil's BPF programs and user space.
 *
 * Every record in the ring buffer is:
 *
 *   struct vg_hdr            common header: who, when, which event, its result
 *   struct vg_<family>       fixed payload of the event's family
 *   string bytes             the payload's strings, back to back, in the order of
 *                            the family's `str_len[]`; each string's length is
 *                            given there (without a terminating NUL)
 *
 * `vg_hdr.size` is the length of the whole record. Strings are raw bytes:
 * user space decides the encoding. A string that was cut at its limit has its
 * bit set in `vg_hdr.truncated` (bit i = the family's string i).
 *
 * src/kernel/layout.ts mirrors these structs; test/kernel/layout.test.ts checks
 * every offset against the BTF of the compiled object so the two cannot drift.
 * Change a struct here, and the test tells you what to change there.
 */
#ifndef VIGIL_EVENTS_H
#define VIGIL_EVENTS_H

/* Limits on what one record carries. */
#define VG_PATH_MAX     4096 /* a path walked from dentries, or read from user memory */
#define VG_ARGS_MAX     4096 /* argv as the kernel keeps it in mm: each argument NUL-terminated */
#define VG_ENV_MAX      4096 /* envp, the same way */
#define VG_COMM_LEN     16
#define VG_PATH_DEPTH   48    /* dentry components walked before giving up (prefix '...') */
#define VG_SCRATCH_SIZE 32768 /* per-CPU buffer a record is built in before output */

/*
 * Event types, one row each in src/event/table.ts. The names in comments are the
 * `evt.type` user space gives them (Falco's names). Numbers are part of the wire
 * format: append, never reorder.
 */
enum vg_event_type {
	VG_EVT_NONE = 0,
	/* process family: struct vg_exec / vg_fork / vg_exit / vg_proc_op */
	VG_EVT_EXECVE = 1, /* execve, execveat (successful: sched_process_exec) */
	VG_EVT_CLONE = 2,  /* clone, clone3, fork, vfork (new process, not thread) */
	VG_EVT_EXIT = 3,   /* procexit (last thread of the process) */
	VG_EVT_CHDIR = 4,  /* chdir, fchdir */
	VG_EVT_SETNS = 5,
	VG_EVT_UNSHARE = 6,
	VG_EVT_PTRACE = 7,
	VG_EVT_MEMFD_CREATE = 8,
	VG_EVT_INIT_MODULE = 9,
	VG_EVT_FINIT_MODULE = 10,
	VG_EVT_BPF = 11,
	VG_EVT_USERFAULTFD = 12,
	VG_EVT_PRCTL = 13,
	VG_EVT_IO_URING_SETUP = 14,
	/* credentials family: struct vg_cred */
	VG_EVT_SETUID = 20,
	VG_EVT_SETGID = 21,
	VG_EVT_SETREUID = 22,
	VG_EVT_SETREGID = 23,
	VG_EVT_SETRESUID = 24,
	VG_EVT_SETRESGID = 25,
	VG_EVT_CAPSET = 26,
	/* file family: struct vg_file */
	VG_EVT_OPEN = 40,
	VG_EVT_OPENAT = 41,
	VG_EVT_OPENAT2 = 42,
	VG_EVT_CREAT = 43,
	VG_EVT_UNLINK = 44,
	VG_EVT_UNLINKAT = 45,
	VG_EVT_RENAME = 46,
	VG_EVT_RENAMEAT = 47,
	VG_EVT_RENAMEAT2 = 48,
	VG_EVT_MKDIR = 49,
	VG_EVT_MKDIRAT = 50,
	VG_EVT_RMDIR = 51,
	VG_EVT_LINK = 52,
	VG_EVT_LINKAT = 53,
	VG_EVT_SYMLINK = 54,
	VG_EVT_SYMLINKAT = 55,
	VG_EVT_CHMOD = 56,
	VG_EVT_FCHMOD = 57,
	VG_EVT_FCHMODAT = 58,
	VG_EVT_CHOWN = 59,
	VG_EVT_LCHOWN = 60,
	VG_EVT_FCHOWN = 61,
	VG_EVT_FCHOWNAT = 62,
	VG_EVT_TRUNCATE = 63,
	VG_EVT_FTRUNCATE = 64,
	VG_EVT_MOUNT = 65,
	VG_EVT_UMOUNT2 = 66,
	VG_EVT_OPEN_BY_HANDLE_AT = 67,
	/* network family: struct vg_net */
	VG_EVT_SOCKET = 80,
	VG_EVT_CONNECT = 81,
	VG_EVT_ACCEPT = 82,
	VG_EVT_ACCEPT4 = 83,
	VG_EVT_BIND = 84,
	VG_EVT_LISTEN = 85,
	VG_EVT_SENDTO = 86,
	VG_EVT_RECVFROM = 87,
	/* fd family: struct vg_dup */
	VG_EVT_DUP2 = 100,
	VG_EVT_DUP3 = 101,
	VG_EVT_DUP = 102,
	/* signal family: struct vg_signal */
	VG_EVT_KILL = 110,
	VG_EVT_TKILL = 111,
	VG_EVT_TGKILL = 112,
	VG_EVT_PIDFD_SEND_SIGNAL = 113,
	/* more of the file family: struct vg_file */
	VG_EVT_UTIMENSAT = 130,
	VG_EVT_UTIMES = 131,
	VG_EVT_SETXATTR = 132,
	VG_EVT_LSETXATTR = 133,
	VG_EVT_FSETXATTR = 134,
	VG_EVT_MKNOD = 135,
	VG_EVT_MKNODAT = 136,
	/* more of the process family: struct vg_proc_op */
	VG_EVT_PROCESS_VM_READV = 137,
	VG_EVT_PROCESS_VM_WRITEV = 138,
	VG_EVT_MAX = 160,
};

/* What an fd refers to, as the kernel sees it (vg_net, vg_dup). */
enum vg_fd_kind {
	VG_FD_UNKNOWN = 0,
	VG_FD_FILE = 1, /* regular file */
	VG_FD_DIR = 2,
	VG_FD_IPV4 = 3,
	VG_FD_IPV6 = 4,
	VG_FD_UNIX = 5,
	VG_FD_PIPE = 6, /* FIFO or pipe */
	VG_FD_CHR = 7,  /* character device (tty, /dev/null) */
	VG_FD_BLK = 8,
	VG_FD_SOCK_OTHER = 9, /* netlink, packet, ... */
	VG_FD_ANON = 10,      /* eventfd, memfd, bpf, ... */
};

/* Header flags. */
#define VG_HDR_F_EXE_FROM_MEMFD  (1u << 0) /* vg_exec: exe file is a memfd */
#define VG_HDR_F_EXE_UPPER_LAYER (1u << 1) /* vg_exec: exe lives in an overlayfs upper layer */
#define VG_HDR_F_EXE_WRITABLE    (1u << 2) /* vg_exec: exe writable by the process's fsuid */
#define VG_HDR_F_EXE_DELETED     (1u << 3) /* vg_exec: exe has no links left */
#define VG_HDR_F_RELATIVE        (1u << 4) /* a path in the record is relative: dirpath given */
#define VG_HDR_F_DENIED          (1u << 5) /* an LSM program refused it: retval -EPERM, deny_rule */
#define VG_HDR_F_IO_URING        (1u << 6) /* submitted through io_uring (reported at its completion) */
#define VG_HDR_F_KILLED          (1u << 7) /* a probe sent SIGKILL (enforcement), deny_rule */

struct vg_hdr {
	__u64 ts_ns;     /* bpf_ktime_get_boot_ns(); user space adds the boot time */
	__u64 cgroup_id; /* bpf_get_current_cgroup_id() (cgroup v2) */
	__s64 retval;    /* syscall return value (0 for sched events) */
	__u32 size;      /* whole record, header included */
	__u16 type;      /* enum vg_event_type */
	__u16 flags;     /* VG_HDR_F_* */
	__u32 pid;       /* tgid */
	__u32 tid;
	__u32 ppid; /* real_parent's tgid */
	__u32 uid;  /* real */
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 loginuid; /* (u32)-1 when unset */
	__u32 mnt_ns;   /* inode numbers of the namespaces */
	__u32 pid_ns;
	__u32 truncated; /* bit i: the family's string i was cut */
	__u32 deny_rule; /* VG_HDR_F_DENIED / _KILLED: vg_enf_rule.rule_id; 0 = self-protection */
	char comm[VG_COMM_LEN];
};

/*
 * VG_EVT_EXECVE. Strings: exe path, argv, envp, cwd, cgroup.
 * cgroup is the task's cgroup v2 path walked from kernfs nodes ("/docker/<id>",
 * "/system.slice/docker-<id>.scope", ...); when the task sits in the v2 root
 * (hybrid hosts whose runtimes use v1), the path of its v1 `pids` cgroup
 * instead, and when that is a root too (or pids is not on v1), of its v1
 * `memory` cgroup, so container ids resolve on both layouts. "/" when all
 * three are roots.
 */
struct vg_exec {
	__u64 start_ns; /* task start_boottime */
	__u64 cap_effective;
	__u64 cap_permitted;
	__u64 cap_inheritable;
	__u64 exe_ino;
	__u64 exe_ctime_ns; /* exe inode's change time, since the epoch */
	__u64 exe_mtime_ns;
	__u32 exe_dev; /* as stat(2) gives st_dev (the kernel's new_encode_dev) */
	__u32 exe_mode;
	__u32 exe_uid;
	__u32 argc; /* argument count (since 5.18 the kernel turns an empty argv into one "") */
	__u32 tty;  /* controlling tty, encoded as exe_dev (= /proc/PID/stat tty_nr); 0 without */
	__u32 sid;  /* session id, in the process's pid namespace */
	__u32 pgid; /* process group id, in the process's pid namespace */
	__u32 vpid; /* pid in the process's own pid namespace */
	__u32 vppid;
	__u32 _pad;
	__u16 str_len[5]; /* exe path, argv, envp, cwd, cgroup */
	__u16 _pad2[3];
};
#define VG_EXEC_STR_EXE    0
#define VG_EXEC_STR_ARGV   1
#define VG_EXEC_STR_ENV    2
#define VG_EXEC_STR_CWD    3
#define VG_EXEC_STR_CGROUP 4

/* VG_EVT_CLONE. The header describes the parent; the child is described here. */
struct vg_fork {
	__u64 child_start_ns;
	__u32 child_pid;
	__u32 child_vpid;  /* child's pid in its own pid namespace */
	__u64 clone_flags; /* 0 when not known */
};

/* VG_EVT_EXIT. */
struct vg_exit {
	__u64 start_ns;
	__s32 exit_code; /* as wait(2) gives it: (code << 8) | signal */
	__u32 _pad;
};

/*
 * VG_EVT_CHDIR, SETNS, UNSHARE, PTRACE, MEMFD_CREATE, INIT_MODULE,
 * FINIT_MODULE, BPF, USERFAULTFD, PRCTL: the syscall's arguments as
 * integers, and up to two strings.
 *   chdir        str0 = new cwd (walked from the kernel's dentries after success;
 *                the path as passed when the call failed); fchdir: arg0 = fd
 *   setns        arg0 = fd, arg1 = nstype, arg2 = the fd's inode number (for a
 *                namespace fd the namespace's inum, as vg_hdr.mnt_ns); str0 = the fd's path
 *   unshare      arg0 = flags
 *   ptrace       arg0 = request, arg1 = target pid, arg2 = addr, arg3 = data
 *   memfd_create arg0 = flags; str0 = name
 *   init_module  arg0 = len; str0 = param string
 *   finit_module arg0 = fd, arg1 = flags; str0 = param string, str1 = the fd's path
 *   bpf          arg0 = cmd, arg1 = prog type (BPF_PROG_LOAD) or 0, arg2 = the id of the
 *                map, program or link the call names (by fd or by id; 0 for other commands
 *                or an fd that is not one), arg3 = its kind (enum vg_bpf_obj)
 *   userfaultfd  arg0 = flags
 *   prctl        arg0 = option, arg1..arg3 = arg2..arg4; str0 = name (PR_SET_NAME)
 *   io_uring_setup arg0 = entries, arg1 = the flags of its io_uring_params
 *   process_vm_readv, process_vm_writev
 *                arg0 = target pid, arg1 = local iovec count, arg2 = remote iovec
 *                count, arg3 = flags (retval = bytes copied)
 */
/* vg_proc_op arg3 of a bpf record: the kind of BPF object the call names (arg2 its id). */
enum vg_bpf_obj {
	VG_BPF_OBJ_NONE = 0,
	VG_BPF_OBJ_MAP = 1,
	VG_BPF_OBJ_PROG = 2,
	VG_BPF_OBJ_LINK = 3,
};

struct vg_proc_op {
	__u64 arg[4];
	__u16 str_len[2];
	__u32 _pad;
};

/*
 * VG_EVT_SETUID ... SETRESGID, CAPSET: the requested ids (arg order as the
 * syscall takes them; -1 = unchanged). capset: id[0] = the target pid and
 * id[1] = the version from its cap header. The header carries the credentials
 * after the call.
 */
struct vg_cred {
	__u32 id[3];
	__u32 _pad;
	__u64 cap_effective; /* after the call */
	__u64 cap_permitted;
	__u64 cap_inheritable;
};

/*
 * File family. Strings: path, dirpath, path2, dirpath2, extra, real.
 *   path      as the process passed it (for fd-based calls: walked from the fd;
 *             open_by_handle_at and io_uring opens: empty)
 *   dirpath   when path is relative: the directory it is relative to (dirfd's
 *             path or the cwd), walked from the kernel's dentries; else empty
 *             (a successful open has `real` instead)
 *   path2     rename/link: the new path; symlink: the link path (path = target)
 *   dirpath2  the same for path2
 *   extra     mount: the filesystem type (path = source, path2 = target);
 *             setxattr family: the attribute's name
 *   real      open family, on success: the path of the file opened, walked from
 *             its dentry up through its mounts to the process's root (symlinks,
 *             "..", /proc/PID/root resolved by the kernel's lookup)
 * Numbers:
 *   fd        open family: the new fd (= retval on success); fd-based calls: the fd
 *   dirfd     *at calls: the dirfd (AT_FDCWD = -100); open_by_handle_at: mount_fd
 *   flags     open: open flags (creat: O_CREAT|O_WRONLY|O_TRUNC);
 *             unlinkat/renameat2/fchownat/linkat: flags; mount: mount flags;
 *             umount2: flags
 *   mode      open/creat/mkdir/chmod: mode
 *   uid, gid  chown family
 *   length    truncate
 *   ino, dev  the inode opened (open family, on success); dev encoded as vg_exec.exe_dev
 *   utimensat, utimes: the times set; mode = 1 when the call passed times (0: NULL,
 *             both "now"); length = atime seconds, uid = atime nanoseconds, ino =
 *             mtime seconds, gid = mtime nanoseconds (utimensat's UTIME_NOW and
 *             UTIME_OMIT kept as the kernel reads them); path NULL: fd = dirfd, path
 *             walked from it (futimens)
 *   setxattr, lsetxattr, fsetxattr: length = value size, flags = XATTR_* flags,
 *             ino = the permitted capability mask the value holds when it is a
 *             vfs_cap_data (bits 0-31 at offset 4, 32-63 at offset 12 for v2/v3)
 *   mknod, mknodat: mode = file type and permissions, dev = the device number passed
 */
struct vg_file {
	__u64 length;
	__u64 ino;
	__s32 fd;
	__s32 dirfd;
	__u32 flags;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 dev;
	__u32 _pad;
	__u16 str_len[6];
	__u16 _pad2[2];
};
#define VG_FILE_STR_PATH     0
#define VG_FILE_STR_DIRPATH  1
#define VG_FILE_STR_PATH2    2
#define VG_FILE_STR_DIRPATH2 3
#define VG_FILE_STR_EXTRA    4
#define VG_FILE_STR_REAL     5

/*
 * A socket address, normalised. For AF_INET the address is in addr[0..3]
 * (network order); AF_INET6 uses all 16 bytes; AF_UNIX puts the path in the
 * record's string.
 */
struct vg_sockaddr {
	__u8 addr[16];
	__u16 family; /* AF_* */
	__u16 port;   /* host order */
	__u32 _pad;
};

/*
 * Network family. For connect/accept/bind/sendto: local and remote end of
 * the socket as the kernel has them after the call (sock->sk); for connect
 * and sendto, `remote` is the address the process passed when the socket had
 * none (no port: a connect that failed or is in progress, an unconnected
 * sendto); for bind, `local` likewise (a bind that failed). Strings: unix
 * path (local, else the peer's, else the one the process passed).
 * sendto records only sends with an explicit destination on non-stream sockets.
 * sendto and recvfrom also carry the data's first bytes (VG_NET_STR_DATA) when
 * vg_snaplen asks for them (a loaded rule reads evt.buffer on that type).
 *   socket  domain, type (with SOCK_NONBLOCK/CLOEXEC as passed), protocol; fd = retval
 *   listen  fd, backlog (in `backlog`)
 *   accept  fd = the listening fd; retval = the new fd
 */
struct vg_net {
	struct vg_sockaddr local;
	struct vg_sockaddr remote;
	__s32 fd;
	__u32 domain;
	__u32 type;
	__u32 protocol;
	__u32 backlog;
	__u32 flags;      /* accept4 / dup3 / sendto / recvfrom flags */
	__u16 str_len[2]; /* VG_NET_STR_UNIX, VG_NET_STR_DATA */
	__u16 _pad[2];
};

#define VG_NET_STR_UNIX 0 /* a unix socket's path */
#define VG_NET_STR_DATA 1 /* sendto / recvfrom: the data's first bytes (evt.buffer), when asked */

/*
 * VG_EVT_DUP, DUP2, DUP3: what the duplicated fd is, so a shell wired to a
 * socket is visible. Strings: the old fd's path (files) or unix path.
 */
struct vg_dup {
	struct vg_sockaddr local; /* when kind is a socket */
	struct vg_sockaddr remote;
	__s32 oldfd;
	__s32 newfd;
	__u32 flags;
	__u16 kind;      /* enum vg_fd_kind of oldfd */
	__u16 sock_type; /* SOCK_STREAM, SOCK_DGRAM, ... when a socket */
	__u16 protocol;
	__u16 str_len[1];
	__u32 _pad;
};

/*
 * VG_EVT_KILL, TKILL, TGKILL, PIDFD_SEND_SIGNAL: the arguments as passed, and
 * the task the kernel generated the signal for (from the signal_generate
 * tracepoint inside the call), with pids in the initial pid namespace.
 *   kill               pid = pid (0: the caller's process group, -1: every
 *                      process it may signal, < -1: process group -pid)
 *   tkill              pid = tid
 *   tgkill             pid = tgid, tid = tid
 *   pidfd_send_signal  pid = the pidfd, flags
 * target_* describe the first task signalled; 0 and "" when no signal was
 * generated (signal 0, a refused call, no such process). `targets` counts the
 * tasks signalled (a group or -1 reaches several); `hit_agent` is 1 when one of
 * them belongs to the agent (vg_config.agent_tgid), whichever came first. Such
 * a record is sent as the agent is signalled (retval 0, `targets` so far), not
 * at sys_exit, so that it is in the ring buffer before the agent can act on it.
 */
struct vg_signal {
	__s32 pid;
	__s32 tid;
	__u32 sig;
	__u32 flags;
	__u32 target_tgid;
	__u32 target_tid;
	__u32 targets;
	__u16 result; /* for the first: 0 delivered, 1 ignored, 2 already pending, ... */
	__u16 hit_agent;
	char target_comm[VG_COMM_LEN];
};

/* Counters, one slot per CPU (BPF_MAP_TYPE_PERCPU_ARRAY `vg_stats`, key 0). */
struct vg_stats {
	__u64 events;       /* records submitted */
	__u64 dropped;      /* ring buffer reservations/outputs that failed */
	__u64 truncated;    /* records with at least one cut string */
	__u64 scratch_fail; /* records abandoned before output (should stay 0) */
};

/* Agent configuration written by user space (BPF_MAP_TYPE_ARRAY `vg_config`, key 0). */
struct vg_config {
	__u32 agent_tgid; /* never report this process's own activity */
	/*
	 * Bit t (t < 32): a record of type t never wakes the reader by itself
	 * (vg_wakeup_flag): the process-table records (exec, fork, exit) of types
	 * no loaded rule asks for, which the reader picks up with the next record
	 * that wakes it, or its own poll.
	 */
	__u32 quiet;
	/* A fork record with any of these clone flags wakes the reader all the same. */
	__u64 clone_wake;
};

#endif /* VIGIL_EVENTS_H */
