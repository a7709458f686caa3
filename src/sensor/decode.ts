/**
 * Ring buffer batches -> VigilEvents. A batch is what the addon hands over:
 * records framed as [u32 len][u32 0][record][pad to 8]. Each record is read in
 * place through one DataView over the batch (no per-record copies); strings are
 * sliced out only where the event needs them. Process records (exec, clone,
 * exit, chdir) also update the process table, whether or not their events are
 * wanted, so that every other event resolves its process.
 */
import type {
  EventArgs,
  FdInfo,
  FdType,
  GroupInfo,
  ProcessInfo,
  UserInfo,
  VigilEvent,
} from '../event/types.js';
import * as F from './flags.js';
import {
  FD_KINDS,
  FILE_STR,
  HDR_F_EXE_FROM_MEMFD,
  HDR_F_EXE_UPPER_LAYER,
  HDR_F_EXE_WRITABLE,
  HDR_F_DENIED,
} from './layout.js';
import { EXEC_STR, LAYOUT, WIRE_BY_VALUE, type WireEventType } from './layout.js';
import { resolvePath } from './paths.js';
import type { EventCreds, ProcEntry, ProcessTable } from './process-table.js';
import { cmdlineOf, splitNul } from './procfs.js';
import { AF_INET, AF_INET6, AF_UNIX, readSockAddr, type SockAddr, tupleName } from './sockaddr.js';
import { containerFromCgroup } from './container.js';
import { decodeSignal, signalName, targetByPid } from './decode-signal.js';
import { ContainerCatalog } from './container-info.js';
import type { UserDb } from './users.js';

const H = LAYOUT.vg_hdr.fields;
const HDR_SIZE = LAYOUT.vg_hdr.size;
const EX = LAYOUT.vg_exec.fields;
const FK = LAYOUT.vg_fork.fields;
const EXT = LAYOUT.vg_exit.fields;
const PO = LAYOUT.vg_proc_op.fields;
const CR = LAYOUT.vg_cred.fields;
const FI = LAYOUT.vg_file.fields;
const NE = LAYOUT.vg_net.fields;
const DU = LAYOUT.vg_dup.fields;
const FRAME_HEADER = 8;
const U32 = 4294967296;

/** Thrown for a record that contradicts the wire format (a bug on one side, never data). */
export class DecodeError extends Error {}

export interface DecoderOptions {
  table: ProcessTable;
  users: UserDb;
  bootToEpochNs: number;
  /** The agent's pid, which signal and ptrace targets are compared with (default: this process). */
  agentPid?: number;
  /** event.container for each container id (default: ids only, no pod metadata). */
  containers?: ContainerCatalog;
}

/**
 * Per-batch state lives in fields so the per-family methods need no arguments
 * beyond the record's offset.
 */
