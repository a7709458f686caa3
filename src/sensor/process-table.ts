/**
 * pid -> what vigil knows about the process: seeded from /proc at start, then
 * kept from the kernel's clone (the child inherits its parent's entry), exec
 * (executable, argv, env, cwd, cgroup, caps replaced), chdir (cwd) and exit
 * (the entry is kept for a short while so late events of the dying process
 * still resolve, then reaped). Bounded: beyond `maxEntries` the oldest exited
 * entries go first, then the oldest live ones (re-read from /proc if they show
 * up again).
 *
 * `info()` gives the ProcessInfo an event carries. It is cached per entry and
 * shared by consecutive events of the same thread with the same credentials,
 * so the per-event cost is a few comparisons: consumers must treat it as
 * read-only.
 */
import { readdirSync } from 'node:fs';
import { unknownProcessFacts } from '../event/unknown-process.js';
import type { Ancestor, ProcessInfo } from '../event/types.js';
import { readProcess } from './procfs.js';

/** A process as the table keeps it: ProcessInfo without the per-event parts, plus bookkeeping. */
export interface ProcEntry extends Omit<ProcessInfo, 'tid' | 'ancestors'> {
  /** ms timestamp of the exit; 0 while alive. */
  exitedAt: number;
}

interface Slot {
  entry: ProcEntry;
  ancestor: Ancestor;
  snap: ProcessInfo | undefined;
  snapGen: number;
}

export interface ProcessTableOptions {
  /** Most entries kept (default 65,536). */
  maxEntries?: number;
  /** Parent chain length in `ancestors` (default 16). */
  ancestorDepth?: number;
  /** How long an exited process stays resolvable (ms, default 5,000). */
  reapDelayMs?: number;
  /** Add to boot-time ns to get epoch ns. */
  bootToEpochNs: number;
  /** procfs root (tests). */
  procRoot?: string;
}

/** The per-event credentials and thread, from the record header. */
export interface EventCreds {
  tid: number;
  ppid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  loginuid: number;
  comm: string;
}

export class ProcessTable {
  private readonly slots = new Map<number, Slot>();
  private readonly exited: { pid: number; slot: Slot }[] = [];
  private exitedHead = 0;
  /** Bumped whenever something an existing snapshot shows may have changed. */
  private gen = 1;
  /** pids already looked up in /proc without success. */
  private readonly procMisses = new Set<number>();
  readonly maxEntries: number;
  readonly ancestorDepth: number;
  readonly reapDelayMs: number;
  private readonly bootToEpochNs: number;
  private readonly procRoot: string;

  constructor(opts: ProcessTableOptions) {
    this.maxEntries = opts.maxEntries ?? 65_536;
    this.ancestorDepth = opts.ancestorDepth ?? 16;
    this.reapDelayMs = opts.reapDelayMs ?? 5000;
    this.bootToEpochNs = opts.bootToEpochNs;
    this.procRoot = opts.procRoot ?? '/proc';
  }

  get size(): number {
    return this.slots.size;
  }

