/**
 * The libbpf loader addon (native/), typed. This is the only module that loads the .node file.
 *
 * Lifecycle: `BpfObject.open(path, options)` opens an object file (nothing in the kernel yet),
 * `load()` loads its maps and programs, `attach(program)` attaches one program and returns a link
 * id, `close()` detaches every link, stops the ring buffer reader and frees the object. Objects
 * still open when the process exits (or its environment is torn down) are closed then, so no
 * program stays attached. After `close()` every method throws a BpfError with code 'EBADF'.
 *
 * Opening parses the file in a forked child first (libbpf 1.1 segfaults on some corrupt .BTF
 * sections; a crash there becomes a BpfError). That costs a fork per open.
 *
 * Errors: every failure of libbpf or the kernel is a {@link BpfError} carrying `errno`, `code`
 * ('EPERM', 'ENOENT', or libbpf's own 'LIBBPF_ERRNO__FORMAT' etc. for malformed objects), `op`,
 * what libbpf printed during the call (`libbpfLog`, also appended to the message) and, when the
 * verifier rejected a program, `verifierLog`. Wrong argument types throw TypeError/RangeError.
 *
 * Ring buffer: `openRingBuffer(map, onBatch)` starts one reader thread per object. It copies each
 * record into a batch framed as `[u32 length][u32 0][length bytes][zero pad to 8]` (host byte
 * order, little-endian on every platform vigil runs on) and calls `onBatch` with one Buffer per
 * batch when the next record would not fit in `batchBytes` (default 256 KiB) or `maxWaitMs`
 * (default 5 ms) after the batch's first record. At most `maxQueuedBatches` (default 64) wait for
 * JavaScript; when JavaScript falls behind, the reader blocks, the kernel ring fills and the BPF
 * side sees failed reservations (which it must count): memory stays bounded. Walk a batch with
 * {@link forEachRecord}. An exception thrown by `onBatch` is an uncaught exception. The reader
 * sleeps until the kernel wakes it; records submitted with BPF_RB_NO_WAKEUP are still picked up
 * within `maxWaitMs` while a batch is open, within 2 ms after a read that found records, or within
 * 50 ms when the reader is idle (vigil's probes wake it for a record unless their CPU did so in the
 * last millisecond, so the read 2 ms after finds those). With `flushWhenIdle` and a ring of 4 MiB
 * or more, the reader ignores the ring's wakeups while it holds a batch that is not due: it reads
 * the ring when the batch is due. A batch starts at 16 KiB and doubles up to `batchBytes`. The ring's data pages are mapped once (libbpf's reader maps them twice),
 * so the ring counts once in the RSS.
 *
 * Maps: keys and values are raw bytes in the kernel's layout. Per-CPU maps are read with
 * `mapLookupPercpu` (one Buffer per possible CPU); to write one, pass a value of
 * `numPossibleCpus() * roundUp8(valueSize)` bytes to `mapUpdate`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../config/paths.js';

export interface BpfErrorDetails {
  errno: number;
  code: string;
  op: string;
  libbpfLog: string;
  verifierLog?: string;
}

export class BpfError extends Error {
  readonly errno: number;
  readonly code: string;
  /** What was attempted, e.g. `load build/bpf/sensors.bpf.o` or `attach on_exec`. */
  readonly op: string;
  /** What libbpf printed (warnings and info) during the failed call; may be empty. */
  readonly libbpfLog: string;
  /** The verifier's log when the kernel rejected a program. */
  readonly verifierLog?: string;

  constructor(message: string, details: BpfErrorDetails) {
    super(message);
    this.name = 'BpfError';
    this.errno = details.errno;
    this.code = details.code;
    this.op = details.op;
    this.libbpfLog = details.libbpfLog;
    if (details.verifierLog !== undefined) this.verifierLog = details.verifierLog;
  }
}

export interface OpenOptions {
  /** Per-program autoload, applied before load: `false` leaves the program out of the kernel. */
  autoload?: Record<string, boolean>;
  /** Per-map max_entries, applied before load (a ring buffer's size in bytes: a power of 2). */
  mapMaxEntries?: Record<string, number>;
  /** BTF of the running kernel when /sys/kernel/btf/vmlinux is missing. */
  btfCustomPath?: string;
  /** Maps to share instead of create: the same-named map of another, already loaded object. */
  reuseMaps?: Record<string, BpfObject>;
}

export interface ProgramInfo {
  name: string;
  /** ELF section, which decides how `attach` attaches it, e.g. `tracepoint/sched/sched_process_exec`. */
  section: string;
  /** libbpf's name of the program type: 'tracepoint', 'raw_tracepoint', 'tracing', 'lsm', ... */
  type: string;
  autoload: boolean;
  loaded: boolean;
  /** The kernel's program id (as `bpftool prog show` lists it) once loaded, else null. */
  id: number | null;
}

