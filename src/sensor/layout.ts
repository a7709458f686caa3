/**
 * The wire format of bpf/include/events.h, mirrored for user space: every
 * struct's size and field offsets, and the enums. test/sensor/layout.test.ts
 * compares all of it against the BTF clang produces from events.h, so a change
 * there that is not made here fails the tests instead of silently misdecoding.
 */
import type { EventType, FdType } from '../event/types.js';

export interface StructLayout {
  readonly size: number;
  /** Byte offset of each field; arrays and nested structs give their first byte. */
  readonly fields: Readonly<Record<string, number>>;
}

export const LAYOUT = {
  vg_hdr: {
    size: 96,
    fields: {
      ts_ns: 0,
      cgroup_id: 8,
      retval: 16,
      size: 24,
      type: 28,
      flags: 30,
      pid: 32,
      tid: 36,
      ppid: 40,
      uid: 44,
      gid: 48,
      euid: 52,
      egid: 56,
      loginuid: 60,
      mnt_ns: 64,
      pid_ns: 68,
      truncated: 72,
      deny_rule: 76,
      comm: 80,
    },
  },
  vg_exec: {
    size: 112,
    fields: {
      start_ns: 0,
      cap_effective: 8,
      cap_permitted: 16,
      cap_inheritable: 24,
      exe_ino: 32,
      exe_ctime_ns: 40,
      exe_mtime_ns: 48,
      exe_dev: 56,
      exe_mode: 60,
      exe_uid: 64,
      argc: 68,
      tty: 72,
      sid: 76,
      pgid: 80,
      vpid: 84,
      vppid: 88,
      _pad: 92,
      str_len: 96,
      _pad2: 106,
    },
  },
  vg_fork: { size: 24, fields: { child_start_ns: 0, child_pid: 8, child_vpid: 12, clone_flags: 16 } },
  vg_exit: { size: 16, fields: { start_ns: 0, exit_code: 8, _pad: 12 } },
  vg_proc_op: { size: 40, fields: { arg: 0, str_len: 32, _pad: 36 } },
  vg_cred: {
    size: 40,
    fields: { id: 0, _pad: 12, cap_effective: 16, cap_permitted: 24, cap_inheritable: 32 },
  },
  vg_file: {
    size: 64,
    fields: {
      length: 0,
      ino: 8,
      fd: 16,
      dirfd: 20,
      flags: 24,
      mode: 28,
      uid: 32,
      gid: 36,
      dev: 40,
      _pad: 44,
      str_len: 48,
      _pad2: 58,
    },
  },
  vg_sockaddr: { size: 24, fields: { addr: 0, family: 16, port: 18, _pad: 20 } },
  vg_net: {
    size: 80,
    fields: {
      local: 0,
      remote: 24,
      fd: 48,
      domain: 52,
      type: 56,
      protocol: 60,
      backlog: 64,
      flags: 68,
      str_len: 72,
      _pad: 74,
    },
  },
  vg_dup: {
    size: 72,
    fields: {
      local: 0,
      remote: 24,
      oldfd: 48,
      newfd: 52,
      flags: 56,
      kind: 60,
      sock_type: 62,
      protocol: 64,
      str_len: 66,
      _pad: 68,
    },
  },
  vg_signal: {
    size: 48,
    fields: {
      pid: 0,
      tid: 4,
      sig: 8,
      flags: 12,
      target_tgid: 16,
      target_tid: 20,
      targets: 24,
      result: 28,
      hit_agent: 30,
      target_comm: 32,
    },
  },
  vg_stats: { size: 32, fields: { events: 0, dropped: 8, truncated: 16, scratch_fail: 24 } },
  vg_config: { size: 8, fields: { agent_tgid: 0, _pad: 4 } },
} as const satisfies Record<string, StructLayout>;

/** Array lengths of the structs' fixed arrays (checked against BTF too). */
export const ARRAY_LENGTHS = {
  'vg_hdr.comm': 16,
  'vg_exec.str_len': 5,
  'vg_exec._pad2': 3,
  'vg_proc_op.arg': 4,
  'vg_proc_op.str_len': 2,
  'vg_cred.id': 3,
  'vg_file.str_len': 5,
  'vg_file._pad2': 3,
  'vg_sockaddr.addr': 16,
  'vg_net.str_len': 1,
  'vg_net._pad': 3,
  'vg_dup.str_len': 1,
  'vg_signal.target_comm': 16,
} as const;

/** Payload struct of each family: the payload starts right after the header. */
export type Family = 'exec' | 'fork' | 'exit' | 'proc_op' | 'cred' | 'file' | 'net' | 'dup' | 'signal';

export interface WireEventType {
  /** The C enumerator, e.g. VG_EVT_OPENAT. */
  readonly cname: string;
  readonly value: number;
  readonly type: EventType;
  readonly family: Family;
}