export class Decoder {
  private b: Buffer = Buffer.alloc(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private nowMs = 0;
  private readonly table: ProcessTable;
  private readonly users: UserDb;
  private readonly offsetNs: number;
  private readonly agentPid: number;
  private userCache = new Map<number, UserInfo>();
  private groupCache = new Map<number, GroupInfo>();
  private usersGen = -1;
  private readonly containers: ContainerCatalog;
  private readonly envMemo = new Map<string, string[]>();
  /** Records that were not understood (unknown type, size that does not fit). */
  malformed = 0;

  constructor(opts: DecoderOptions) {
    this.table = opts.table;
    this.users = opts.users;
    this.offsetNs = opts.bootToEpochNs;
    this.agentPid = opts.agentPid ?? process.pid;
    this.containers = opts.containers ?? new ContainerCatalog();
  }

  /**
   * Decodes every record of a batch. Events whose wire type has a nonzero entry
   * in `want` (all when `want` is undefined) are appended to `out`.
   * Returns the number of records read.
   */
  decodeBatch(batch: Buffer, out: VigilEvent[], want?: Uint8Array): number {
    this.b = batch;
    this.dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    this.nowMs = Date.now();
    if (this.users.generation !== this.usersGen) this.resetUserCaches();
    const dv = this.dv;
    const end = batch.byteLength;
    let n = 0;
    for (let o = 0; o + FRAME_HEADER <= end;) {
      const len = dv.getUint32(o, true);
      const rec = o + FRAME_HEADER;
      if (len < HDR_SIZE || rec + len > end) {
        this.malformed++;
        break; // the framing itself is off: nothing after this point can be trusted
      }
      n++;
      const ev = this.decodeAt(rec, len, want);
      if (ev !== null) {
        if ((dv.getUint16(rec + H.flags, true) & HDR_F_DENIED) !== 0)
          DENIALS.set(ev, dv.getUint32(rec + H.deny_rule, true));
        out.push(ev);
      }
      o = rec + ((len + 7) & ~7);
    }
    this.table.reap(this.nowMs);
    return n;
  }

  /** Decodes one record (no framing) at `rec`; null when not wanted or not understood. */
  private decodeAt(rec: number, len: number, want: Uint8Array | undefined): VigilEvent | null {
    const dv = this.dv;
    const typeValue = dv.getUint16(rec + H.type, true);
    const w = WIRE_BY_VALUE[typeValue];
    if (w === undefined || dv.getUint32(rec + H.size, true) > len) {
      this.malformed++;
      return null;
    }
    // A denial's record is always wanted: it carries the alert of the rule that denied.
    const wanted =
      want === undefined || want[typeValue] !== 0 || (dv.getUint16(rec + H.flags, true) & HDR_F_DENIED) !== 0;
    // Only process records change state: other unwanted records can be skipped whole.
    if (!wanted && w.family !== 'exec' && w.family !== 'fork' && w.family !== 'exit' && typeValue !== 4) {
      return null;
    }
    const p = rec + HDR_SIZE;
    switch (w.family) {
      case 'exec':
        return this.exec(w, rec, p, wanted);
      case 'fork':
        return this.fork(w, rec, p, wanted);
      case 'exit':
        return this.exit(w, rec, p, wanted);
      case 'proc_op':
        return this.procOp(w, rec, p, wanted);
      case 'cred':
        return this.cred(w, rec, p);
      case 'file':
        return this.file(w, rec, p);
      case 'net':
        return this.net(w, rec, p);
      case 'dup':
        return this.dup(w, rec, p);
      case 'signal': {
        const ev = this.event(w, rec);
        decodeSignal(ev, this.dv, this.b, p, this.table, this.agentPid);
        return ev;
      }
    }
  }

  // ---- header ------------------------------------------------------------

  private u64(o: number): number {
    return this.dv.getUint32(o, true) + this.dv.getUint32(o + 4, true) * U32;
  }

  private s64(o: number): number {
    return this.dv.getUint32(o, true) + this.dv.getInt32(o + 4, true) * U32;
  }

  private creds(rec: number): EventCreds {
    const dv = this.dv;
    const login = dv.getUint32(rec + H.loginuid, true);
    return {
      tid: dv.getUint32(rec + H.tid, true),
      ppid: dv.getUint32(rec + H.ppid, true),
      uid: dv.getUint32(rec + H.uid, true),
      gid: dv.getUint32(rec + H.gid, true),
      euid: dv.getUint32(rec + H.euid, true),
      egid: dv.getUint32(rec + H.egid, true),
      loginuid: login === 0xffffffff ? -1 : login,
      comm: this.cstr(rec + H.comm, 16),
    };
  }

  /** A NUL-terminated latin1 string of at most `max` bytes (comm). */
  private cstr(o: number, max: number): string {
    const b = this.b;
    let e = o;
    const lim = o + max;
    while (e < lim && b[e] !== 0) e++;
    return b.toString('latin1', o, e);
  }

  /** The common part of every event. */
  private base(w: WireEventType, rec: number, proc: ProcessInfo, creds: EventCreds): VigilEvent {
    return {
      type: w.type,
      ts: this.u64(rec + H.ts_ns) + this.offsetNs,
      ret: this.s64(rec + H.retval),
      proc,
      user: this.user(creds.euid, creds.loginuid),
      group: this.group(creds.egid),
      fd: undefined,
      fd2: undefined,
      args: {},
      rawargs: {},
      container: this.containers.of(proc),
    };
  }

  private event(w: WireEventType, rec: number): VigilEvent {
    const c = this.creds(rec);
    const pid = this.dv.getUint32(rec + H.pid, true);
    return this.base(w, rec, this.table.info(pid, c), c);
  }

  // ---- enrichment caches ---------------------------------------------------

  private resetUserCaches(): void {
    this.userCache = new Map();
    this.groupCache = new Map();
    this.usersGen = this.users.generation;
  }

  private user(uid: number, loginuid: number): UserInfo {
    const key = uid * U32 + (loginuid >>> 0);
    let u = this.userCache.get(key);
    if (u === undefined) {
      const e = this.users.user(uid);
      u = {
        uid,
        name: e.name,
        loginuid,
        loginname: loginuid === -1 ? '<NA>' : this.users.userName(loginuid),
        homedir: e.homedir,
        shell: e.shell,
      };
      if (this.userCache.size >= 4096) this.userCache.clear();
      this.userCache.set(key, u);
    }
    return u;
  }

  private group(gid: number): GroupInfo {
    let g = this.groupCache.get(gid);
    if (g === undefined) {
      g = { gid, name: this.users.groupName(gid) };
      if (this.groupCache.size >= 4096) this.groupCache.clear();
      this.groupCache.set(gid, g);
    }
    return g;
  }

  // ---- strings ---------------------------------------------------------------

  /** Start offsets of the `count` strings after a payload, plus the end (count + 1 entries). */
  private strings(rec: number, strStart: number, lenAt: number, count: number): number[] {
    const size = this.dv.getUint32(rec + H.size, true);
    const at: number[] = [strStart];
    let o = strStart;
    for (let i = 0; i < count; i++) {
      o += this.dv.getUint16(lenAt + 2 * i, true);
      at.push(Math.min(o, rec + size));
    }
    return at;
  }

  private utf8(s: number[], i: number): string {
    return s[i] >= s[i + 1] ? '' : this.b.toString('utf8', s[i], s[i + 1]);
  }

  /**
   * envp as entries. Children of one shell mostly share one environment: the
   * last few distinct ones are kept, and their arrays shared (read-only).
   */
  private envOf(s: number[]): string[] {
    const raw = this.utf8(s, EXEC_STR.env);
    let env = this.envMemo.get(raw);
    if (env === undefined) {
      env = splitNul(raw);
      if (this.envMemo.size >= 64) this.envMemo.delete(this.envMemo.keys().next().value!);
      this.envMemo.set(raw, env);
    }
    return env;
  }

  // ---- process family --------------------------------------------------------

  private exec(w: WireEventType, rec: number, p: number, wanted: boolean): VigilEvent | null {
    const dv = this.dv;
    const c = this.creds(rec);
    const pid = dv.getUint32(rec + H.pid, true);
    const flags = dv.getUint16(rec + H.flags, true);
    const s = this.strings(rec, p + LAYOUT.vg_exec.size, p + EX.str_len, 5);
    const exe = this.utf8(s, EXEC_STR.exe);
    const argc = dv.getUint32(p + EX.argc, true);
    const args = argc === 0 ? [] : splitNul(this.utf8(s, EXEC_STR.argv));
    // Falco's proc.name is the kernel's comm, which exec has just set from the file name run
    // (so a script's name, not its interpreter's; 15 bytes at most, as Falco's rules expect).
    const name = c.comm || exe.slice(exe.lastIndexOf('/') + 1);
    if ((flags & HDR_F_DENIED) !== 0) return this.deniedExec(w, rec, p, exe, args, argc);
    const cgroup = this.utf8(s, EXEC_STR.cgroup);
    const entry: ProcEntry = {
      pid,
      ppid: c.ppid,
      vpid: dv.getUint32(p + EX.vpid, true) || pid,
      sid: dv.getUint32(p + EX.sid, true),
      vpgid: dv.getUint32(p + EX.pgid, true),
      uid: c.uid,
      gid: c.gid,
      euid: c.euid,
      egid: c.egid,
      loginuid: c.loginuid,
      comm: c.comm,
      name,
      exe,
      args,
      cmdline: cmdlineOf(name, args),
      cwd: this.utf8(s, EXEC_STR.cwd),
      env: this.envOf(s),
      tty: dv.getUint32(p + EX.tty, true),
      start_ts: this.u64(p + EX.start_ns) + this.offsetNs,
      cap_effective: this.u64(p + EX.cap_effective),
      cap_permitted: this.u64(p + EX.cap_permitted),
      cap_inheritable: this.u64(p + EX.cap_inheritable),
      exe_ino: this.u64(p + EX.exe_ino),
      exe_ctime: this.u64(p + EX.exe_ctime_ns),
      exe_mtime: this.u64(p + EX.exe_mtime_ns),
      exe_writable: (flags & HDR_F_EXE_WRITABLE) !== 0,
      exe_upper_layer: (flags & HDR_F_EXE_UPPER_LAYER) !== 0,
      exe_from_memfd: (flags & HDR_F_EXE_FROM_MEMFD) !== 0,
      cgroup,
      container_id: containerFromCgroup(cgroup).id,
      exitedAt: 0,
    };
    this.table.onExec(entry);
    if (!wanted) return null;
    const ev = this.base(w, rec, this.table.info(pid, c), c);
    ev.args = { exe: args[0] ?? '', args: args.slice(1).join(' '), filename: exe, cwd: entry.cwd, res: 0 };
    ev.rawargs = { argc };
    return ev;
  }

  /**
   * An exec a BPF LSM program refused: the process goes on as it was (the table is not touched),
   * and the event describes the program it was refused, as an exec event would have.
   */
  private deniedExec(
    w: WireEventType,
    rec: number,
    p: number,
    exe: string,
    args: string[],
    argc: number,
  ): VigilEvent {
    const c = this.creds(rec);
    const caller = this.table.info(this.dv.getUint32(rec + H.pid, true), c);
    const name = exe.slice(exe.lastIndexOf('/') + 1).slice(0, 15);
    const proc: ProcessInfo = {
      ...caller,
      name,
      comm: name,
      exe,
      args,
      cmdline: cmdlineOf(name, args),
      exe_ino: this.u64(p + EX.exe_ino),
      exe_from_memfd: false,
      exe_upper_layer: false,
      exe_writable: false,
    };
    const ev = this.base(w, rec, proc, c);
    ev.args = {
      exe: args[0] ?? '',
      args: args.slice(1).join(' '),
      filename: exe,
      cwd: proc.cwd,
      res: resArg(ev.ret),
    };
    ev.rawargs = { argc, res: ev.ret };
    return ev;
  }

  private fork(w: WireEventType, rec: number, p: number, wanted: boolean): VigilEvent | null {
    const dv = this.dv;
    const c = this.creds(rec);
    const pid = dv.getUint32(rec + H.pid, true);
    const child = dv.getUint32(p + FK.child_pid, true);
    const flags = this.u64(p + FK.clone_flags);
    this.table.onClone(pid, c, child, dv.getUint32(p + FK.child_vpid, true), this.u64(p + FK.child_start_ns));
    if (!wanted) return null;
    const ev = this.base(w, rec, this.table.info(pid, c), c);
    ev.args = { child_pid: child, flags: F.renderCloneFlags(flags) };
    ev.rawargs = { child_pid: child, flags };
    return ev;
  }

  private exit(w: WireEventType, rec: number, p: number, wanted: boolean): VigilEvent | null {
    const pid = this.dv.getUint32(rec + H.pid, true);
    let ev: VigilEvent | null = null;
    if (wanted) {
      ev = this.event(w, rec);
      const status = this.dv.getInt32(p + EXT.exit_code, true);
      const code = (status >> 8) & 0xff;
      const sig = status & 0x7f;
      // Falco renders the signal by name (SIGKILL), as for kill; 0 when the process exited.
      ev.args = { status, ret: code, sig: signalName(sig), core: (status & 0x80) !== 0 ? 1 : 0 };
      ev.rawargs = { status, ret: code, sig };
    }
    this.table.onExit(pid, this.nowMs);
    return ev;
  }

  private procOp(w: WireEventType, rec: number, p: number, wanted: boolean): VigilEvent | null {
    const dv = this.dv;
    const s = this.strings(rec, p + LAYOUT.vg_proc_op.size, p + PO.str_len, 2);
    if (w.type === 'chdir') {
      const ret = this.s64(rec + H.retval);
      const c = this.creds(rec);
      const path = this.utf8(s, 0);
      if (ret === 0) this.table.onChdir(dv.getUint32(rec + H.pid, true), c, path);
      if (!wanted) return null;
    }
    const ev = this.event(w, rec);
    const a0 = this.u64(p + PO.arg);
    const a1 = this.u64(p + PO.arg + 8);
    const a2 = this.u64(p + PO.arg + 16);
    const a3 = this.u64(p + PO.arg + 24);
    const str0 = this.utf8(s, 0);
    const args: EventArgs = {};
    const raw: Record<string, number> = {};
    switch (w.type) {
      case 'chdir':
        args.path = str0;
        break;
      case 'setns':
        args.fd = a0 | 0;
        args.nstype = F.renderNsType(a1);
        raw.fd = a0 | 0;
        raw.nstype = a1;
        ev.fd = { num: a0 | 0, type: 'file', name: str0 };
        break;
      case 'unshare':
      case 'userfaultfd':
        args.flags = w.type === 'unshare' ? F.renderCloneFlags(a0) : F.renderFlags(F.USERFAULTFD_FLAGS, a0);
        raw.flags = a0;
        break;
      case 'ptrace':
        args.request = F.renderPtraceRequest(a0);
        args.pid = a1;
        args.addr = a2;
        args.data = a3;
        Object.assign(raw, { request: a0, pid: a1, addr: a2, data: a3 });
        ev.target = targetByPid(this.table, ev, a1 | 0, a1 | 0, this.agentPid);
        break;
      case 'memfd_create':
        args.name = str0;
        args.flags = F.renderFlags(F.MEMFD_FLAGS, a0);
        raw.flags = a0;
        break;
      case 'init_module':
        args.length = a0;
        args.uargs = str0;
        raw.length = a0;
        break;
      case 'finit_module': {
        const path = this.utf8(s, 1);
        args.fd = a0 | 0;
        args.flags = F.renderFlags(F.MODULE_INIT_FLAGS, a1);
        args.uargs = str0;
        Object.assign(raw, { fd: a0 | 0, flags: a1 });
        if (path !== '') ev.fd = { num: a0 | 0, type: 'file', name: path };
        break;
      }
      case 'bpf':
        args.cmd = F.renderBpfCommand(a0);
        raw.cmd = a0;
        if (a0 === 5) {
          args.prog_type = F.renderBpfProgType(a1);
          raw.prog_type = a1;
        }
        break;
      case 'prctl':
        args.option = F.renderPrctlOption(a0);
        args.arg2_int = a1;
        if (str0 !== '') args.arg2_str = str0;
        Object.assign(raw, { option: a0, arg2: a1, arg3: a2, arg4: a3 });
        break;
    }
    args.res = resArg(ev.ret);
    raw.res = ev.ret;
    ev.args = args;
    ev.rawargs = raw;
    return ev;
  }

  // ---- credentials ---------------------------------------------------------

  private cred(w: WireEventType, rec: number, p: number): VigilEvent {
    const ev = this.event(w, rec);
    const dv = this.dv;
    const id = (i: number): number => dv.getInt32(p + CR.id + 4 * i, true);
    const args: EventArgs = {};
    const names = CRED_ARGS[w.type];
    if (names) for (let i = 0; i < names.length; i++) args[names[i]] = id(i);
    const raw: Record<string, number> = { ...(args as Record<string, number>) };
    if (w.type === 'capset') {
      raw.cap_effective = this.u64(p + CR.cap_effective);
      raw.cap_permitted = this.u64(p + CR.cap_permitted);
      raw.cap_inheritable = this.u64(p + CR.cap_inheritable);
      Object.assign(args, raw);
    }
    args.res = resArg(ev.ret);
    raw.res = ev.ret;
    ev.args = args;
    ev.rawargs = raw;
    return ev;
  }

  // ---- files -----------------------------------------------------------------

  private file(w: WireEventType, rec: number, p: number): VigilEvent {
    const ev = this.event(w, rec);
    const dv = this.dv;
    const s = this.strings(rec, p + LAYOUT.vg_file.size, p + FI.str_len, 5);
    const raw0 = this.utf8(s, FILE_STR.path);
    const cwd = ev.proc.cwd;
    const dir0 = this.utf8(s, FILE_STR.dirpath);
    const name = resolvePath(dir0 || cwd, raw0);
    const fdNum = dv.getInt32(p + FI.fd, true);
    const flags = dv.getUint32(p + FI.flags, true);
    const mode = dv.getUint32(p + FI.mode, true);
    const dirfd = dv.getInt32(p + FI.dirfd, true);
    const args: EventArgs = {};
    const raw: Record<string, number> = {};
    const fd: FdInfo = { num: fdNum, type: 'file', name, nameraw: raw0 };
    switch (w.type) {
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat':
        fd.num = ev.ret;
        if ((flags & 0o200000) !== 0) fd.type = 'directory';
        if (ev.ret >= 0) fd.ino = this.u64(p + FI.ino);
        args.name = name;
        args.flags = F.renderOpenFlags(flags);
        args.mode = F.renderMode(mode);
        if (w.type !== 'open' && w.type !== 'creat') args.dirfd = dirfd;
        args.fd = ev.ret;
        raw.flags = flags;
        raw.mode = mode;
        raw.dirfd = dirfd;
        raw.fd = ev.ret;
        args.res = ev.ret >= 0 ? ev.ret : F.errnoName(ev.ret);
        raw.res = ev.ret;
        ev.fd = fd;
        ev.args = args;
        ev.rawargs = raw;
        return ev; // the hot path: none of the checks below apply to opens
      case 'unlink':
      case 'rmdir':
      case 'truncate':
      case 'mkdir':
      case 'chmod':
      case 'chown':
      case 'lchown':
        args.path = name;
        break;
      case 'unlinkat':
      case 'mkdirat':
      case 'fchmodat':
      case 'fchownat':
        args.dirfd = dirfd;
        args.name = name;
        raw.dirfd = dirfd;
        if (w.type !== 'mkdirat') {
          args.flags = F.renderFlags(F.AT_FLAGS, flags);
          raw.flags = flags;
        }
        break;
      case 'fchmod':
      case 'fchown':
      case 'ftruncate':
        args.fd = fdNum;
        raw.fd = fdNum;
        break;
      case 'rename':
      case 'renameat':
      case 'renameat2':
      case 'link':
      case 'linkat':
        ev.fd2 = this.secondPath(s, cwd);
        args.oldpath = name;
        args.newpath = ev.fd2.name;
        if (w.type === 'renameat2') args.flags = F.renderFlags(F.RENAME_FLAGS, flags);
        else if (w.type === 'linkat') args.flags = F.renderFlags(F.AT_FLAGS, flags);
        raw.flags = flags;
        break;
      case 'symlink':
      case 'symlinkat': {
        // The link is the file created; its target is stored as given (it is relative to the link).
        const link = this.secondPath(s, cwd);
        ev.fd2 = { type: 'file', name: raw0, nameraw: raw0 };
        fd.name = link.name;
        fd.nameraw = link.nameraw;
        args.target = raw0;
        args.linkpath = link.name;
        break;
      }
      case 'mount':
        fd.name = this.secondPath(s, cwd).name;
        fd.nameraw = this.utf8(s, FILE_STR.path2);
        fd.type = 'directory';
        args.dev = raw0;
        args.dir = fd.name;
        args.type = this.utf8(s, FILE_STR.extra);
        args.flags = F.renderFlags(F.MOUNT_FLAGS, flags);
        raw.flags = flags;
        break;
      case 'umount2':
        fd.type = 'directory';
        args.name = name;
        args.flags = F.renderFlags(F.UMOUNT_FLAGS, flags);
        raw.flags = flags;
        break;
    }
    if (w.type.includes('chmod') || w.type.startsWith('mkdir')) {
      args.mode = F.renderMode(mode);
      raw.mode = mode;
    }
    if (w.type.includes('chown')) {
      args.uid = dv.getInt32(p + FI.uid, true);
      args.gid = dv.getInt32(p + FI.gid, true);
      raw.uid = args.uid;
      raw.gid = args.gid;
    }
    if (w.type.endsWith('truncate')) {
      args.length = this.u64(p + FI.length);
      raw.length = args.length;
    }
    args.res = resArg(ev.ret);
    raw.res = ev.ret;
    ev.fd = fd;
    ev.args = args;
    ev.rawargs = raw;
    return ev;
  }

  /** path2 of a file record, resolved like path. */
  private secondPath(s: number[], cwd: string): FdInfo {
    const r = this.utf8(s, FILE_STR.path2);
    return { type: 'file', name: resolvePath(this.utf8(s, FILE_STR.dirpath2) || cwd, r), nameraw: r };
  }

  // ---- network ---------------------------------------------------------------

  private net(w: WireEventType, rec: number, p: number): VigilEvent {
    const ev = this.event(w, rec);
    const dv = this.dv;
    const b = this.b;
    const local = readSockAddr(b, dv, p + NE.local);
    const remote = readSockAddr(b, dv, p + NE.remote);
    const fdNum = dv.getInt32(p + NE.fd, true);
    const domain = dv.getUint32(p + NE.domain, true);
    const type = dv.getUint32(p + NE.type, true);
    const protocol = dv.getUint32(p + NE.protocol, true);
    const flags = dv.getUint32(p + NE.flags, true);
    const s = this.strings(rec, p + LAYOUT.vg_net.size, p + NE.str_len, 1);
    const family = local.family || remote.family || domain;
    const isServer = w.type === 'accept' || w.type === 'accept4' || w.type === 'bind' || w.type === 'listen';
    const fd = socketFd(family, type, protocol, local, remote, isServer, this.utf8(s, 0));
    const args: EventArgs = {};
    const raw: Record<string, number> = {};
    switch (w.type) {
      case 'socket':
        fd.num = ev.ret;
        args.domain = F.renderSocketFamily(domain);
        args.type = F.renderSocketType(type);
        args.proto = protocol;
        Object.assign(raw, { domain, type, proto: protocol });
        break;
      case 'accept':
      case 'accept4':
        fd.num = ev.ret;
        args.tuple = fd.name;
        args.queuelen = 0;
        if (w.type === 'accept4') {
          args.flags = F.renderFlags(F.SOCKET_FLAGS, flags);
          raw.flags = flags;
        }
        break;
      case 'listen':
        fd.num = fdNum;
        args.fd = fdNum;
        args.backlog = dv.getUint32(p + NE.backlog, true);
        raw.backlog = args.backlog;
        break;
      case 'sendto':
        fd.num = fdNum;
        args.fd = fdNum;
        args.tuple = fd.name;
        args.flags = F.renderFlags(F.SENDTO_FLAGS, flags);
        raw.flags = flags;
        break;
      default: // connect, bind
        fd.num = fdNum;
        args.fd = fdNum;
        args.tuple = fd.name;
        if (w.type === 'bind') args.addr = fd.name;
    }
    raw.fd = fd.num!;
    args.res = resArg(ev.ret);
    raw.res = ev.ret;
    ev.fd = fd;
    ev.args = args;
    ev.rawargs = raw;
    return ev;
  }

  private dup(w: WireEventType, rec: number, p: number): VigilEvent {
    const ev = this.event(w, rec);
    const dv = this.dv;
    const oldfd = dv.getInt32(p + DU.oldfd, true);
    const newfd = w.type === 'dup' ? ev.ret : dv.getInt32(p + DU.newfd, true);
    const kind = dv.getUint16(p + DU.kind, true);
    const flags = dv.getUint32(p + DU.flags, true);
    const s = this.strings(rec, p + LAYOUT.vg_dup.size, p + DU.str_len, 1);
    const str = this.utf8(s, 0);
    const type: FdType = FD_KINDS[kind]?.type ?? 'unknown';
    let fd: FdInfo;
    if (type === 'ipv4' || type === 'ipv6' || type === 'unix') {
      const local = readSockAddr(this.b, dv, p + DU.local);
      const remote = readSockAddr(this.b, dv, p + DU.remote);
      const family = type === 'ipv4' ? AF_INET : type === 'ipv6' ? AF_INET6 : AF_UNIX;
      const sockType = dv.getUint16(p + DU.sock_type, true);
      fd = socketFd(family, sockType, dv.getUint16(p + DU.protocol, true), local, remote, false, str);
    } else {
      fd = { type, name: str };
    }
    fd.num = newfd;
    ev.fd = fd;
    ev.args = { res: resArg(ev.ret), oldfd, newfd };
    ev.rawargs = { res: ev.ret, oldfd, newfd, flags };
    if (w.type === 'dup3') ev.args.flags = F.renderFlags(F.DUP3_FLAGS, flags);
    return ev;
  }
}

/** Events decoded from a BPF LSM denial's record, and the policy rule id that denied (0: self-protection). */
const DENIALS = new WeakMap<VigilEvent, number>();

/** The rule id of the BPF LSM denial this event reports (0: self-protection), or undefined. */
export function denialOf(ev: VigilEvent): number | undefined {
  return DENIALS.get(ev);
}

const CRED_ARGS: Partial<Record<string, readonly string[]>> = {
  setuid: ['uid'],
  setgid: ['gid'],
  setreuid: ['ruid', 'euid'],
  setregid: ['rgid', 'egid'],
  setresuid: ['ruid', 'euid', 'suid'],
  setresgid: ['rgid', 'egid', 'sgid'],
};

/** evt.arg.res: the number on success, the errno name on failure (Falco's rendering). */
function resArg(ret: number): string | number {
  return ret >= 0 ? ret : F.errnoName(ret);
}

function socketFd(
  family: number,
  sockType: number,
  protocol: number,
  local: SockAddr,
  remote: SockAddr,
  isServer: boolean,
  unixPath: string,
): FdInfo {
  if (family === AF_UNIX) return { type: 'unix', name: unixPath, l4proto: '', is_server: isServer };
  if (family !== AF_INET && family !== AF_INET6) return { type: 'socket', name: '', is_server: isServer };
  const name = tupleName(local, remote, isServer);
  return {
    type: family === AF_INET ? 'ipv4' : 'ipv6',
    name,
    l4proto: F.l4proto(protocol, sockType),
    lip: local.ip,
    lport: local.port,
    rip: remote.ip,
    rport: remote.port,
    is_server: isServer,
    connected: remote.port !== 0,
  };
}