export interface MapInfo {
  name: string;
  /** libbpf's name of the map type: 'ringbuf', 'hash', 'percpu_array', ... */
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export interface AttachOptions {
  /** For cgroup programs (cgroup/connect4, cgroup_skb/..., sockops): a cgroup v2 directory. */
  cgroupPath?: string;
}

export interface LinkInfo {
  id: number;
  program: string;
}

export interface RingBufferOptions {
  /** A batch is handed over when the next record would not fit (default 256 KiB). */
  batchBytes?: number;
  /** ... or this long after its first record (default 5 ms). */
  maxWaitMs?: number;
  /** Batches waiting for JavaScript before the reader blocks (default 64). */
  maxQueuedBatches?: number;
  /**
   * Also hand a batch over when the ring is read dry while JavaScript has no batch to handle, once
   * the batch is 2 ms old (default false): batches then grow only as large as JavaScript's backlog
   * or 2 ms of records, for low latency without waking JavaScript for every few records.
   */
  flushWhenIdle?: boolean;
}

export interface RingBufferStats {
  /** Records, batches and bytes handed to JavaScript so far. */
  records: number;
  batches: number;
  bytes: number;
  /** Times the reader found the queue full and waited for JavaScript. */
  stalls: number;
  running: boolean;
  /** Why the reader stopped on its own (e.g. 'ENOMEM'), or null. */
  error: string | null;
}

/** bpf_map_update_elem flags. */
export const MapUpdate = { any: 0, noExist: 1, exist: 2 } as const;

/** Bytes before each record in a batch: u32 length, u32 reserved (0). */
export const RECORD_HEADER_BYTES = 8;

/**
 * Calls fn(offset, length) for each record of a ring buffer batch, where the record's bytes are
 * batch[offset .. offset + length). Allocates nothing per record. Returns the record count.
 */
export function forEachRecord(batch: Uint8Array, fn: (offset: number, length: number) => void): number {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const end = batch.byteLength;
  let offset = 0;
  let count = 0;
  while (offset + RECORD_HEADER_BYTES <= end) {
    const length = view.getUint32(offset, true);
    const start = offset + RECORD_HEADER_BYTES;
    if (start + length > end)
      throw new RangeError(`ring buffer batch: record at ${offset} overruns the batch`);
    fn(start, length);
    count++;
    offset = start + ((length + 7) & ~7);
  }
  return count;
}

interface NativeBpfObject {
  readonly closed: boolean;
  readonly loaded: boolean;
  load(): void;
  programs(): ProgramInfo[];
  maps(): MapInfo[];
  attach(program: string, options?: AttachOptions): number;
  detach(linkId: number): void;
  links(): LinkInfo[];
  openRingBuffer(map: string, onBatch: (batch: Buffer) => void, options?: RingBufferOptions): void;
  stopRingBuffer(): Promise<void>;
  ringBufferStats(): RingBufferStats | null;
  mapLookup(map: string, key: Uint8Array): Buffer | null;
  mapLookupPercpu(map: string, key: Uint8Array): Buffer[] | null;
  mapUpdate(map: string, key: Uint8Array, value: Uint8Array, flags?: number): void;
  mapDelete(map: string, key: Uint8Array): boolean;
  mapKeys(map: string, limit?: number): Buffer[];
  close(): void;
}

interface NativeOpenOptions extends Omit<OpenOptions, 'reuseMaps'> {
  reuseMaps?: Record<string, NativeBpfObject>;
}

interface Addon {
  BpfObject: new (path: string, options?: NativeOpenOptions) => NativeBpfObject;
  setErrorClass(ctor: typeof BpfError): void;
  libbpfVersion(): string;
  numPossibleCpus(): number;
  probeProgramType(type: string): boolean;
  probeMapType(type: string): boolean;
  probeHelper(programType: string, helperId: number): boolean;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(fd: number, signal: number): void;
}

const ADDON_PATH = join('native', 'build', 'Release', 'vigil_bpf.node');
let loadedAddon: Addon | undefined;

/** The addon sits at native/build/Release in the package root. */
function findAddon(): string | undefined {
  const path = join(packageRoot(), ADDON_PATH);
  return existsSync(path) ? path : undefined;
}

function addon(): Addon {
  if (loadedAddon) return loadedAddon;
  const path = findAddon();
  if (path === undefined) {
    const op = 'load the vigil_bpf addon';
    throw new BpfError(`${op}: ${ADDON_PATH} is not built (run \`make native\`)`, {
      errno: 2,
      code: 'ENOENT',
      op,
      libbpfLog: '',
    });
  }
  const loaded = createRequire(import.meta.url)(path) as Addon;
  loaded.setErrorClass(BpfError);
  loadedAddon = loaded;
  return loaded;
}

const openObjects = new Set<BpfObject>();
let exitHookInstalled = false;

function closeOpenObjects(): void {
  for (const object of [...openObjects]) object.close();
}

export class BpfObject {
  private constructor(
    private readonly native: NativeBpfObject,
    /** The object file this was opened from. */
    readonly path: string,
  ) {}