/** enum vg_event_type, with the evt.type name and family of each value. */
export const WIRE_EVENT_TYPES: readonly WireEventType[] = [
  { cname: 'VG_EVT_EXECVE', value: 1, type: 'execve', family: 'exec' },
  { cname: 'VG_EVT_CLONE', value: 2, type: 'clone', family: 'fork' },
  { cname: 'VG_EVT_EXIT', value: 3, type: 'procexit', family: 'exit' },
  { cname: 'VG_EVT_CHDIR', value: 4, type: 'chdir', family: 'proc_op' },
  { cname: 'VG_EVT_SETNS', value: 5, type: 'setns', family: 'proc_op' },
  { cname: 'VG_EVT_UNSHARE', value: 6, type: 'unshare', family: 'proc_op' },
  { cname: 'VG_EVT_PTRACE', value: 7, type: 'ptrace', family: 'proc_op' },
  { cname: 'VG_EVT_MEMFD_CREATE', value: 8, type: 'memfd_create', family: 'proc_op' },
  { cname: 'VG_EVT_INIT_MODULE', value: 9, type: 'init_module', family: 'proc_op' },
  { cname: 'VG_EVT_FINIT_MODULE', value: 10, type: 'finit_module', family: 'proc_op' },
  { cname: 'VG_EVT_BPF', value: 11, type: 'bpf', family: 'proc_op' },
  { cname: 'VG_EVT_USERFAULTFD', value: 12, type: 'userfaultfd', family: 'proc_op' },
  { cname: 'VG_EVT_PRCTL', value: 13, type: 'prctl', family: 'proc_op' },
  { cname: 'VG_EVT_SETUID', value: 20, type: 'setuid', family: 'cred' },
  { cname: 'VG_EVT_SETGID', value: 21, type: 'setgid', family: 'cred' },
  { cname: 'VG_EVT_SETREUID', value: 22, type: 'setreuid', family: 'cred' },
  { cname: 'VG_EVT_SETREGID', value: 23, type: 'setregid', family: 'cred' },
  { cname: 'VG_EVT_SETRESUID', value: 24, type: 'setresuid', family: 'cred' },
  { cname: 'VG_EVT_SETRESGID', value: 25, type: 'setresgid', family: 'cred' },
  { cname: 'VG_EVT_CAPSET', value: 26, type: 'capset', family: 'cred' },
  { cname: 'VG_EVT_OPEN', value: 40, type: 'open', family: 'file' },
  { cname: 'VG_EVT_OPENAT', value: 41, type: 'openat', family: 'file' },
  { cname: 'VG_EVT_OPENAT2', value: 42, type: 'openat2', family: 'file' },
  { cname: 'VG_EVT_CREAT', value: 43, type: 'creat', family: 'file' },
  { cname: 'VG_EVT_UNLINK', value: 44, type: 'unlink', family: 'file' },
  { cname: 'VG_EVT_UNLINKAT', value: 45, type: 'unlinkat', family: 'file' },
  { cname: 'VG_EVT_RENAME', value: 46, type: 'rename', family: 'file' },
  { cname: 'VG_EVT_RENAMEAT', value: 47, type: 'renameat', family: 'file' },
  { cname: 'VG_EVT_RENAMEAT2', value: 48, type: 'renameat2', family: 'file' },
  { cname: 'VG_EVT_MKDIR', value: 49, type: 'mkdir', family: 'file' },
  { cname: 'VG_EVT_MKDIRAT', value: 50, type: 'mkdirat', family: 'file' },
  { cname: 'VG_EVT_RMDIR', value: 51, type: 'rmdir', family: 'file' },
  { cname: 'VG_EVT_LINK', value: 52, type: 'link', family: 'file' },
  { cname: 'VG_EVT_LINKAT', value: 53, type: 'linkat', family: 'file' },
  { cname: 'VG_EVT_SYMLINK', value: 54, type: 'symlink', family: 'file' },
  { cname: 'VG_EVT_SYMLINKAT', value: 55, type: 'symlinkat', family: 'file' },
  { cname: 'VG_EVT_CHMOD', value: 56, type: 'chmod', family: 'file' },
  { cname: 'VG_EVT_FCHMOD', value: 57, type: 'fchmod', family: 'file' },
  { cname: 'VG_EVT_FCHMODAT', value: 58, type: 'fchmodat', family: 'file' },
  { cname: 'VG_EVT_CHOWN', value: 59, type: 'chown', family: 'file' },
  { cname: 'VG_EVT_LCHOWN', value: 60, type: 'lchown', family: 'file' },
  { cname: 'VG_EVT_FCHOWN', value: 61, type: 'fchown', family: 'file' },
  { cname: 'VG_EVT_FCHOWNAT', value: 62, type: 'fchownat', family: 'file' },
  { cname: 'VG_EVT_TRUNCATE', value: 63, type: 'truncate', family: 'file' },
  { cname: 'VG_EVT_FTRUNCATE', value: 64, type: 'ftruncate', family: 'file' },
  { cname: 'VG_EVT_MOUNT', value: 65, type: 'mount', family: 'file' },
  { cname: 'VG_EVT_UMOUNT2', value: 66, type: 'umount2', family: 'file' },
  { cname: 'VG_EVT_SOCKET', value: 80, type: 'socket', family: 'net' },
  { cname: 'VG_EVT_CONNECT', value: 81, type: 'connect', family: 'net' },
  { cname: 'VG_EVT_ACCEPT', value: 82, type: 'accept', family: 'net' },
  { cname: 'VG_EVT_ACCEPT4', value: 83, type: 'accept4', family: 'net' },
  { cname: 'VG_EVT_BIND', value: 84, type: 'bind', family: 'net' },
  { cname: 'VG_EVT_LISTEN', value: 85, type: 'listen', family: 'net' },
  { cname: 'VG_EVT_SENDTO', value: 86, type: 'sendto', family: 'net' },
  { cname: 'VG_EVT_DUP2', value: 100, type: 'dup2', family: 'dup' },
  { cname: 'VG_EVT_DUP3', value: 101, type: 'dup3', family: 'dup' },
  { cname: 'VG_EVT_DUP', value: 102, type: 'dup', family: 'dup' },
  { cname: 'VG_EVT_KILL', value: 110, type: 'kill', family: 'signal' },
  { cname: 'VG_EVT_TKILL', value: 111, type: 'tkill', family: 'signal' },
  { cname: 'VG_EVT_TGKILL', value: 112, type: 'tgkill', family: 'signal' },
  { cname: 'VG_EVT_PIDFD_SEND_SIGNAL', value: 113, type: 'pidfd_send_signal', family: 'signal' },
];

