/**
 * The event types, one row each: everything user space knows about one `evt.type` is here, and
 * every per-type list (the event types, the wire values, the programs to load, the arguments, the
 * enforcement hooks) is derived from this table. test/kernel/layout.test.ts checks it against
 * enum vg_event_type in bpf/include/events.h, layout.live.test.ts against the built object.
 *
 * Adding a syscall: a row here (and its enumerator in events.h), its BPF programs
 * (enter_<type>/exit_<type> in bpf/tracepoints/<family>.bpf.c) and its case in the family's
 * decoder (src/sensor/decode/<family>.ts).
 */

/** Payload struct of each family (struct vg_<family> in events.h): the payload follows the header. */
export type Family = 'exec' | 'fork' | 'exit' | 'proc_op' | 'cred' | 'file' | 'net' | 'dup' | 'signal';

/** The cgroup hook that denies a network event type (bpf/cgroup/sock_addr.bpf.c). */
export type NetDenyHook = 'connect' | 'sendmsg' | 'bind';

/** The BPF LSM hook that denies a path on an event type (bpf/lsm/deny.bpf.c). */
export type LsmHook = 'bprm_check_security' | 'file_open' | 'path_unlink' | 'path_rename';

interface Row {
  /** evt.type (Falco's syscall name). */
  readonly type: string;
  /** Its enum vg_event_type value: part of the wire format (append, never reorder). */
  readonly value: number;
  /** Its enumerator, when not VG_EVT_<TYPE>. */
  readonly cname?: string;
  readonly family: Family;
  /** The BPF programs that report it, when not enter_<type> (where the object has one) and exit_<type>. */
  readonly programs?: readonly string[];
  /** Programs that stand in where the kernel has no tracepoint for the main ones (CONFIG_MODULES=n). */
  readonly fallback?: readonly string[];
  /** Programs loaded with the main ones where the kernel has their hook (io_uring's opens). */
  readonly extra?: readonly string[];
  /** Reported whatever the rules ask for: it keeps the process table (chdir: proc.cwd). */
  readonly always?: boolean;
  /** An open: the kernel's open prefilter judges it, and evt.is_open_* apply. */
  readonly open?: boolean;
  /** evt.arg.* names, in the order the decoder fills them (a few only for some calls). */
  readonly args: readonly string[];
  /** Its record passes vg_enforce_rec: a kill policy on it is checked in the probe. */
  readonly recordKill?: boolean;
  /** The cgroup hook that denies it. */
  readonly netDeny?: NetDenyHook;
  /** The LSM hook that denies it on a path. */
  readonly lsmHook?: LsmHook;
  /** An I/O call whose data's first bytes the kernel copies when a rule reads evt.buffer. */
  readonly buffer?: boolean;
}