  /** Reads every process in /proc. */
  seedFromProc(): number {
    let n = 0;
    for (const name of readdirSync(this.procRoot)) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      const e = readProcess(pid, this.bootToEpochNs, this.procRoot);
      if (e) {
        this.put(e);
        n++;
      }
    }
    return n;
  }

  get(pid: number): ProcEntry | undefined {
    return this.slots.get(pid)?.entry;
  }

  /** The entry for pid; an unknown pid is read from /proc once, else built from the header. */
  resolve(pid: number, creds: EventCreds): ProcEntry {
    const slot = this.slots.get(pid);
    if (slot !== undefined) return slot.entry;
    return this.lookupMissing(pid, creds).entry;
  }

  /** The ProcessInfo an event of `pid` carries. */
  info(pid: number, c: EventCreds): ProcessInfo {
    const slot = this.slots.get(pid) ?? this.lookupMissing(pid, c);
    const s = slot.snap;
    if (
      s !== undefined &&
      slot.snapGen === this.gen &&
      s.tid === c.tid &&
      s.ppid === c.ppid &&
      s.uid === c.uid &&
      s.euid === c.euid &&
      s.gid === c.gid &&
      s.egid === c.egid &&
      s.loginuid === c.loginuid
    ) {
      return s;
    }
    const e = slot.entry;
    if (e.ppid !== c.ppid && c.ppid !== 0) {
      // Reparented (its parent died): the kernel's real_parent is the truth.
      e.ppid = c.ppid;
      this.gen++;
    }
    e.uid = c.uid;
    e.gid = c.gid;
    e.euid = c.euid;
    e.egid = c.egid;
    e.loginuid = c.loginuid;
    e.comm = c.comm;
    const snap = snapshot(e, c.tid, this.ancestors(e));
    slot.snap = snap;
    slot.snapGen = this.gen;
    return snap;
  }

  /** Parent chain of `e`, nearest first. */
  ancestors(e: ProcEntry): Ancestor[] {
    const out: Ancestor[] = [];
    let pid = e.ppid;
    const seen = new Set<number>([e.pid]);
    while (out.length < this.ancestorDepth && pid > 0 && !seen.has(pid)) {
      const slot = this.slots.get(pid);
      if (slot === undefined) break;
      seen.add(pid);
      out.push(slot.ancestor);
      pid = slot.entry.ppid;
    }
    return out;
  }

  /** A new process: the child starts as a copy of its parent (clone keeps exe, args, cwd, env). */
  onClone(
    parentPid: number,
    creds: EventCreds,
    childPid: number,
    childVpid: number,
    childStartNs: number,
  ): void {
    const parent = this.resolve(parentPid, creds);
    const existing = this.slots.get(childPid);
    const start = Math.round(childStartNs + this.bootToEpochNs);
    // Seeded from /proc after the child already ran: keep what is there.
    if (existing !== undefined && existing.entry.exitedAt === 0 && existing.entry.start_ts >= start - 1e7)
      return;
    this.put({
      ...parent,
      pid: childPid,
      ppid: parentPid,
      vpid: childVpid || childPid,
      start_ts: start,
      exitedAt: 0,
    });
  }

  /** exec replaced the process image: everything but the pid and parent changes. */
  onExec(e: ProcEntry): void {
    this.put(e);
    this.gen++;
  }

  onChdir(pid: number, creds: EventCreds, cwd: string): void {
    const e = this.resolve(pid, creds);
    if (cwd !== '' && e.cwd !== cwd) {
      e.cwd = cwd;
      this.gen++;
    }
  }

  /** The process ended; it stays resolvable for reapDelayMs. */
  onExit(pid: number, nowMs: number): void {
    const slot = this.slots.get(pid);
    if (slot === undefined || slot.entry.exitedAt !== 0) return;
    slot.entry.exitedAt = nowMs;
    this.exited.push({ pid, slot });
  }

  /** Drops exited entries older than the delay. Cheap: call once per batch. */
  reap(nowMs: number): void {
    const q = this.exited;
    while (this.exitedHead < q.length && q[this.exitedHead].slot.entry.exitedAt + this.reapDelayMs <= nowMs) {
      this.dropExited();
    }
    this.compactQueue();
  }

  private dropExited(): void {
    const { pid, slot } = this.exited[this.exitedHead++];
    // The pid may have been reused by a newer process since: only drop the exited one.
    if (this.slots.get(pid) === slot) this.slots.delete(pid);
  }

  private compactQueue(): void {
    if (this.exitedHead > 1024 && this.exitedHead * 2 > this.exited.length) {
      this.exited.splice(0, this.exitedHead);
      this.exitedHead = 0;
    }
  }

  private lookupMissing(pid: number, c: EventCreds): Slot {
    let e: ProcEntry | null = null;
    if (!this.procMisses.has(pid)) {
      e = readProcess(pid, this.bootToEpochNs, this.procRoot);
      if (e === null) {
        if (this.procMisses.size >= this.maxEntries) this.procMisses.clear();
        this.procMisses.add(pid);
      }
    }
    e ??= fromHeader(pid, c);
    return this.put(e);
  }

  private put(e: ProcEntry): Slot {
    const slot: Slot = {
      entry: e,
      ancestor: { pid: e.pid, exe: e.exe, name: e.name, cmdline: e.cmdline },
      snap: undefined,
      snapGen: 0,
    };
    this.slots.delete(e.pid); // re-insert: Map order is then age since last (re)creation
    this.slots.set(e.pid, slot);
    this.procMisses.delete(e.pid);
    if (this.slots.size > this.maxEntries) this.evict();
    return slot;
  }

  private evict(): void {
    while (this.slots.size > this.maxEntries && this.exitedHead < this.exited.length) this.dropExited();
    this.compactQueue();
    for (const pid of this.slots.keys()) {
      if (this.slots.size <= this.maxEntries) break;
      this.slots.delete(pid);
    }
  }
}

/** The ProcessInfo of an entry: every field spelled out (one object shape, no spread). */
function snapshot(e: ProcEntry, tid: number, ancestors: Ancestor[]): ProcessInfo {
  return {
    pid: e.pid,
    tid,
    ppid: e.ppid,
    vpid: e.vpid,
    sid: e.sid,
    vpgid: e.vpgid,
    uid: e.uid,
    gid: e.gid,
    euid: e.euid,
    egid: e.egid,
    loginuid: e.loginuid,
    name: e.name,
    comm: e.comm,
    exe: e.exe,
    args: e.args,
    cmdline: e.cmdline,
    cwd: e.cwd,
    env: e.env,
    tty: e.tty,
    start_ts: e.start_ts,
    cap_effective: e.cap_effective,
    cap_permitted: e.cap_permitted,
    cap_inheritable: e.cap_inheritable,
    exe_ino: e.exe_ino,
    exe_dev: e.exe_dev,
    exe_ctime: e.exe_ctime,
    exe_mtime: e.exe_mtime,
    exe_writable: e.exe_writable,
    exe_upper_layer: e.exe_upper_layer,
    exe_from_memfd: e.exe_from_memfd,
    container_id: e.container_id,
    cgroup: e.cgroup,
    ancestors,
  };
}

/** What the record header alone tells about a process nobody could look up. */
function fromHeader(pid: number, c: EventCreds): ProcEntry {
  return {
    ...unknownProcessFacts(pid),
    ppid: c.ppid,
    uid: c.uid,
    gid: c.gid,
    euid: c.euid,
    egid: c.egid,
    loginuid: c.loginuid,
    comm: c.comm,
    name: c.comm,
    cmdline: c.comm,
    exitedAt: 0,
  };
}
