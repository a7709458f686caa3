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
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TYPES, type EventType, type VigilEvent } from '../event/types.js';
import { packageRoot } from '../config/paths.js';
import { BpfError, BpfObject, type RingBufferStats } from './bpf-object.js';
import { bootToEpochNs } from './clock.js';
import { ContainerCatalog } from './container-info.js';
import { Decoder } from './decode.js';
import type { PodDirectory } from './k8s-pods.js';
import { LAYOUT, VG_EVT_MAX, WIRE_VALUE_BY_TYPE } from './layout.js';
import { ensureMounts, type MountResult } from './mounts.js';
import type { OpenFilterPlan } from './open-filter.js';
import { OpenFilterMaps, type OpenFilterStats } from './open-filter-maps.js';
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
  /** The kernel-side open prefilter for the loaded rules (open-filter.ts); default: off. */
  openFilter?: OpenFilterPlan;
  /** Kubernetes pod metadata for containers in pods (default: container ids only). */
  pods?: PodDirectory;
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

/** Program names of each event type (beyond enter_<type> / exit_<type>). */
const PROGRAMS_OF: Partial<Record<EventType, string[]>> = {
  execve: ['sched_exec'],
  clone: ['sched_fork'],
  procexit: ['sched_exit'],
  chdir: ['enter_chdir', 'exit_chdir', 'enter_fchdir', 'exit_fchdir'],
  kill: ['enter_kill', 'exit_kill', 'sig_generate'],
  tkill: ['enter_tkill', 'exit_tkill', 'sig_generate'],
  tgkill: ['enter_tgkill', 'exit_tgkill', 'sig_generate'],
  pidfd_send_signal: ['enter_pidfd_send_signal', 'exit_pidfd_send_signal', 'sig_generate'],
};
/** Kept whatever is asked for: they maintain the process table (chdir: proc.cwd). */
const ALWAYS: EventType[] = ['execve', 'clone', 'procexit', 'chdir'];
export const ALWAYS_ON_TYPES: readonly EventType[] = ALWAYS;

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
  private readonly openFilter: OpenFilterMaps;

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
      containers: new ContainerCatalog(opts.pods ?? null),
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
    const { object, missing } = await openAndLoad(objectPath, types, opts.ringBytes, opts.reuseMaps);
    let sensor: Sensor | undefined;
    try {
      writeConfig(object);
      let want: Uint8Array | undefined;
      if (types !== undefined) {
        want = new Uint8Array(VG_EVT_MAX);
        for (const t of types) want[WIRE_VALUE_BY_TYPE.get(t)!] = 1;
      }
      sensor = new Sensor(object, want, opts.onEvents, opts);
      sensor.unavailableTypes = missing;
      if (opts.openFilter) sensor.setOpenFilter(opts.openFilter);
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
      // paid for) rather than in copies of it (64 queued batches were up to 16 MiB more RSS).
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
    for (const l of this.object.links()) this.object.detach(l.id);
    if (drain) await this.object.stopRingBuffer();
    const stats = this.stats();
    this.stopped = true;
    this.object.close();
    this.users.close();
    return stats;
  }
}

/** Programs that stand in for a type's tracepoints where the kernel has none (CONFIG_MODULES=n). */
const FALLBACK_OF: Partial<Record<EventType, string[]>> = {
  init_module: ['sys_exit_module'],
  finit_module: ['sys_exit_module'],
};

const TRACEFS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** Whether the kernel has the tracepoint a `tracepoint/...` section names (other kinds: assumed). */
function attachable(section: string): boolean {
  if (!section.startsWith('tracepoint/')) return true;
  const tp = section.slice('tracepoint/'.length);
  return TRACEFS.some((root) => existsSync(join(root, 'events', tp)));
}

/** The programs to load for these types, and the types this kernel cannot report. */
export function choosePrograms(
  programs: readonly { name: string; section: string }[],
  types: Iterable<EventType>,
  canAttach: (section: string) => boolean = attachable,
): { load: Set<string>; missing: EventType[] } {
  const section = new Map(programs.map((p) => [p.name, p.section]));
  const usable = (names: string[]): boolean =>
    names.every((n) => section.has(n) && canAttach(section.get(n)!));
  const load = new Set<string>();
  const missing: EventType[] = [];
  for (const t of new Set([...ALWAYS, ...types])) {
    // enter_<type> only where the object has one (the open family reads its arguments at exit).
    const main = PROGRAMS_OF[t] ?? [`enter_${t}`, `exit_${t}`].filter((n, i) => i === 1 || section.has(n));
    const fallback = FALLBACK_OF[t];
    const chosen = usable(main) ? main : fallback && usable(fallback) ? fallback : null;
    if (chosen === null) missing.push(t);
    else for (const n of chosen) load.add(n);
  }
  return { load, missing };
}

function openObject(
  path: string,
  types: ReadonlySet<EventType> | undefined,
  ringBytes?: number,
  reuseMaps?: Record<string, BpfObject>,
): { object: BpfObject; missing: EventType[] } {
  try {
    const probe = BpfObject.open(path);
    const programs = probe.programs();
    probe.close();
    const { load, missing } = choosePrograms(programs, types ?? EVENT_TYPES);
    const autoload = Object.fromEntries(programs.map((p) => [p.name, load.has(p.name)]));
    const object = BpfObject.open(path, {
      autoload,
      mapMaxEntries: ringBytes !== undefined ? { vg_events: ringBytes } : undefined,
      reuseMaps,
    });
    return { object, missing };
  } catch (err) {
    throw unavailable(`opening ${path} failed`, err);
  }
}

/**
 * Opens and loads the object. EAGAIN from the kernel (seen while other BPF
 * objects load at the same moment on a busy host) is retried a few times; libbpf
 * loads an object only once, so each attempt opens it afresh.
 */
async function openAndLoad(
  path: string,
  types: ReadonlySet<EventType> | undefined,
  ringBytes: number | undefined,
  reuseMaps?: Record<string, BpfObject>,
): Promise<{ object: BpfObject; missing: EventType[] }> {
  for (let attempt = 1; ; attempt++) {
    const opened = openObject(path, types, ringBytes, reuseMaps);
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

function writeConfig(object: BpfObject): void {
  const value = Buffer.alloc(LAYOUT.vg_config.size);
  value.writeUInt32LE(process.pid, LAYOUT.vg_config.fields.agent_tgid);
  object.mapUpdate('vg_config', new Uint8Array(4), value);
}

function unavailable(what: string, err: unknown): SensorUnavailable {
  const msg = err instanceof BpfError || err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new SensorUnavailable(`${what}: ${msg}`);
}
