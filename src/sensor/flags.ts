/**
 * Falco's rendering of syscall arguments (evt.arg.*): flag words as
 * "O_RDONLY|O_CLOEXEC", enumerations as their constant's name, modes in octal,
 * results as errno names. Constant tables only; test/sensor/flags.test.ts checks
 * the values against the system headers.
 */

type Table = readonly (readonly [string, number])[];

/** Names of the bits set in `v`, in table order; bits no name covers are appended in hex. */
export function renderFlags(table: Table, v: number): string {
  let rest = v;
  let out = '';
  for (const [name, bit] of table) {
    // Division instead of `&`: clone flags go past bit 31.
    if (bit !== 0 && Math.floor(v / bit) % 2 === 1) {
      out = out === '' ? name : `${out}|${name}`;
      rest -= bit;
    }
  }
  if (rest > 0) out = out === '' ? `0x${rest.toString(16)}` : `${out}|0x${rest.toString(16)}`;
  return out;
}

function byValue(table: Table): Map<number, string> {
  const m = new Map<number, string>();
  for (const [name, v] of table) if (!m.has(v)) m.set(v, name);
  return m;
}

/** The constant's name for `v`, or the number itself when the table has none. */
function enumRenderer(table: Table): (v: number) => string {
  const m = byValue(table);
  return (v) => m.get(v) ?? String(v);
}

export const OPEN_FLAGS: Table = [
  ['O_WRONLY', 0o1],
  ['O_RDWR', 0o2],
  ['O_CREAT', 0o100],
  ['O_EXCL', 0o200],
  ['O_NOCTTY', 0o400],
  ['O_TRUNC', 0o1000],
  ['O_APPEND', 0o2000],
  ['O_NONBLOCK', 0o4000],
  ['O_DSYNC', 0o10000],
  ['FASYNC', 0o20000],
  ['O_DIRECT', 0o40000],
  ['O_LARGEFILE', 0o100000],
  ['O_DIRECTORY', 0o200000],
  ['O_NOFOLLOW', 0o400000],
  ['O_NOATIME', 0o1000000],
  ['O_CLOEXEC', 0o2000000],
  ['O_SYNC', 0o4000000 | 0o10000],
  ['O_PATH', 0o10000000],
  ['O_TMPFILE', 0o20000000 | 0o200000],
];

const openFlagsMemo = new Map<number, string>();

/** open(2) flags as Falco shows them: the access mode always named (O_RDONLY is 0). */
export function renderOpenFlags(v: number): string {
  let s = openFlagsMemo.get(v);
  if (s === undefined) {
    s = openFlagsText(v);
    // A process picks few distinct flag words: a small memo spares the hot path the rendering.
    if (openFlagsMemo.size >= 1024) openFlagsMemo.clear();
    openFlagsMemo.set(v, s);
  }
  return s;
}

function openFlagsText(v: number): string {
  let rest = v;
  const names: string[] = [];
  if ((v & 3) === 0) names.push('O_RDONLY');
  // O_SYNC and O_TMPFILE include another flag's bit: name them instead of their parts.
  for (const [name, bits] of [...OPEN_FLAGS].reverse()) {
    if ((rest & bits) === bits) {
      names.push(name);
      rest &= ~bits;
    }
  }
  names.sort((a, b) => OPEN_ORDER.get(a)! - OPEN_ORDER.get(b)!);
  if (rest !== 0) names.push(`0x${(rest >>> 0).toString(16)}`);
  return names.join('|');
}
const OPEN_ORDER = new Map<string, number>([
  ['O_RDONLY', -1],
  ...OPEN_FLAGS.map(([n], i) => [n, i] as const),
]);

/** A file mode in octal with a leading 0, as Falco renders evt.arg.mode ("0644"). */
export function renderMode(mode: number): string {
  const m = mode & 0o7777;
  return (MODES[m] ??= `0${m.toString(8)}`);
}
const MODES: string[] = new Array(0o10000);