/** enum vg_event_type's bounds (not event types themselves). */
export const VG_EVT_NONE = 0;
export const VG_EVT_MAX = 128;

/** Wire value -> entry, indexed by value for the decoder's hot path. */
export const WIRE_BY_VALUE: readonly (WireEventType | undefined)[] = (() => {
  const a: (WireEventType | undefined)[] = new Array(VG_EVT_MAX).fill(undefined);
  for (const w of WIRE_EVENT_TYPES) a[w.value] = w;
  return a;
})();

/** evt.type -> wire value (for the Sensor's choice of programs to attach). */
export const WIRE_VALUE_BY_TYPE: ReadonlyMap<EventType, number> = new Map(
  WIRE_EVENT_TYPES.map((w) => [w.type, w.value]),
);

/** enum vg_fd_kind, as Falco's fd.type names, indexed by value. */
export const FD_KINDS: readonly { cname: string; type: FdType }[] = [
  { cname: 'VG_FD_UNKNOWN', type: 'unknown' },
  { cname: 'VG_FD_FILE', type: 'file' },
  { cname: 'VG_FD_DIR', type: 'directory' },
  { cname: 'VG_FD_IPV4', type: 'ipv4' },
  { cname: 'VG_FD_IPV6', type: 'ipv6' },
  { cname: 'VG_FD_UNIX', type: 'unix' },
  { cname: 'VG_FD_PIPE', type: 'pipe' },
  { cname: 'VG_FD_CHR', type: 'char' },
  { cname: 'VG_FD_BLK', type: 'block' },
  { cname: 'VG_FD_SOCK_OTHER', type: 'socket' },
  { cname: 'VG_FD_ANON', type: 'anon' },
];

/** Header flags (#defines: not in BTF; keep in step with events.h by hand). */
export const HDR_F_EXE_FROM_MEMFD = 1 << 0;
export const HDR_F_EXE_UPPER_LAYER = 1 << 1;
export const HDR_F_EXE_WRITABLE = 1 << 2;
export const HDR_F_EXE_DELETED = 1 << 3;
export const HDR_F_RELATIVE = 1 << 4;
/** A BPF LSM program refused the operation; vg_hdr.deny_rule names the rule (0: self-protection). */
export const HDR_F_DENIED = 1 << 5;

/** Limits (#defines). */
export const VG_COMM_LEN = 16;
export const VG_PATH_MAX = 4096;

/** String indexes of the families that carry several strings. */
export const EXEC_STR = { exe: 0, argv: 1, env: 2, cwd: 3, cgroup: 4 } as const;
export const FILE_STR = { path: 0, dirpath: 1, path2: 2, dirpath2: 3, extra: 4 } as const;
