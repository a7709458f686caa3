/**
 * The Sensor: loads the probes of build/bpf/sensors.bpf.o for the event types
 * asked for (exec, fork and exit always, for the process table), reads the ring
 * buffer, decodes each batch and hands the wanted events to the consumer.
 * (chdir is always on too: it keeps proc.cwd.)
 *
 * The consumer gets one array per ring buffer batch (up to 256 KiB of records,
 * or 5 ms): one call per batch instead of per event keeps the hot path a tight
 * loop, and lets consumers batch their own work (an SQLite transaction, one
 * write to stdout). The array and the events are the consumer's to keep; the
 * `proc`, `user` and `group` objects inside may be shared between events and
 * must be treated as read-only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_ROWS, EVENT_TYPES, rowOf, typesWhere, type EventType } from '../event/table.js';
import type { VigilEvent } from '../event/types.js';
import { packageRoot } from '../config/paths.js';
import { BpfError, BpfObject, type RingBufferStats } from '../kernel/bpf-object.js';
import { bootToEpochNs } from '../kernel/clock.js';
import { NO_CAPTURE, type CapturePlan } from './capture-plan.js';
import { ContainerCatalog } from './container-catalog.js';
import { ContainerMounts } from './container-mounts.js';
import { Decoder } from './decode/decoder.js';
import { FileIdentities } from './file-identities.js';
import type { PodDirectory } from './k8s-pods.js';
import { LAYOUT, VG_EVT_MAX, WIRE_VALUE_BY_TYPE } from '../kernel/layout.js';
import { ensureMounts, type MountResult } from '../kernel/mounts.js';
import type { FlagNeed, OpenFilterPlan } from './open-filter-plan.js';
import { OpenFilterMaps, type OpenFilterStats } from './open-filter-maps.js';
import { SOCK_DOMAINS, type SocketFilterPlan } from './socket-filter-plan.js';
import { ProcessTable } from './process-table.js';
import { UserDb } from './users.js';

/** A reason the sensors cannot run here, in one sentence for the user (no stack trace). */
export class SensorUnavailable extends Error {
  override name = 'SensorUnavailable';
}

export interface SensorOptions {
  /** evt.type values to deliver; undefined = every type the object has. */
  types?: ReadonlySet<EventType>;
  onEvents: (events: VigilEvent[]) => void;
  /** Default: build/bpf/sensors.bpf.o in the package. */
  objectPath?: string;
  /** Ring buffer size in bytes (a power of two); default: the object's (16 MiB). */
  ringBytes?: number;
  /** Maps shared with an already loaded object (src/enforce: the enforcement policy maps). */
  reuseMaps?: Record<string, BpfObject>;
  maxProcesses?: number;
  ancestorDepth?: number;
  /** Called with what had to be mounted (tracefs, securityfs, bpffs). */
  onMounts?: (results: MountResult[]) => void;
  /** The kernel-side open prefilter for the loaded rules (src/plan/open-filter.ts); default: off. */
  openFilter?: OpenFilterPlan;
  /**
   * The clone flags that make a wanted fork record wake the ring reader at once (src/plan/clone-wake.ts);
   * the others wait for the next record that does, in ring order. Default (null): every fork wakes it.
   */
  cloneWake?: bigint | null;
  /** The kernel-side socket(2) prefilter for the loaded rules (src/plan/socket-filter.ts); default: off. */
  socketFilter?: SocketFilterPlan;
  /** Kubernetes pod metadata for containers in pods (default: container ids only). */
  pods?: PodDirectory;
  /**
   * Load the stand-in programs of types the kernel has no tracepoints for (`fallback` in the event
   * table: module loading on a kernel without CONFIG_MODULES, where it can only fail); default off.
   */
  fallbacks?: boolean;
  /** What to read beyond the records for the loaded rules (src/plan/capture.ts); default: nothing. */
  capture?: CapturePlan;
  /** Container descriptions kept across sensor restarts (default: a new one over `pods`). */
  containers?: ContainerCatalog;
}

