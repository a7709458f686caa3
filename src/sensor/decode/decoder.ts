/**
 * Ring buffer batches -> VigilEvents. A batch is what the addon hands over:
 * records framed as [u32 len][u32 0][record][pad to 8]. Each record is read in
 * place through one DataView over the batch (no per-record copies); strings are
 * sliced out only where the event needs them. Process records (exec, clone,
 * exit, chdir) also update the process table, whether or not their events are
 * wanted, so that every other event resolves its process.
 *
 * This file walks the framing, reads the header every record starts with and dispatches on the
 * record's family to the family's decoder (one file each, as bpf/tracepoints/ has one per
 * family), which reads its payload through the batch's RecordReader.
 */
import type { EventRow, EventType } from '../../event/table.js';
import type { ContainerInfo, GroupInfo, ProcessInfo, UserInfo, VigilEvent } from '../../event/types.js';
import { EXEC_STR, HDR_F_DENIED, HDR_F_KILLED, LAYOUT, WIRE_BY_VALUE } from '../../kernel/layout.js';
import { AgentBpfObjects } from '../agent-bpf-objects.js';
import { ContainerCatalog } from '../container-catalog.js';
import { ContainerMounts } from '../container-mounts.js';
import { FileIdentities } from '../file-identities.js';
import type { EventCreds, ProcessTable } from '../process-table.js';
import { splitNul } from '../procfs.js';
import type { UserDb } from '../users.js';
import { decodeCred } from './cred.js';
import { decodeDup } from './fd.js';
import { decodeFile } from './file.js';
import { decodeNet } from './net.js';
import { decodeExec, decodeExit, decodeFork, decodeProcOp } from './process.js';
import { decodeSignal } from './signal.js';

const H = LAYOUT.vg_hdr.fields;
const HDR_SIZE = LAYOUT.vg_hdr.size;
const FRAME_HEADER = 8;
const U32 = 4294967296;

export interface DecoderOptions {
  table: ProcessTable;
  users: UserDb;
  bootToEpochNs: number;
  /** The agent's pid, which signal and ptrace targets are compared with (default: this process). */
  agentPid?: number;
  /** event.container for each container id (default: ids only, no pod metadata). */
  containers?: ContainerCatalog;
  /** The agent's BPF objects, which bpf(2) targets are compared with (default: agentPid's). */
  agentObjects?: AgentBpfObjects;
  /** Reads containers' mounts (default: from /proc), for the event types setMountTypes names only. */
  mounts?: ContainerMounts;
  /** The rules' exact files by identity, which name the opens of them (default: none). */
  identities?: FileIdentities;
}

/**
 * What the family decoders read a record with: the batch being decoded (one DataView over it),
 * the header's fields, the payload's strings, and the process, user, group and container every
 * event carries. Per-batch state lives in fields so that a family decoder needs no arguments
 * beyond the record's offsets.
 */
export class RecordReader {
  b: Buffer = Buffer.alloc(0);
  dv: DataView = new DataView(new ArrayBuffer(0));
  nowMs = 0;
  readonly table: ProcessTable;
  readonly offsetNs: number;
  readonly agentPid: number;
  readonly agentObjects: AgentBpfObjects;
  readonly identities: FileIdentities;
  private readonly users: UserDb;
  private userCache = new Map<number, UserInfo>();
  private groupCache = new Map<number, GroupInfo>();
  private usersGen = -1;
  private readonly containers: ContainerCatalog;
  private readonly mounts: ContainerMounts;
  /** Event types whose events carry the container's mounts (some rule reads container.mount*). */
  mountTypes: ReadonlySet<EventType> = new Set();
  private readonly envMemo = new Map<string, string[]>();

  constructor(opts: DecoderOptions) {
    this.table = opts.table;
    this.users = opts.users;
    this.offsetNs = opts.bootToEpochNs;
    this.agentPid = opts.agentPid ?? process.pid;
    this.agentObjects = opts.agentObjects ?? new AgentBpfObjects(this.agentPid);
    this.containers = opts.containers ?? new ContainerCatalog();
    this.mounts = opts.mounts ?? new ContainerMounts();
    this.identities = opts.identities ?? new FileIdentities();
  }

  /** Starts a batch: the records are read from `batch` from now on. */
  startBatch(batch: Buffer): void {
    this.b = batch;
    this.dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    this.nowMs = Date.now();
    if (this.users.generation !== this.usersGen) this.resetUserCaches();
  }

  // ---- header ------------------------------------------------------------

  u64(o: number): number {
    return this.dv.getUint32(o, true) + this.dv.getUint32(o + 4, true) * U32;
  }

  s64(o: number): number {
    return this.dv.getUint32(o, true) + this.dv.getInt32(o + 4, true) * U32;
  }

  pid(rec: number): number {
    return this.dv.getUint32(rec + H.pid, true);
  }

  flags(rec: number): number {
    return this.dv.getUint16(rec + H.flags, true);
  }

  /** Bit i: the family's string i was cut. */
  truncated(rec: number): number {
    return this.dv.getUint32(rec + H.truncated, true);
  }

  creds(rec: number): EventCreds {
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
  cstr(o: number, max: number): string {
    const b = this.b;
    let e = o;
    const lim = o + max;
    while (e < lim && b[e] !== 0) e++;
    return b.toString('latin1', o, e);
  }

  /** The common part of every event. */
  base(w: EventRow, rec: number, proc: ProcessInfo, creds: EventCreds): VigilEvent {
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
      container: this.containerOf(w.type, proc),
    };
  }