export const ERRNO_NAMES: Table = [
  ['EPERM', 1],
  ['ENOENT', 2],
  ['ESRCH', 3],
  ['EINTR', 4],
  ['EIO', 5],
  ['ENXIO', 6],
  ['E2BIG', 7],
  ['ENOEXEC', 8],
  ['EBADF', 9],
  ['ECHILD', 10],
  ['EAGAIN', 11],
  ['ENOMEM', 12],
  ['EACCES', 13],
  ['EFAULT', 14],
  ['ENOTBLK', 15],
  ['EBUSY', 16],
  ['EEXIST', 17],
  ['EXDEV', 18],
  ['ENODEV', 19],
  ['ENOTDIR', 20],
  ['EISDIR', 21],
  ['EINVAL', 22],
  ['ENFILE', 23],
  ['EMFILE', 24],
  ['ENOTTY', 25],
  ['ETXTBSY', 26],
  ['EFBIG', 27],
  ['ENOSPC', 28],
  ['ESPIPE', 29],
  ['EROFS', 30],
  ['EMLINK', 31],
  ['EPIPE', 32],
  ['EDOM', 33],
  ['ERANGE', 34],
  ['EDEADLK', 35],
  ['ENAMETOOLONG', 36],
  ['ENOLCK', 37],
  ['ENOSYS', 38],
  ['ENOTEMPTY', 39],
  ['ELOOP', 40],
  ['ENOMSG', 42],
  ['EIDRM', 43],
  ['ENOSTR', 60],
  ['ENODATA', 61],
  ['ETIME', 62],
  ['ENOSR', 63],
  ['EREMOTE', 66],
  ['ENOLINK', 67],
  ['EPROTO', 71],
  ['EMULTIHOP', 72],
  ['EBADMSG', 74],
  ['EOVERFLOW', 75],
  ['EBADFD', 77],
  ['EILSEQ', 84],
  ['ERESTART', 85],
  ['EUSERS', 87],
  ['ENOTSOCK', 88],
  ['EDESTADDRREQ', 89],
  ['EMSGSIZE', 90],
  ['EPROTOTYPE', 91],
  ['ENOPROTOOPT', 92],
  ['EPROTONOSUPPORT', 93],
  ['ESOCKTNOSUPPORT', 94],
  ['EOPNOTSUPP', 95],
  ['EPFNOSUPPORT', 96],
  ['EAFNOSUPPORT', 97],
  ['EADDRINUSE', 98],
  ['EADDRNOTAVAIL', 99],
  ['ENETDOWN', 100],
  ['ENETUNREACH', 101],
  ['ENETRESET', 102],
  ['ECONNABORTED', 103],
  ['ECONNRESET', 104],
  ['ENOBUFS', 105],
  ['EISCONN', 106],
  ['ENOTCONN', 107],
  ['ESHUTDOWN', 108],
  ['ETOOMANYREFS', 109],
  ['ETIMEDOUT', 110],
  ['ECONNREFUSED', 111],
  ['EHOSTDOWN', 112],
  ['EHOSTUNREACH', 113],
  ['EALREADY', 114],
  ['EINPROGRESS', 115],
  ['ESTALE', 116],
  ['EDQUOT', 122],
  ['ECANCELED', 125],
  ['ENOKEY', 126],
  ['EKEYEXPIRED', 127],
  ['EKEYREVOKED', 128],
  ['EKEYREJECTED', 129],
  ['EOWNERDEAD', 130],
  ['ENOTRECOVERABLE', 131],
  ['ERFKILL', 132],
  ['EHWPOISON', 133],
];
const ERRNO_BY_VALUE = byValue(ERRNO_NAMES);

/** evt.arg.res: the number on success, the errno name on failure (Falco's rendering). */
export function renderRes(ret: number): string | number {
  return ret >= 0 ? ret : errnoName(ret);
}

/** The errno's name for a negative syscall result; the number itself when it is not an error. */
export function errnoName(ret: number): string {
  return ret < 0 ? (ERRNO_BY_VALUE.get(-ret) ?? String(ret)) : String(ret);
}

