/**
 * The wire format of bpf/include/events.h, mirrored for user space: every
 * struct's size and field offsets, and the enums (enum vg_event_type is the
 * event table, src/event/table.ts). test/kernel/layout.test.ts
 * compares all of it against the BTF clang produces from events.h, so a change
 * there that is not made here fails the tests instead of silently misdecoding.
 */
import { EVENT_ROWS, type EventRow, type EventType } from '../event/table.js';
import type { FdType } from '../event/types.js';

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
      _pad2: 60,
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
      _pad: 76,
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
  vg_config: { size: 16, fields: { agent_tgid: 0, quiet: 4, clone_wake: 8 } },
} as const satisfies Record<string, StructLayout>;

/** Array lengths of the structs' fixed arrays (checked against BTF too). */
export const ARRAY_LENGTHS = {
  'vg_hdr.comm': 16,
  'vg_exec.str_len': 5,
  'vg_exec._pad2': 3,
  'vg_proc_op.arg': 4,
  'vg_proc_op.str_len': 2,
  'vg_cred.id': 3,
  'vg_file.str_len': 6,
  'vg_file._pad2': 2,
  'vg_sockaddr.addr': 16,
  'vg_net.str_len': 2,
  'vg_net._pad': 2,
  'vg_dup.str_len': 1,
  'vg_signal.target_comm': 16,
} as const;

/** enum vg_event_type's bounds (not event types themselves; the types are src/event/table.ts). */
export const VG_EVT_NONE = 0;
export const VG_EVT_MAX = 160;

/** Wire value -> the event type's row, indexed by value for the decoder's hot path. */
export const WIRE_BY_VALUE: readonly (EventRow | undefined)[] = (() => {
  const a: (EventRow | undefined)[] = new Array(VG_EVT_MAX).fill(undefined);
  for (const r of EVENT_ROWS) a[r.value] = r;
  return a;
})();

/** evt.type -> wire value. */
export const WIRE_VALUE_BY_TYPE: ReadonlyMap<EventType, number> = new Map(
  EVENT_ROWS.map((r) => [r.type, r.value]),
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
/** Submitted through io_uring: reported at its completion (an open's record: the real path only). */
export const HDR_F_IO_URING = 1 << 6;
/** A probe sent SIGKILL (enforcement); vg_hdr.deny_rule names the policy rule that matched. */
export const HDR_F_KILLED = 1 << 7;

/** Limits (#defines). */
export const VG_COMM_LEN = 16;
export const VG_PATH_MAX = 4096;

/** String indexes of the families that carry several strings. */
export const EXEC_STR = { exe: 0, argv: 1, env: 2, cwd: 3, cgroup: 4 } as const;
export const FILE_STR = { path: 0, dirpath: 1, path2: 2, dirpath2: 3, extra: 4, real: 5 } as const;