  /** The event's container; with its mounts, read now, when a rule reads them on this type. */
  private containerOf(type: EventType, proc: ProcessInfo): ContainerInfo | undefined {
    const c = this.containers.of(proc);
    if (c === undefined || !this.mountTypes.has(type)) return c;
    const mounts = this.mounts.of(proc.pid, type === 'execve');
    return mounts === undefined ? c : { ...c, mounts };
  }

  /** An event of the process the header names, as the process table has it. */
  event(w: EventRow, rec: number): VigilEvent {
    const c = this.creds(rec);
    return this.base(w, rec, this.table.info(this.pid(rec), c), c);
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
  strings(rec: number, strStart: number, lenAt: number, count: number): number[] {
    const size = this.dv.getUint32(rec + H.size, true);
    const at: number[] = [strStart];
    let o = strStart;
    for (let i = 0; i < count; i++) {
      o += this.dv.getUint16(lenAt + 2 * i, true);
      at.push(Math.min(o, rec + size));
    }
    return at;
  }

  utf8(s: number[], i: number): string {
    return s[i] >= s[i + 1] ? '' : this.b.toString('utf8', s[i], s[i + 1]);
  }

  /**
   * envp as entries. Children of one shell mostly share one environment: the
   * last few distinct ones are kept, and their arrays shared (read-only).
   */
  envOf(s: number[]): string[] {
    const raw = this.utf8(s, EXEC_STR.env);
    let env = this.envMemo.get(raw);
    if (env === undefined) {
      env = splitNul(raw);
      if (this.envMemo.size >= 64) this.envMemo.delete(this.envMemo.keys().next().value!);
      this.envMemo.set(raw, env);
    }
    return env;
  }
}

export class Decoder {
  private readonly r: RecordReader;
  /** Records that were not understood (unknown type, size that does not fit). */
  malformed = 0;

  constructor(opts: DecoderOptions) {
    this.r = new RecordReader(opts);
  }

  /** The event types whose events carry their container's mounts (src/plan/capture.ts). */
  setMountTypes(types: ReadonlySet<EventType>): void {
    this.r.mountTypes = types;
  }

  /**
   * Decodes every record of a batch. Events whose wire type has a nonzero entry
   * in `want` (all when `want` is undefined) are appended to `out`.
   * Returns the number of records read.
   */
  decodeBatch(batch: Buffer, out: VigilEvent[], want?: Uint8Array): number {
    const r = this.r;
    r.startBatch(batch);
    const dv = r.dv;
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
        const flags = dv.getUint16(rec + H.flags, true);
        if ((flags & HDR_F_DENIED) !== 0) DENIALS.set(ev, dv.getUint32(rec + H.deny_rule, true));
        else if ((flags & HDR_F_KILLED) !== 0) KILLS.set(ev, dv.getUint32(rec + H.deny_rule, true));
        out.push(ev);
      }
      o = rec + ((len + 7) & ~7);
    }
    r.table.reap(r.nowMs);
    return n;
  }

  /** Decodes one record (no framing) at `rec`; null when not wanted or not understood. */
  private decodeAt(rec: number, len: number, want: Uint8Array | undefined): VigilEvent | null {
    const r = this.r;
    const dv = r.dv;
    const typeValue = dv.getUint16(rec + H.type, true);
    const w = WIRE_BY_VALUE[typeValue];
    if (w === undefined || dv.getUint32(rec + H.size, true) > len) {
      this.malformed++;
      return null;
    }
    // A denial's record is always wanted: it carries the alert of the rule that denied.
    const wanted =
      want === undefined || want[typeValue] !== 0 || (dv.getUint16(rec + H.flags, true) & HDR_F_DENIED) !== 0;
    // Only the process table's records change state: other unwanted records can be skipped whole.
    if (!wanted && !w.always) return null;
    const p = rec + HDR_SIZE;
    switch (w.family) {
      case 'exec':
        return decodeExec(r, w, rec, p, wanted);
      case 'fork':
        return decodeFork(r, w, rec, p, wanted);
      case 'exit':
        return decodeExit(r, w, rec, p, wanted);
      case 'proc_op':
        return decodeProcOp(r, w, rec, p, wanted);
      case 'cred':
        return decodeCred(r, w, rec, p);
      case 'file':
        return decodeFile(r, w, rec, p);
      case 'net':
        return decodeNet(r, w, rec, p);
      case 'dup':
        return decodeDup(r, w, rec, p);
      case 'signal':
        return decodeSignal(r, w, rec, p);
    }
  }
}

/** Events decoded from a BPF LSM denial's record, and the policy rule id that denied (0: self-protection). */
const DENIALS = new WeakMap<VigilEvent, number>();

/** Events whose process a probe killed (enforcement), and the policy rule id that matched. */
const KILLS = new WeakMap<VigilEvent, number>();

/** The policy rule id of the kill a probe carried out on this event's process, or undefined. */
export function killOf(ev: VigilEvent): number | undefined {
  return KILLS.get(ev);
}

/** The rule id of the BPF LSM denial this event reports (0: self-protection), or undefined. */
export function denialOf(ev: VigilEvent): number | undefined {
  return DENIALS.get(ev);
}