export const CLONE_FLAGS: Table = [
  ['CLONE_NEWTIME', 0x80],
  ['CLONE_VM', 0x100],
  ['CLONE_FS', 0x200],
  ['CLONE_FILES', 0x400],
  ['CLONE_SIGHAND', 0x800],
  ['CLONE_PIDFD', 0x1000],
  ['CLONE_PTRACE', 0x2000],
  ['CLONE_VFORK', 0x4000],
  ['CLONE_PARENT', 0x8000],
  ['CLONE_THREAD', 0x10000],
  ['CLONE_NEWNS', 0x20000],
  ['CLONE_SYSVSEM', 0x40000],
  ['CLONE_SETTLS', 0x80000],
  ['CLONE_PARENT_SETTID', 0x100000],
  ['CLONE_CHILD_CLEARTID', 0x200000],
  ['CLONE_DETACHED', 0x400000],
  ['CLONE_UNTRACED', 0x800000],
  ['CLONE_CHILD_SETTID', 0x1000000],
  ['CLONE_NEWCGROUP', 0x2000000],
  ['CLONE_NEWUTS', 0x4000000],
  ['CLONE_NEWIPC', 0x8000000],
  ['CLONE_NEWUSER', 0x10000000],
  ['CLONE_NEWPID', 0x20000000],
  ['CLONE_NEWNET', 0x40000000],
  ['CLONE_IO', 0x80000000],
  ['CLONE_CLEAR_SIGHAND', 0x100000000],
  ['CLONE_INTO_CGROUP', 0x200000000],
];

/** clone/unshare flags; the low byte of clone's flags is the exit signal, not a flag. */
export function renderCloneFlags(v: number): string {
  return renderFlags(CLONE_FLAGS, v - (v % 0x80));
}

/** setns's nstype (one namespace flag, or 0 = any). */
export const renderNsType = (v: number): string => (v === 0 ? '0' : renderFlags(CLONE_FLAGS, v));

export const PTRACE_REQUESTS: Table = [
  ['PTRACE_TRACEME', 0],
  ['PTRACE_PEEKTEXT', 1],
  ['PTRACE_PEEKDATA', 2],
  ['PTRACE_PEEKUSR', 3],
  ['PTRACE_POKETEXT', 4],
  ['PTRACE_POKEDATA', 5],
  ['PTRACE_POKEUSR', 6],
  ['PTRACE_CONT', 7],
  ['PTRACE_KILL', 8],
  ['PTRACE_SINGLESTEP', 9],
  ['PTRACE_GETREGS', 12],
  ['PTRACE_SETREGS', 13],
  ['PTRACE_GETFPREGS', 14],
  ['PTRACE_SETFPREGS', 15],
  ['PTRACE_ATTACH', 16],
  ['PTRACE_DETACH', 17],
  ['PTRACE_GETFPXREGS', 18],
  ['PTRACE_SETFPXREGS', 19],
  ['PTRACE_SYSCALL', 24],
  ['PTRACE_GET_THREAD_AREA', 25],
  ['PTRACE_SET_THREAD_AREA', 26],
  ['PTRACE_ARCH_PRCTL', 30],
  ['PTRACE_SYSEMU', 31],
  ['PTRACE_SYSEMU_SINGLESTEP', 32],
  ['PTRACE_SINGLEBLOCK', 33],
  ['PTRACE_SETOPTIONS', 0x4200],
  ['PTRACE_GETEVENTMSG', 0x4201],
  ['PTRACE_GETSIGINFO', 0x4202],
  ['PTRACE_SETSIGINFO', 0x4203],
  ['PTRACE_GETREGSET', 0x4204],
  ['PTRACE_SETREGSET', 0x4205],
  ['PTRACE_SEIZE', 0x4206],
  ['PTRACE_INTERRUPT', 0x4207],
  ['PTRACE_LISTEN', 0x4208],
  ['PTRACE_PEEKSIGINFO', 0x4209],
  ['PTRACE_GETSIGMASK', 0x420a],
  ['PTRACE_SETSIGMASK', 0x420b],
  ['PTRACE_SECCOMP_GET_FILTER', 0x420c],
  ['PTRACE_SECCOMP_GET_METADATA', 0x420d],
  ['PTRACE_GET_SYSCALL_INFO', 0x420e],
  ['PTRACE_GET_RSEQ_CONFIGURATION', 0x420f],
];
export const renderPtraceRequest = enumRenderer(PTRACE_REQUESTS);