/** In the order of `EVENT_TYPES` (by family; within one, as Falco lists the calls). */
export const EVENT_TABLE = [
  // process: struct vg_exec, vg_fork, vg_exit, vg_proc_op
  {
    type: 'execve',
    value: 1,
    family: 'exec',
    programs: ['sched_exec'],
    always: true,
    args: ['exe', 'args', 'filename', 'cwd', 'res'],
    recordKill: true,
    lsmHook: 'bprm_check_security',
  },
  {
    type: 'clone',
    value: 2,
    family: 'fork',
    programs: ['sched_fork'],
    always: true,
    args: ['child_pid', 'flags'],
  },
  {
    type: 'procexit',
    value: 3,
    cname: 'VG_EVT_EXIT',
    family: 'exit',
    programs: ['sched_exit'],
    always: true,
    args: ['status', 'ret', 'sig', 'core'],
  },
  {
    type: 'chdir',
    value: 4,
    family: 'proc_op',
    programs: ['enter_chdir', 'exit_chdir', 'enter_fchdir', 'exit_fchdir'],
    always: true,
    args: ['path', 'res'],
  },
  { type: 'setns', value: 5, family: 'proc_op', args: ['fd', 'nstype', 'res'] },
  { type: 'unshare', value: 6, family: 'proc_op', args: ['flags', 'res'] },
  { type: 'ptrace', value: 7, family: 'proc_op', args: ['request', 'pid', 'addr', 'data', 'res'] },
  { type: 'memfd_create', value: 8, family: 'proc_op', args: ['name', 'flags', 'res'] },
  {
    type: 'init_module',
    value: 9,
    family: 'proc_op',
    fallback: ['sys_exit_module'],
    args: ['length', 'uargs', 'res'],
  },
  {
    type: 'finit_module',
    value: 10,
    family: 'proc_op',
    fallback: ['sys_exit_module'],
    args: ['fd', 'flags', 'uargs', 'res'],
  },
  {
    type: 'bpf',
    value: 11,
    family: 'proc_op',
    args: ['cmd', 'prog_type', 'target_kind', 'target_id', 'res'],
  },
  { type: 'userfaultfd', value: 12, family: 'proc_op', args: ['flags', 'res'] },
  { type: 'prctl', value: 13, family: 'proc_op', args: ['option', 'arg2_int', 'arg2_str', 'res'] },
  { type: 'io_uring_setup', value: 14, family: 'proc_op', args: ['entries', 'flags', 'res'] },
  {
    type: 'process_vm_readv',
    value: 137,
    family: 'proc_op',
    args: ['pid', 'liovcnt', 'riovcnt', 'flags', 'res'],
  },
  {
    type: 'process_vm_writev',
    value: 138,
    family: 'proc_op',
    args: ['pid', 'liovcnt', 'riovcnt', 'flags', 'res'],
  },
  // credentials: struct vg_cred (the ids in the order the call takes them)
  { type: 'setuid', value: 20, family: 'cred', args: ['uid', 'res'] },
  { type: 'setgid', value: 21, family: 'cred', args: ['gid', 'res'] },
  { type: 'setreuid', value: 22, family: 'cred', args: ['ruid', 'euid', 'res'] },
  { type: 'setregid', value: 23, family: 'cred', args: ['rgid', 'egid', 'res'] },
  { type: 'setresuid', value: 24, family: 'cred', args: ['ruid', 'euid', 'suid', 'res'] },
  { type: 'setresgid', value: 25, family: 'cred', args: ['rgid', 'egid', 'sgid', 'res'] },
  {
    type: 'capset',
    value: 26,
    family: 'cred',
    args: ['cap_effective', 'cap_permitted', 'cap_inheritable', 'res'],
  },
  // files: struct vg_file
  {
    type: 'open',
    value: 40,
    family: 'file',
    open: true,
    args: ['name', 'flags', 'mode', 'fd', 'res'],
    recordKill: true,
    lsmHook: 'file_open',
  },
  {
    type: 'openat',
    value: 41,
    family: 'file',
    open: true,
    args: ['name', 'flags', 'mode', 'dirfd', 'fd', 'res'],
    extra: ['io_uring_complete'],
    recordKill: true,
    lsmHook: 'file_open',
  },
  {
    type: 'openat2',
    value: 42,
    family: 'file',
    open: true,
    args: ['name', 'flags', 'mode', 'dirfd', 'fd', 'res'],
    extra: ['io_uring_complete'],
    recordKill: true,
    lsmHook: 'file_open',
  },
  {
    type: 'creat',
    value: 43,
    family: 'file',
    open: true,
    args: ['name', 'flags', 'mode', 'fd', 'res'],
    recordKill: true,
  },
  {
    type: 'open_by_handle_at',
    value: 67,
    family: 'file',
    open: true,
    args: ['name', 'flags', 'mountfd', 'fd', 'res'],
  },
  {
    type: 'unlink',
    value: 44,
    family: 'file',
    args: ['path', 'res'],
    recordKill: true,
    lsmHook: 'path_unlink',
  },
  {
    type: 'unlinkat',
    value: 45,
    family: 'file',
    args: ['dirfd', 'name', 'flags', 'res'],
    recordKill: true,
    lsmHook: 'path_unlink',
  },
  {
    type: 'rename',
    value: 46,
    family: 'file',
    args: ['oldpath', 'newpath', 'res'],
    recordKill: true,
    lsmHook: 'path_rename',
  },
  {
    type: 'renameat',
    value: 47,
    family: 'file',
    args: ['oldpath', 'newpath', 'res'],
    recordKill: true,
    lsmHook: 'path_rename',
  },
  {
    type: 'renameat2',
    value: 48,
    family: 'file',
    args: ['oldpath', 'newpath', 'flags', 'res'],
    recordKill: true,
    lsmHook: 'path_rename',
  },
  { type: 'mkdir', value: 49, family: 'file', args: ['path', 'mode', 'res'], recordKill: true },
  { type: 'mkdirat', value: 50, family: 'file', args: ['dirfd', 'name', 'mode', 'res'], recordKill: true },
  { type: 'rmdir', value: 51, family: 'file', args: ['path', 'res'], recordKill: true },
  { type: 'link', value: 52, family: 'file', args: ['oldpath', 'newpath', 'res'], recordKill: true },
  {
    type: 'linkat',
    value: 53,
    family: 'file',
    args: ['oldpath', 'newpath', 'flags', 'res'],
    recordKill: true,
  },
  { type: 'symlink', value: 54, family: 'file', args: ['target', 'linkpath', 'res'], recordKill: true },
  { type: 'symlinkat', value: 55, family: 'file', args: ['target', 'linkpath', 'res'], recordKill: true },
  { type: 'chmod', value: 56, family: 'file', args: ['path', 'mode', 'res'], recordKill: true },
  { type: 'fchmod', value: 57, family: 'file', args: ['fd', 'mode', 'res'], recordKill: true },
  {
    type: 'fchmodat',
    value: 58,
    family: 'file',
    args: ['dirfd', 'name', 'flags', 'mode', 'res'],
    recordKill: true,
  },
  { type: 'chown', value: 59, family: 'file', args: ['path', 'uid', 'gid', 'res'], recordKill: true },
  { type: 'lchown', value: 60, family: 'file', args: ['path', 'uid', 'gid', 'res'], recordKill: true },
  { type: 'fchown', value: 61, family: 'file', args: ['fd', 'uid', 'gid', 'res'], recordKill: true },
  {
    type: 'fchownat',
    value: 62,
    family: 'file',
    args: ['dirfd', 'name', 'flags', 'uid', 'gid', 'res'],
    recordKill: true,
  },
  { type: 'truncate', value: 63, family: 'file', args: ['path', 'length', 'res'], recordKill: true },
  { type: 'ftruncate', value: 64, family: 'file', args: ['fd', 'length', 'res'], recordKill: true },
  {
    type: 'mount',
    value: 65,
    family: 'file',
    args: ['dev', 'dir', 'type', 'flags', 'res'],
    recordKill: true,
  },
  { type: 'umount2', value: 66, family: 'file', args: ['name', 'flags', 'res'], recordKill: true },
  {
    type: 'utimensat',
    value: 130,
    family: 'file',
    args: ['dirfd', 'name', 'flags', 'atime', 'mtime', 'res'],
    recordKill: true,
  },
  {
    type: 'utimes',
    value: 131,
    family: 'file',
    args: ['path', 'atime', 'mtime', 'res'],
    recordKill: true,
  },
  {
    type: 'setxattr',
    value: 132,
    family: 'file',
    args: ['path', 'name', 'size', 'flags', 'caps', 'res'],
    recordKill: true,
  },
  {
    type: 'lsetxattr',
    value: 133,
    family: 'file',
    args: ['path', 'name', 'size', 'flags', 'caps', 'res'],
    recordKill: true,
  },
  {
    type: 'fsetxattr',
    value: 134,
    family: 'file',
    args: ['fd', 'name', 'size', 'flags', 'caps', 'res'],
    recordKill: true,
  },
  { type: 'mknod', value: 135, family: 'file', args: ['path', 'mode', 'dev', 'res'], recordKill: true },
  {
    type: 'mknodat',
    value: 136,
    family: 'file',
    args: ['dirfd', 'path', 'mode', 'dev', 'res'],
    recordKill: true,
  },
  // network: struct vg_net
  { type: 'socket', value: 80, family: 'net', args: ['domain', 'type', 'proto', 'res'] },
  { type: 'connect', value: 81, family: 'net', args: ['fd', 'tuple', 'res'], netDeny: 'connect' },
  { type: 'accept', value: 82, family: 'net', args: ['tuple', 'queuelen', 'res'] },
  { type: 'accept4', value: 83, family: 'net', args: ['tuple', 'queuelen', 'flags', 'res'] },
  { type: 'bind', value: 84, family: 'net', args: ['fd', 'tuple', 'addr', 'res'], netDeny: 'bind' },
  { type: 'listen', value: 85, family: 'net', args: ['fd', 'backlog', 'res'] },
  {
    type: 'sendto',
    value: 86,
    family: 'net',
    args: ['fd', 'tuple', 'flags', 'res'],
    netDeny: 'sendmsg',
    buffer: true,
  },
  { type: 'recvfrom', value: 87, family: 'net', args: ['fd', 'tuple', 'flags', 'res'], buffer: true },
  // fds: struct vg_dup
  { type: 'dup', value: 102, family: 'dup', args: ['res', 'oldfd', 'newfd'] },
  { type: 'dup2', value: 100, family: 'dup', args: ['res', 'oldfd', 'newfd'] },
  { type: 'dup3', value: 101, family: 'dup', args: ['res', 'oldfd', 'newfd', 'flags'] },
  // signals: struct vg_signal (sig_generate names the task signalled)
  {
    type: 'kill',
    value: 110,
    family: 'signal',
    programs: ['enter_kill', 'exit_kill', 'sig_generate'],
    args: ['pid', 'sig', 'res'],
  },
  {
    type: 'tkill',
    value: 111,
    family: 'signal',
    programs: ['enter_tkill', 'exit_tkill', 'sig_generate'],
    args: ['tid', 'sig', 'res'],
  },
  {
    type: 'tgkill',
    value: 112,
    family: 'signal',
    programs: ['enter_tgkill', 'exit_tgkill', 'sig_generate'],
    args: ['pid', 'tid', 'sig', 'res'],
  },
  {
    type: 'pidfd_send_signal',
    value: 113,
    family: 'signal',
    programs: ['enter_pidfd_send_signal', 'exit_pidfd_send_signal', 'sig_generate'],
    args: ['pidfd', 'sig', 'flags', 'res'],
  },
] as const satisfies readonly Row[];