export interface SensorStats {
  /** Kernel counters, summed over CPUs. */
  kernelEvents: number;
  dropped: number;
  truncated: number;
  scratchFail: number;
  /** Records decoded in user space, and those that were not understood. */
  records: number;
  malformed: number;
  /** ns spent in decoding, process table included (not in the consumer). */
  decodeNs: number;
  ring: RingBufferStats | null;
  processes: number;
}

/** Kept whatever is asked for: they maintain the process table (chdir: proc.cwd). */
export const ALWAYS_ON_TYPES: readonly EventType[] = typesWhere((r) => r.always);

/** Process-table types whose records need not wake the reader when unwanted (chdir is rare). */
const QUIET_CANDIDATES: readonly EventType[] = ['execve', 'clone', 'procexit'];

/** How often the rules' exact files are stat'ed again (file-identities.ts). */
const IDENTITY_REFRESH_MS = 2000;

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

export function defaultObjectPath(): string {
  return join(packageRoot(), 'build/bpf/sensors.bpf.o');
}

/** Why this process cannot load the probes, or null. */
export function prerequisiteProblem(objectPath = defaultObjectPath()): string | null {
  if (process.getuid?.() !== 0) {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    const caps = m ? BigInt(`0x${m[1]}`) : 0n;
    const has = (c: bigint): boolean => ((caps >> c) & 1n) === 1n;
    if (!has(CAP_SYS_ADMIN) && !(has(CAP_BPF) && has(CAP_PERFMON))) {
      return 'vigil needs root (or CAP_BPF+CAP_PERFMON+CAP_SYS_RESOURCE+CAP_DAC_READ_SEARCH) to load its probes';
    }
  }
  if (!existsSync('/sys/kernel/btf/vmlinux')) {
    return 'this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): vigil needs a kernel built with CONFIG_DEBUG_INFO_BTF=y';
  }
  if (!existsSync(objectPath)) return `the probe object ${objectPath} is not built (run \`make bpf\`)`;
  return null;
}

export class Sensor {
  readonly table: ProcessTable;
  readonly users: UserDb;
  private readonly decoder: Decoder;
  private records = 0;
  /** Time spent decoding (and updating the process table), for the benchmark's capacity figure. */
  private decodeNs = 0;
  private stopped = false;
  /** Event types asked for that this kernel (or object) cannot report. */
  unavailableTypes: EventType[] = [];
  /** Types only a stand-in program could report, not loaded because `fallbacks` is off. */
  withheldTypes: EventType[] = [];
  private readonly openFilter: OpenFilterMaps;
  /** The rules' exact files by identity: the kernel's vg_of_ident and the decoder's names. */
  private readonly identities = new FileIdentities();
  private identityTimer: NodeJS.Timeout | undefined;
  /** What vg_sock_filter holds: per domain, the base types dropped. */
  private readonly sockDrop = new Uint32Array(SOCK_DOMAINS);

  private constructor(
    private readonly object: BpfObject,
    private readonly want: Uint8Array | undefined,
    private readonly onEvents: (events: VigilEvent[]) => void,
    opts: SensorOptions,
  ) {
    const offset = bootToEpochNs();
    this.openFilter = new OpenFilterMaps(object);
    this.users = new UserDb();
    this.table = new ProcessTable({
      bootToEpochNs: offset,
      maxEntries: opts.maxProcesses,
      ancestorDepth: opts.ancestorDepth,
    });
    this.decoder = new Decoder({
      table: this.table,
      users: this.users,
      bootToEpochNs: offset,
      containers: opts.containers ?? new ContainerCatalog(opts.pods ?? null),
      mounts: new ContainerMounts(),
      identities: this.identities,
    });
  }