export const SOCKET_FAMILIES: Table = [
  ['AF_UNSPEC', 0],
  ['AF_UNIX', 1],
  ['AF_INET', 2],
  ['AF_AX25', 3],
  ['AF_IPX', 4],
  ['AF_APPLETALK', 5],
  ['AF_NETROM', 6],
  ['AF_BRIDGE', 7],
  ['AF_ATMPVC', 8],
  ['AF_X25', 9],
  ['AF_INET6', 10],
  ['AF_ROSE', 11],
  ['AF_DECnet', 12],
  ['AF_NETBEUI', 13],
  ['AF_SECURITY', 14],
  ['AF_KEY', 15],
  ['AF_NETLINK', 16],
  ['AF_PACKET', 17],
  ['AF_ASH', 18],
  ['AF_ECONET', 19],
  ['AF_ATMSVC', 20],
  ['AF_RDS', 21],
  ['AF_SNA', 22],
  ['AF_IRDA', 23],
  ['AF_PPPOX', 24],
  ['AF_WANPIPE', 25],
  ['AF_LLC', 26],
  ['AF_IB', 27],
  ['AF_MPLS', 28],
  ['AF_CAN', 29],
  ['AF_TIPC', 30],
  ['AF_BLUETOOTH', 31],
  ['AF_IUCV', 32],
  ['AF_RXRPC', 33],
  ['AF_ISDN', 34],
  ['AF_PHONET', 35],
  ['AF_IEEE802154', 36],
  ['AF_CAIF', 37],
  ['AF_ALG', 38],
  ['AF_NFC', 39],
  ['AF_VSOCK', 40],
  ['AF_KCM', 41],
  ['AF_QIPCRTR', 42],
  ['AF_SMC', 43],
  ['AF_XDP', 44],
  ['AF_MCTP', 45],
];
export const renderSocketFamily = enumRenderer(SOCKET_FAMILIES);

export const SOCKET_TYPES: Table = [
  ['SOCK_STREAM', 1],
  ['SOCK_DGRAM', 2],
  ['SOCK_RAW', 3],
  ['SOCK_RDM', 4],
  ['SOCK_SEQPACKET', 5],
  ['SOCK_DCCP', 6],
  ['SOCK_PACKET', 10],
];
/** SOCK_NONBLOCK / SOCK_CLOEXEC, which socket(2)'s type and accept4's flags carry. */
export const SOCKET_FLAGS: Table = [
  ['SOCK_NONBLOCK', 0o4000],
  ['SOCK_CLOEXEC', 0o2000000],
];
const renderSockTypeBase = enumRenderer(SOCKET_TYPES);
export function renderSocketType(v: number): string {
  const flags = renderFlags(SOCKET_FLAGS, v & ~0xf);
  const base = renderSockTypeBase(v & 0xf);
  return flags === '' ? base : `${base}|${flags}`;
}

export const PRCTL_OPTIONS: Table = [
  ['PR_SET_PDEATHSIG', 1],
  ['PR_GET_PDEATHSIG', 2],
  ['PR_GET_DUMPABLE', 3],
  ['PR_SET_DUMPABLE', 4],
  ['PR_GET_UNALIGN', 5],
  ['PR_SET_UNALIGN', 6],
  ['PR_GET_KEEPCAPS', 7],
  ['PR_SET_KEEPCAPS', 8],
  ['PR_GET_FPEMU', 9],
  ['PR_SET_FPEMU', 10],
  ['PR_GET_FPEXC', 11],
  ['PR_SET_FPEXC', 12],
  ['PR_GET_TIMING', 13],
  ['PR_SET_TIMING', 14],
  ['PR_SET_NAME', 15],
  ['PR_GET_NAME', 16],
  ['PR_GET_ENDIAN', 19],
  ['PR_SET_ENDIAN', 20],
  ['PR_GET_SECCOMP', 21],
  ['PR_SET_SECCOMP', 22],
  ['PR_CAPBSET_READ', 23],
  ['PR_CAPBSET_DROP', 24],
  ['PR_GET_TSC', 25],
  ['PR_SET_TSC', 26],
  ['PR_GET_SECUREBITS', 27],
  ['PR_SET_SECUREBITS', 28],
  ['PR_SET_TIMERSLACK', 29],
  ['PR_GET_TIMERSLACK', 30],
  ['PR_TASK_PERF_EVENTS_DISABLE', 31],
  ['PR_TASK_PERF_EVENTS_ENABLE', 32],
  ['PR_MCE_KILL', 33],
  ['PR_MCE_KILL_GET', 34],
  ['PR_SET_MM', 35],
  ['PR_SET_CHILD_SUBREAPER', 36],
  ['PR_GET_CHILD_SUBREAPER', 37],
  ['PR_SET_NO_NEW_PRIVS', 38],
  ['PR_GET_NO_NEW_PRIVS', 39],
  ['PR_GET_TID_ADDRESS', 40],
  ['PR_SET_THP_DISABLE', 41],
  ['PR_GET_THP_DISABLE', 42],
  ['PR_MPX_ENABLE_MANAGEMENT', 43],
  ['PR_MPX_DISABLE_MANAGEMENT', 44],
  ['PR_SET_FP_MODE', 45],
  ['PR_GET_FP_MODE', 46],
  ['PR_CAP_AMBIENT', 47],
  ['PR_SVE_SET_VL', 50],
  ['PR_SVE_GET_VL', 51],
  ['PR_GET_SPECULATION_CTRL', 52],
  ['PR_SET_SPECULATION_CTRL', 53],
  ['PR_PAC_RESET_KEYS', 54],
  ['PR_SET_TAGGED_ADDR_CTRL', 55],
  ['PR_GET_TAGGED_ADDR_CTRL', 56],
  ['PR_SET_IO_FLUSHER', 57],
  ['PR_GET_IO_FLUSHER', 58],
  ['PR_SET_SYSCALL_USER_DISPATCH', 59],
  ['PR_SCHED_CORE', 62],
  ['PR_SET_MDWE', 65],
  ['PR_GET_MDWE', 66],
  ['PR_SET_PTRACER', 0x59616d61],
  ['PR_SET_VMA', 0x53564d41],
];
export const renderPrctlOption = enumRenderer(PRCTL_OPTIONS);