/** `evt.type` values vigil produces (Falco's syscall names). */
export type EventType = (typeof EVENT_TABLE)[number]['type'];

/** One row with every column: absent ones are undefined (booleans false). */
export interface EventRow {
  readonly type: EventType;
  readonly value: number;
  readonly cname: string;
  readonly family: Family;
  readonly programs: readonly string[] | undefined;
  readonly fallback: readonly string[] | undefined;
  readonly extra: readonly string[];
  readonly always: boolean;
  readonly open: boolean;
  readonly args: readonly string[];
  readonly recordKill: boolean;
  readonly netDeny: NetDenyHook | undefined;
  readonly lsmHook: LsmHook | undefined;
  readonly buffer: boolean;
}

/** The table's rows, all of one shape (the decoder reads them per record). */
export const EVENT_ROWS: readonly EventRow[] = EVENT_TABLE.map((r: Row & { type: EventType }) => ({
  type: r.type,
  value: r.value,
  cname: r.cname ?? `VG_EVT_${r.type.toUpperCase()}`,
  family: r.family,
  programs: r.programs,
  fallback: r.fallback,
  extra: r.extra ?? [],
  always: r.always ?? false,
  open: r.open ?? false,
  args: r.args,
  recordKill: r.recordKill ?? false,
  netDeny: r.netDeny,
  lsmHook: r.lsmHook,
  buffer: r.buffer ?? false,
}));

export const EVENT_TYPES: readonly EventType[] = EVENT_ROWS.map((r) => r.type);

/** The event types whose rows pass this test, in table order. */
export function typesWhere(test: (row: EventRow) => boolean): EventType[] {
  return EVENT_ROWS.filter(test).map((r) => r.type);
}

/** The opens (open, openat, openat2, creat, open_by_handle_at). */
export const OPEN_EVENT_TYPES: readonly EventType[] = typesWhere((r) => r.open);

const ROW_OF: ReadonlyMap<string, EventRow> = new Map(EVENT_ROWS.map((r) => [r.type, r]));

/** The row of an event type. */
export function rowOf(type: EventType): EventRow {
  return ROW_OF.get(type)!;
}

export function isEventType(s: string): s is EventType {
  return ROW_OF.has(s);
}

/**
 * The event type as the table spells it, or undefined if it is none: the one string object per
 * type (as the decoder assigns), so the engine's per-type lookups compare pointers, not
 * characters, for events read from JSON too.
 */
export function canonicalEventType(s: string): EventType | undefined {
  return ROW_OF.get(s)?.type;
}