  /**
   * Checks prerequisites, mounts what is missing, loads and attaches the probes,
   * seeds the process table and starts delivering events. Throws SensorUnavailable
   * with one sentence when something is missing.
   */
  static async start(opts: SensorOptions): Promise<Sensor> {
    const objectPath = opts.objectPath ?? defaultObjectPath();
    const problem = prerequisiteProblem(objectPath);
    if (problem !== null) throw new SensorUnavailable(problem);
    const mounted = await ensureMounts();
    opts.onMounts?.(mounted);

    const types = opts.types;
    const { object, missing, withheld } = await openAndLoad(objectPath, opts);
    let sensor: Sensor | undefined;
    try {
      let want: Uint8Array | undefined;
      if (types !== undefined) {
        want = new Uint8Array(VG_EVT_MAX);
        for (const t of types) want[WIRE_VALUE_BY_TYPE.get(t)!] = 1;
      }
      writeConfig(object, want, opts.cloneWake ?? null);
      sensor = new Sensor(object, want, opts.onEvents, opts);
      sensor.unavailableTypes = missing;
      sensor.withheldTypes = withheld;
      if (opts.openFilter) sensor.setOpenFilter(opts.openFilter);
      if (opts.socketFilter) sensor.setSocketFilter(opts.socketFilter);
      sensor.setCapture(opts.capture ?? NO_CAPTURE);
      for (const p of object.programs()) {
        if (!p.autoload) continue;
        try {
          object.attach(p.name);
        } catch (err) {
          throw unavailable(`attaching ${p.name} failed`, err);
        }
      }
      const s = sensor;
      // flushWhenIdle: a record never waits in the reader while JavaScript has nothing to do. A short
      // queue: while JavaScript is behind, the backlog waits in the kernel ring (memory already
      // paid for) rather than in copies of it.
      object.openRingBuffer('vg_events', (batch) => s.onBatch(batch), {
        flushWhenIdle: true,
        maxQueuedBatches: 8,
      });
      // Seeded after the probes are on, in this same tick: whatever starts from now on is in
      // the ring, and the ring's batches are decoded after this, on top of the seed.
      sensor.table.seedFromProc();
      return sensor;
    } catch (err) {
      sensor?.users.close();
      object.close();
      throw err;
    }
  }

  private onBatch(batch: Buffer): void {
    if (this.stopped) return;
    const events: VigilEvent[] = [];
    const t0 = process.hrtime.bigint();
    this.records += this.decoder.decodeBatch(batch, events, this.want);
    this.decodeNs += Number(process.hrtime.bigint() - t0);
    if (events.length > 0) this.onEvents(events);
  }

  /** Replaces the open prefilter (on a rule reload), atomically for the probes. */
  setOpenFilter(plan: OpenFilterPlan): void {
    this.openFilter.write(plan);
    this.identities.setPaths(plan.exact, prefixDirectories(plan));
    this.openFilter.writeIdentities(this.identities.list());
    // A file the rules name can be replaced (a new inode renamed over it): its identity follows.
    this.identityTimer ??= setInterval(() => {
      if (!this.object.closed && this.identities.refresh()) {
        this.openFilter.writeIdentities(this.identities.list());
      }
    }, IDENTITY_REFRESH_MS).unref();
  }

  /** Which fork records wake the reader at once (on a rule reload): see SensorOptions.cloneWake. */
  setCloneWake(wake: bigint | null): void {
    writeConfig(this.object, this.want, wake);
  }

  /**
   * Replaces the socket prefilter (on a rule reload). Each domain's entry goes from the old drop
   * set through what both drop to the new one, so a socket(2) racing the update is judged by the
   * old plan or the new, never by neither.
   */
  setSocketFilter(plan: SocketFilterPlan): void {
    const key = Buffer.alloc(4);
    const value = Buffer.alloc(4);
    const write = (d: number, drop: number): void => {
      if (this.sockDrop[d] === drop) return;
      key.writeUInt32LE(d);
      value.writeUInt32LE(drop);
      this.object.mapUpdate('vg_sock_filter', key, value);
      this.sockDrop[d] = drop;
    };
    for (let d = 0; d < SOCK_DOMAINS; d++) write(d, this.sockDrop[d] & plan.drop[d]);
    for (let d = 0; d < SOCK_DOMAINS; d++) write(d, plan.drop[d]);
  }