export const BPF_COMMANDS: Table = [
  ['BPF_MAP_CREATE', 0],
  ['BPF_MAP_LOOKUP_ELEM', 1],
  ['BPF_MAP_UPDATE_ELEM', 2],
  ['BPF_MAP_DELETE_ELEM', 3],
  ['BPF_MAP_GET_NEXT_KEY', 4],
  ['BPF_PROG_LOAD', 5],
  ['BPF_OBJ_PIN', 6],
  ['BPF_OBJ_GET', 7],
  ['BPF_PROG_ATTACH', 8],
  ['BPF_PROG_DETACH', 9],
  ['BPF_PROG_TEST_RUN', 10],
  ['BPF_PROG_GET_NEXT_ID', 11],
  ['BPF_MAP_GET_NEXT_ID', 12],
  ['BPF_PROG_GET_FD_BY_ID', 13],
  ['BPF_MAP_GET_FD_BY_ID', 14],
  ['BPF_OBJ_GET_INFO_BY_FD', 15],
  ['BPF_PROG_QUERY', 16],
  ['BPF_RAW_TRACEPOINT_OPEN', 17],
  ['BPF_BTF_LOAD', 18],
  ['BPF_BTF_GET_FD_BY_ID', 19],
  ['BPF_TASK_FD_QUERY', 20],
  ['BPF_MAP_LOOKUP_AND_DELETE_ELEM', 21],
  ['BPF_MAP_FREEZE', 22],
  ['BPF_BTF_GET_NEXT_ID', 23],
  ['BPF_MAP_LOOKUP_BATCH', 24],
  ['BPF_MAP_LOOKUP_AND_DELETE_BATCH', 25],
  ['BPF_MAP_UPDATE_BATCH', 26],
  ['BPF_MAP_DELETE_BATCH', 27],
  ['BPF_LINK_CREATE', 28],
  ['BPF_LINK_UPDATE', 29],
  ['BPF_LINK_GET_FD_BY_ID', 30],
  ['BPF_LINK_GET_NEXT_ID', 31],
  ['BPF_ENABLE_STATS', 32],
  ['BPF_ITER_CREATE', 33],
  ['BPF_LINK_DETACH', 34],
  ['BPF_PROG_BIND_MAP', 35],
  ['BPF_TOKEN_CREATE', 36],
];
export const renderBpfCommand = enumRenderer(BPF_COMMANDS);