  /** Opens an object file and applies the options; nothing reaches the kernel before load(). */
  static open(path: string, options: OpenOptions = {}): BpfObject {
    const { reuseMaps, ...rest } = options;
    const nativeOptions: NativeOpenOptions = { ...rest };
    if (reuseMaps) {
      nativeOptions.reuseMaps = Object.fromEntries(
        Object.entries(reuseMaps).map(([name, object]) => [name, object.native]),
      );
    }
    const object = new BpfObject(new (addon().BpfObject)(path, nativeOptions), path);
    openObjects.add(object);
    if (!exitHookInstalled) {
      process.once('exit', closeOpenObjects);
      exitHookInstalled = true;
    }
    return object;
  }

  get loaded(): boolean {
    return this.native.loaded;
  }

  get closed(): boolean {
    return this.native.closed;
  }

  /** Loads maps and the programs whose autoload is on. Verifier rejections carry `verifierLog`. */
  load(): void {
    this.native.load();
  }

  programs(): ProgramInfo[] {
    return this.native.programs();
  }

  maps(): MapInfo[] {
    return this.native.maps();
  }

  /**
   * Attaches a loaded program by its section: tracepoint/CAT/NAME, raw_tracepoint/X, raw_tp/X,
   * tp_btf/X, lsm/X, lsm.s/X (and whatever else libbpf auto-attaches), or, for cgroup programs,
   * to `options.cgroupPath`. Returns the link id for detach().
   */
  attach(program: string, options?: AttachOptions): number {
    return this.native.attach(program, options);
  }

  detach(linkId: number): void {
    this.native.detach(linkId);
  }

  links(): LinkInfo[] {
    return this.native.links();
  }

  /** Starts the reader thread on a ring buffer map (one reader per object at a time). */
  openRingBuffer(map: string, onBatch: (batch: Buffer) => void, options?: RingBufferOptions): void {
    this.native.openRingBuffer(map, onBatch, options);
  }

  /**
   * Stops the reader after it has read what is in the ring now; resolves once every batch has
   * been handed to onBatch. (close() instead stops at once and drops undelivered batches.)
   * Resolves at once when no reader runs, also after close().
   */
  stopRingBuffer(): Promise<void> {
    return this.native.stopRingBuffer();
  }

  /** Counters of the current (or last) reader; null if none was started. */
  ringBufferStats(): RingBufferStats | null {
    return this.native.ringBufferStats();
  }

  /** The value for key, or null when there is none. */
  mapLookup(map: string, key: Uint8Array): Buffer | null {
    return this.native.mapLookup(map, key);
  }

  /** One value per possible CPU (index = CPU number), or null when the key is absent. */
  mapLookupPercpu(map: string, key: Uint8Array): Buffer[] | null {
    return this.native.mapLookupPercpu(map, key);
  }

  mapUpdate(map: string, key: Uint8Array, value: Uint8Array, flags: number = MapUpdate.any): void {
    this.native.mapUpdate(map, key, value, flags);
  }

  /** True if the key was there. */
  mapDelete(map: string, key: Uint8Array): boolean {
    return this.native.mapDelete(map, key);
  }

  /** The map's keys, at most `limit` and never more than its max_entries. */
  mapKeys(map: string, limit?: number): Buffer[] {
    return this.native.mapKeys(map, limit);
  }

  /** Detaches every link, stops the reader, frees the object. Idempotent. */
  close(): void {
    this.native.close();
    openObjects.delete(this);
  }
}

export function libbpfVersion(): string {
  return addon().libbpfVersion();
}

export function numPossibleCpus(): number {
  return addon().numPossibleCpus();
}

/** Whether the kernel loads programs of this type (libbpf's name, e.g. 'lsm', 'tracing'). */
export function probeProgramType(type: string): boolean {
  return addon().probeProgramType(type);
}

/** Whether the kernel creates maps of this type (libbpf's name, e.g. 'ringbuf'). */
export function probeMapType(type: string): boolean {
  return addon().probeMapType(type);
}

/** Whether programs of this type may call the helper (its number in enum bpf_func_id). */
export function probeHelper(programType: string, helperId: number): boolean {
  return addon().probeHelper(programType, helperId);
}

/** pidfd_open(2): an fd that names this process and no later one with the same pid. Close it. */
export function pidfdOpen(pid: number): number {
  return addon().pidfdOpen(pid);
}

/** pidfd_send_signal(2): signals the process the pidfd names (ESRCH once it has exited). */
export function pidfdSendSignal(fd: number, signal: number): void {
  addon().pidfdSendSignal(fd, signal);
}