  /**
   * What the probes copy (evt.buffer's bytes per event type) and what the decoder reads (the
   * container's mounts per event type), for the loaded rules; again on a reload.
   */
  setCapture(plan: CapturePlan): void {
    const value = Buffer.alloc(4);
    for (const row of EVENT_ROWS) {
      if (!row.buffer) continue;
      value.writeUInt32LE(plan.buffer.get(row.type) ?? 0);
      const key = Buffer.alloc(4);
      key.writeUInt32LE(row.value);
      this.object.mapUpdate('vg_snaplen', key, value);
    }
    this.decoder.setMountTypes(plan.mounts);
  }

  /** Opens the prefilter dropped in the kernel, and those it reported. */
  openFilterStats(): OpenFilterStats {
    return this.object.closed ? { filtered: 0, passed: 0 } : this.openFilter.stats();
  }

  /** Kernel counters (summed over CPUs) and user-space counts, read now. */
  stats(): SensorStats {
    const f = LAYOUT.vg_stats.fields;
    const sum = { events: 0, dropped: 0, truncated: 0, scratch_fail: 0 };
    const perCpu = this.object.closed ? null : this.object.mapLookupPercpu('vg_stats', new Uint8Array(4));
    for (const v of perCpu ?? []) {
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) {
        sum[k] += Number(v.readBigUInt64LE(f[k]));
      }
    }
    return {
      kernelEvents: sum.events,
      dropped: sum.dropped,
      truncated: sum.truncated,
      scratchFail: sum.scratch_fail,
      records: this.records,
      malformed: this.decoder.malformed,
      decodeNs: this.decodeNs,
      ring: this.object.closed ? null : this.object.ringBufferStats(),
      processes: this.table.size,
    };
  }

  /**
   * Detaches the probes. With `drain` (default) the records already in the ring
   * are delivered first; the returned stats are the last ones.
   */
  async stop(drain = true): Promise<SensorStats> {
    if (this.stopped || this.object.closed) return this.stats();
    clearInterval(this.identityTimer);
    for (const l of this.object.links()) this.object.detach(l.id);
    if (drain) await this.object.stopRingBuffer();
    const stats = this.stats();
    this.stopped = true;
    this.object.close();
    this.users.close();
    return stats;
  }
}

/** The directories the plan's prefixes name ("/etc/" -> "/etc"), with their needs. */
function prefixDirectories(plan: OpenFilterPlan): Map<string, FlagNeed> {
  const dirs = new Map<string, FlagNeed>();
  for (const [k, need] of plan.prefixes) {
    if (k.length > 1 && k.endsWith('/')) dirs.set(k.slice(0, -1), need);
  }
  return dirs;
}

const TRACEFS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

let tracepointNames: Set<string> | undefined;

/** Every tracepoint's name (events/<system>/<name>), which a `tp_btf/<name>` section names. */
function tracepointsByName(): Set<string> {
  if (tracepointNames !== undefined) return tracepointNames;
  tracepointNames = new Set();
  for (const root of TRACEFS) {
    const events = join(root, 'events');
    if (!existsSync(events)) continue;
    for (const sys of readdirSync(events, { withFileTypes: true })) {
      if (!sys.isDirectory()) continue;
      for (const tp of readdirSync(join(events, sys.name))) tracepointNames.add(tp);
    }
    break;
  }
  return tracepointNames;
}

/** Whether the kernel has the tracepoint a `tracepoint/...` or `tp_btf/...` section names (others: assumed). */
export function attachable(section: string): boolean {
  if (section.startsWith('tp_btf/')) {
    const names = tracepointsByName();
    return names.size === 0 || names.has(section.slice('tp_btf/'.length)); // no tracefs: assumed
  }
  if (!section.startsWith('tracepoint/')) return true;
  const tp = section.slice('tracepoint/'.length);
  return TRACEFS.some((root) => existsSync(join(root, 'events', tp)));
}

/** What the sensor loads for a set of event types, and the types it leaves unreported. */
export interface ProgramChoice {
  load: Set<string>;
  /** Types neither the object nor the kernel can report. */
  missing: EventType[];
  /** Types only a stand-in (fallback) program could report, left out because fallbacks are off. */
  withheld: EventType[];
}