export const BPF_PROG_TYPES: Table = [
  ['BPF_PROG_TYPE_UNSPEC', 0],
  ['BPF_PROG_TYPE_SOCKET_FILTER', 1],
  ['BPF_PROG_TYPE_KPROBE', 2],
  ['BPF_PROG_TYPE_SCHED_CLS', 3],
  ['BPF_PROG_TYPE_SCHED_ACT', 4],
  ['BPF_PROG_TYPE_TRACEPOINT', 5],
  ['BPF_PROG_TYPE_XDP', 6],
  ['BPF_PROG_TYPE_PERF_EVENT', 7],
  ['BPF_PROG_TYPE_CGROUP_SKB', 8],
  ['BPF_PROG_TYPE_CGROUP_SOCK', 9],
  ['BPF_PROG_TYPE_LWT_IN', 10],
  ['BPF_PROG_TYPE_LWT_OUT', 11],
  ['BPF_PROG_TYPE_LWT_XMIT', 12],
  ['BPF_PROG_TYPE_SOCK_OPS', 13],
  ['BPF_PROG_TYPE_SK_SKB', 14],
  ['BPF_PROG_TYPE_CGROUP_DEVICE', 15],
  ['BPF_PROG_TYPE_SK_MSG', 16],
  ['BPF_PROG_TYPE_RAW_TRACEPOINT', 17],
  ['BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 18],
  ['BPF_PROG_TYPE_LWT_SEG6LOCAL', 19],
  ['BPF_PROG_TYPE_LIRC_MODE2', 20],
  ['BPF_PROG_TYPE_SK_REUSEPORT', 21],
  ['BPF_PROG_TYPE_FLOW_DISSECTOR', 22],
  ['BPF_PROG_TYPE_CGROUP_SYSCTL', 23],
  ['BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE', 24],
  ['BPF_PROG_TYPE_CGROUP_SOCKOPT', 25],
  ['BPF_PROG_TYPE_TRACING', 26],
  ['BPF_PROG_TYPE_STRUCT_OPS', 27],
  ['BPF_PROG_TYPE_EXT', 28],
  ['BPF_PROG_TYPE_LSM', 29],
  ['BPF_PROG_TYPE_SK_LOOKUP', 30],
  ['BPF_PROG_TYPE_SYSCALL', 31],
  ['BPF_PROG_TYPE_NETFILTER', 32],
];
export const renderBpfProgType = enumRenderer(BPF_PROG_TYPES);

export const MEMFD_FLAGS: Table = [
  ['MFD_CLOEXEC', 1],
  ['MFD_ALLOW_SEALING', 2],
  ['MFD_HUGETLB', 4],
  ['MFD_NOEXEC_SEAL', 8],
  ['MFD_EXEC', 0x10],
];

export const MODULE_INIT_FLAGS: Table = [
  ['MODULE_INIT_IGNORE_MODVERSIONS', 1],
  ['MODULE_INIT_IGNORE_VERMAGIC', 2],
  ['MODULE_INIT_COMPRESSED_FILE', 4],
];

export const MOUNT_FLAGS: Table = [
  ['MS_RDONLY', 1],
  ['MS_NOSUID', 2],
  ['MS_NODEV', 4],
  ['MS_NOEXEC', 8],
  ['MS_SYNCHRONOUS', 16],
  ['MS_REMOUNT', 32],
  ['MS_MANDLOCK', 64],
  ['MS_DIRSYNC', 128],
  ['MS_NOSYMFOLLOW', 256],
  ['MS_NOATIME', 1024],
  ['MS_NODIRATIME', 2048],
  ['MS_BIND', 4096],
  ['MS_MOVE', 8192],
  ['MS_REC', 16384],
  ['MS_SILENT', 32768],
  ['MS_POSIXACL', 1 << 16],
  ['MS_UNBINDABLE', 1 << 17],
  ['MS_PRIVATE', 1 << 18],
  ['MS_SLAVE', 1 << 19],
  ['MS_SHARED', 1 << 20],
  ['MS_RELATIME', 1 << 21],
  ['MS_KERNMOUNT', 1 << 22],
  ['MS_I_VERSION', 1 << 23],
  ['MS_STRICTATIME', 1 << 24],
  ['MS_LAZYTIME', 1 << 25],
];

export const UMOUNT_FLAGS: Table = [
  ['MNT_FORCE', 1],
  ['MNT_DETACH', 2],
  ['MNT_EXPIRE', 4],
  ['UMOUNT_NOFOLLOW', 8],
];

/** The AT_* flags of unlinkat, linkat, fchmodat, fchownat. */
export const XATTR_FLAGS: Table = [
  ['XATTR_CREATE', 1],
  ['XATTR_REPLACE', 2],
];

const UTIME_NOW = 2 ** 30 - 1;
const UTIME_OMIT = 2 ** 30 - 2;

/** One time utimensat/utimes set: ISO 8601 UTC, or "now" / "omit" (UTIME_NOW, UTIME_OMIT). */
export function renderTimespec(sec: number, nsec: number): string {
  if (nsec === UTIME_NOW) return 'now';
  if (nsec === UTIME_OMIT) return 'omit';
  const ms = sec * 1000 + Math.floor(nsec / 1e6);
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(sec);
}

const NODE_TYPES: Table = [
  ['S_IFIFO', 0o010000],
  ['S_IFCHR', 0o020000],
  ['S_IFDIR', 0o040000],
  ['S_IFBLK', 0o060000],
  ['S_IFREG', 0o100000],
  ['S_IFSOCK', 0o140000],
];

/** mknod's mode: the file type's name and the permissions ("S_IFCHR|0666"). */
export function renderNodeMode(mode: number): string {
  const type = NODE_TYPES.find(([, v]) => (mode & 0o170000) === v)?.[0] ?? 'S_IFREG';
  return `${type}|${renderMode(mode)}`;
}

export const AT_FLAGS: Table = [
  ['AT_SYMLINK_NOFOLLOW', 0x100],
  ['AT_REMOVEDIR', 0x200],
  ['AT_SYMLINK_FOLLOW', 0x400],
  ['AT_EMPTY_PATH', 0x1000],
];

export const RENAME_FLAGS: Table = [
  ['RENAME_NOREPLACE', 1],
  ['RENAME_EXCHANGE', 2],
  ['RENAME_WHITEOUT', 4],
];

export const DUP3_FLAGS: Table = [['O_CLOEXEC', 0o2000000]];

export const USERFAULTFD_FLAGS: Table = [
  ['UFFD_USER_MODE_ONLY', 1],
  ['O_NONBLOCK', 0o4000],
  ['O_CLOEXEC', 0o2000000],
];

/** io_uring_setup's io_uring_params.flags (IORING_SETUP_*). */
export const IORING_SETUP_FLAGS: Table = [
  ['IORING_SETUP_IOPOLL', 1 << 0],
  ['IORING_SETUP_SQPOLL', 1 << 1],
  ['IORING_SETUP_SQ_AFF', 1 << 2],
  ['IORING_SETUP_CQSIZE', 1 << 3],
  ['IORING_SETUP_CLAMP', 1 << 4],
  ['IORING_SETUP_ATTACH_WQ', 1 << 5],
  ['IORING_SETUP_R_DISABLED', 1 << 6],
  ['IORING_SETUP_SUBMIT_ALL', 1 << 7],
  ['IORING_SETUP_COOP_TASKRUN', 1 << 8],
  ['IORING_SETUP_TASKRUN_FLAG', 1 << 9],
  ['IORING_SETUP_SQE128', 1 << 10],
  ['IORING_SETUP_CQE32', 1 << 11],
  ['IORING_SETUP_SINGLE_ISSUER', 1 << 12],
  ['IORING_SETUP_DEFER_TASKRUN', 1 << 13],
  ['IORING_SETUP_NO_MMAP', 1 << 14],
  ['IORING_SETUP_REGISTERED_FD_ONLY', 1 << 15],
  ['IORING_SETUP_NO_SQARRAY', 1 << 16],
];

export const SENDTO_FLAGS: Table = [
  ['MSG_OOB', 1],
  ['MSG_PEEK', 2],
  ['MSG_DONTROUTE', 4],
  ['MSG_DONTWAIT', 0x40],
  ['MSG_EOR', 0x80],
  ['MSG_CONFIRM', 0x800],
  ['MSG_NOSIGNAL', 0x4000],
  ['MSG_MORE', 0x8000],
  ['MSG_FASTOPEN', 0x20000000],
];

/** IP protocol numbers -> Falco's fd.l4proto. */
export function l4proto(protocol: number, sockType: number): 'tcp' | 'udp' | 'raw' | 'icmp' | '' {
  if (protocol === 6) return 'tcp';
  if (protocol === 17) return 'udp';
  if (protocol === 1 || protocol === 58) return 'icmp';
  if (protocol === 0) {
    const base = sockType & 0xf;
    if (base === 1) return 'tcp';
    if (base === 2) return 'udp';
    if (base === 3) return 'raw';
  }
  return sockType === 3 ? 'raw' : '';
}