/** The programs to load for these types; stand-in programs only when `fallbacks` allows them. */
export function choosePrograms(
  programs: readonly { name: string; section: string }[],
  types: Iterable<EventType>,
  canAttach: (section: string) => boolean = attachable,
  fallbacks = false,
): ProgramChoice {
  const section = new Map(programs.map((p) => [p.name, p.section]));
  const usable = (names: readonly string[]): boolean =>
    names.every((n) => section.has(n) && canAttach(section.get(n)!));
  const choice: ProgramChoice = { load: new Set(), missing: [], withheld: [] };
  for (const t of new Set([...ALWAYS_ON_TYPES, ...types])) {
    const row = rowOf(t);
    // enter_<type> only where the object has one (the open family reads its arguments at exit).
    const main = row.programs ?? [`enter_${t}`, `exit_${t}`].filter((n, i) => i === 1 || section.has(n));
    const fallback = row.fallback !== undefined && usable(row.fallback) ? row.fallback : null;
    const chosen = usable(main) ? main : fallbacks ? fallback : null;
    if (chosen !== null)
      for (const n of [...chosen, ...row.extra.filter((e) => usable([e]))]) choice.load.add(n);
    else if (fallback !== null) choice.withheld.push(t);
    else choice.missing.push(t);
  }
  return choice;
}

type Opened = { object: BpfObject } & Omit<ProgramChoice, 'load'>;

function openObject(path: string, opts: SensorOptions): Opened {
  const { types, ringBytes, reuseMaps } = opts;
  try {
    const probe = BpfObject.open(path);
    const programs = probe.programs();
    probe.close();
    const { load, missing, withheld } = choosePrograms(
      programs,
      types ?? EVENT_TYPES,
      attachable,
      opts.fallbacks,
    );
    const autoload = Object.fromEntries(programs.map((p) => [p.name, load.has(p.name)]));
    const object = BpfObject.open(path, {
      autoload,
      mapMaxEntries: ringBytes !== undefined ? { vg_events: ringBytes } : undefined,
      reuseMaps,
    });
    return { object, missing, withheld };
  } catch (err) {
    throw unavailable(`opening ${path} failed`, err);
  }
}

/**
 * Opens and loads the object. EAGAIN from the kernel (seen while other BPF
 * objects load at the same moment on a busy host) is retried a few times; libbpf
 * loads an object only once, so each attempt opens it afresh.
 */
async function openAndLoad(path: string, opts: SensorOptions): Promise<Opened> {
  for (let attempt = 1; ; attempt++) {
    const opened = openObject(path, opts);
    try {
      opened.object.load();
      return opened;
    } catch (err) {
      opened.object.close();
      if (!(err instanceof BpfError && err.code === 'EAGAIN' && attempt < 5)) {
        throw unavailable('loading the probes failed', err);
      }
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/**
 * The agent's pid, and the quiet types: the process-table types (exec, fork, exit) the consumer
 * does not want, whose records wait for the next record that wakes the reader (vg_record.h).
 */
function writeConfig(object: BpfObject, want: Uint8Array | undefined, cloneWake: bigint | null): void {
  const f = LAYOUT.vg_config.fields;
  const value = Buffer.alloc(LAYOUT.vg_config.size);
  value.writeUInt32LE(process.pid, f.agent_tgid);
  let quiet = 0;
  for (const t of QUIET_CANDIDATES) {
    const v = WIRE_VALUE_BY_TYPE.get(t)!;
    if (want !== undefined && want[v] === 0) quiet |= 1 << v;
  }
  const clone = 1 << WIRE_VALUE_BY_TYPE.get('clone')!;
  // A wanted fork wakes the reader when it carries a flag a rule asks about, or always (null).
  if ((quiet & clone) === 0 && cloneWake !== null) {
    quiet |= clone;
    value.writeBigUInt64LE(cloneWake, f.clone_wake);
  }
  value.writeUInt32LE(quiet >>> 0, f.quiet);
  object.mapUpdate('vg_config', new Uint8Array(4), value);
}

function unavailable(what: string, err: unknown): SensorUnavailable {
  const msg = err instanceof BpfError || err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new SensorUnavailable(`${what}: ${msg}`);
}
