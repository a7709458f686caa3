/**
 * What this kernel and this process allow vigil to do, found by trying: each
 * program type vigil uses is loaded and attached for an instant from a probe
 * object (bpf/doctor/probes.bpf.c) through the addon, as the sensors will be,
 * because a type the kernel knows can still be refused at load or attach.
 *
 * The checks are one table (CHECKS), in the order `vigil doctor` prints them: each row names a
 * feature, probes it (reading what earlier rows found, in `Host`) and says what follows from
 * what it found. A row that fails means vigil cannot run here.
 *
 * Used by `vigil doctor` (which prints the checks) and by the agent (which
 * reads `features` to pick LSM enforcement or the kill fallback).
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../config/paths.js';
// The facade loads the addon only when an object is opened: a missing addon is reported, not fatal.
import { BpfObject, libbpfVersion } from './bpf-object.js';
import { ensureMounted, mountOf } from './mounts.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info';

export interface FeatureCheck {
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, e.g. "6.18.44" or "EPERM at load". */
  detail: string;
  /** What it means for detection and enforcement. */
  meaning: string;
}

/** The program types vigil uses; `sendSignal` is the bpf_send_signal helper. */
export const PROGRAM_PROBES = {
  tracepoint: 'probe_tracepoint',
  raw_tracepoint: 'probe_raw_tracepoint',
  tp_btf: 'probe_tp_btf',
  lsm: 'probe_lsm',
  fentry: 'probe_fentry',
  cgroup_sock_addr: 'probe_cgroup_sock_addr',
} as const;
export type ProgramKind = keyof typeof PROGRAM_PROBES;

export type Enforcement = 'lsm' | 'kill-fallback' | 'none';

export interface KernelFeatures {
  checks: FeatureCheck[];
  /** Each program type: null when it loads and attaches, else why not. */
  programs: Record<ProgramKind, string | null>;
  sendSignal: string | null;
  /** cgroup v2 mount point, or null. */
  cgroup2: string | null;
  enforcement: Enforcement;
  /** False when vigil cannot run at all (the doctor then exits non-zero). */
  canRun: boolean;
}

export interface ProbeOptions {
  /** The probe object; default build/bpf/doctor.bpf.o under the package root. */
  probeObject?: string;
  /** Ring buffer size to try (bytes, power of two); default 16 MiB, the config default. */
  ringBufferBytes?: number;
  /** Mount tracefs and securityfs when missing, as the agent does (default true when root). */
  mount?: boolean;
}

const CAP = {
  CAP_KILL: 5,
  CAP_NET_ADMIN: 12,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_RESOURCE: 24,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
};
const ALL_PROBES = [...Object.values(PROGRAM_PROBES), 'probe_send_signal'];
const MIN_KERNEL: [number, number] = [5, 8]; // BPF ring buffer

export function defaultProbeObject(): string {
  return join(packageRoot(), 'build', 'bpf', 'doctor.bpf.o');
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Effective capabilities of this process, from /proc/self/status. */
export function effectiveCaps(status = readText('/proc/self/status') ?? ''): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m ? BigInt('0x' + m[1]) : 0n;
}

const hasCap = (caps: bigint, bit: number): boolean => (caps & (1n << BigInt(bit))) !== 0n;

export function parseKernelRelease(rel: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** The bracketed mode of /sys/kernel/security/lockdown, e.g. "integrity". */
export function parseLockdown(text: string): string | null {
  return /\[(\w+)\]/.exec(text)?.[1] ?? null;
}

/** "Max locked memory" soft limit in bytes from /proc/self/limits; null is unlimited. */
export function memlockLimit(limits = readText('/proc/self/limits') ?? ''): number | null | undefined {
  const m = /^Max locked memory\s+(\S+)/m.exec(limits);
  if (!m) return undefined;
  return m[1] === 'unlimited' ? null : Number(m[1]);
}

function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const first = (e.message ?? String(err)).split('\n')[0];
  return e.code && !first.includes(e.code) ? `${e.code}: ${first}` : first;
}

/** Loads (and attaches unless `attach` is false) one probe program alone; null on success. */
function tryProgram(
  object: string,
  program: string | null,
  opts: { attach?: boolean; cgroupPath?: string; ringBytes?: number } = {},
): string | null {
  let obj: BpfObject | null = null;
  let phase = 'open';
  try {
    obj = BpfObject.open(object, {
      autoload: Object.fromEntries(ALL_PROBES.map((p) => [p, p === program])),
      mapMaxEntries: { probe_ring: opts.ringBytes ?? 4096 },
    });
    phase = 'load';
    obj.load();
    phase = 'attach';
    if (program && opts.attach !== false)
      obj.attach(program, opts.cgroupPath ? { cgroupPath: opts.cgroupPath } : {});
    return null;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EPERM' && (program === PROGRAM_PROBES.lsm || program === PROGRAM_PROBES.fentry)) {
      return `EPERM at ${phase}: the kernel refuses BPF trampolines here (lsm and fentry need them)`;
    }
    return code && /^E[A-Z]+$/.test(code) ? `${code} at ${phase} (${errorText(err)})` : errorText(err);
  } finally {
    obj?.close();
  }
}

/** What the rows have found so far: a row reads what the rows before it found. */
class Host {
  readonly mount: boolean;
  readonly object: string;
  readonly ringBytes: number;
  version: [number, number] | null = null;
  btf = false;
  canLoad = false;
  securityfs: string | null = null;
  cgroup2: string | null = null;
  addonError: string | null = null;
  readonly programs = {} as Record<ProgramKind, string | null>;
  sendSignal: string | null = null;
  enforcement: Enforcement = 'none';

  constructor(opts: ProbeOptions) {
    this.mount = opts.mount ?? process.geteuid?.() === 0;
    this.object = opts.probeObject ?? defaultProbeObject();
    this.ringBytes = opts.ringBufferBytes ?? 16 * 1024 * 1024;
  }

  /** Why the probe programs cannot be tried here, or null. */
  cannotTry(): string | null {
    if (!this.canLoad || !this.btf) return 'not tried: no privileges or no BTF';
    if (this.addonError !== null) return 'not tried: the addon is not built';
    if (!existsSync(this.object)) return `probe object ${this.object} is not built; run make`;
    return null;
  }

  /** Tries one probe program (null: the probe object's maps alone), unless nothing can be tried. */
  try(program: string | null, opts: Parameters<typeof tryProgram>[2] = {}): string | null {
    return this.cannotTry() ?? tryProgram(this.object, program, opts);
  }
}

type Outcome = Omit<FeatureCheck, 'id' | 'title'>;

interface CheckRow {
  id: string;
  title: string;
  /** Probes the feature and says what follows from what it found. */
  run: (host: Host) => Outcome | Promise<Outcome>;
}

/** The status, detail and meaning of a check that is either fine or not. */
function outcome(
  good: boolean,
  bad: CheckStatus,
  detail: string,
  meaning: [ok: string, not: string],
): Outcome {
  return { status: good ? 'ok' : bad, detail, meaning: good ? meaning[0] : meaning[1] };
}

function kernelVersion(host: Host): Outcome {
  const rel = release();
  host.version = parseKernelRelease(rel);
  const v = host.version;
  const old = v !== null && (v[0] < MIN_KERNEL[0] || (v[0] === MIN_KERNEL[0] && v[1] < MIN_KERNEL[1]));
  return outcome(!old, 'fail', rel, [
    'recent enough for the BPF ring buffer',
    `vigil needs Linux ${MIN_KERNEL.join('.')}+ (BPF ring buffer)`,
  ]);
}

function kernelBtf(host: Host): Outcome {
  host.btf = existsSync('/sys/kernel/btf/vmlinux');
  return outcome(host.btf, 'fail', host.btf ? '/sys/kernel/btf/vmlinux' : 'missing', [
    'CO-RE objects relocate to this kernel',
    'vigil needs CONFIG_DEBUG_INFO_BTF to load its probes',
  ]);
}

function privileges(host: Host): Outcome {
  const caps = effectiveCaps();
  host.canLoad =
    hasCap(caps, CAP.CAP_SYS_ADMIN) || (hasCap(caps, CAP.CAP_BPF) && hasCap(caps, CAP.CAP_PERFMON));
  const names = Object.entries(CAP)
    .filter(([, bit]) => hasCap(caps, bit))
    .map(([n]) => n);
  const detail = `uid ${process.geteuid?.()}, ${names.length ? names.join(' ') : 'no relevant capabilities'}`;
  return outcome(host.canLoad, 'fail', detail, [
    'may load and attach BPF programs',
    'vigil needs root (or CAP_BPF + CAP_PERFMON + CAP_SYS_RESOURCE, CAP_NET_ADMIN for network hooks)',
  ]);
}

async function tracefs(host: Host): Promise<Outcome> {
  let at = mountOf('tracefs');
  let note = '';
  if (!at && host.mount) {
    try {
      at = await ensureMounted('tracefs', '/sys/kernel/tracing');
      note = ' (mounted now, as the agent does)';
    } catch (err) {
      note = ` (mount failed: ${errorText(err)})`;
    }
  }
  return outcome(at !== null, 'warn', (at ?? 'not mounted') + note, [
    'tracepoints can be attached',
    'the agent mounts it at start; tracepoints cannot attach without it',
  ]);
}

async function lsmList(host: Host): Promise<Outcome> {
  host.securityfs = mountOf('securityfs');
  if (!host.securityfs && host.mount) {
    try {
      host.securityfs = await ensureMounted('securityfs', '/sys/kernel/security');
    } catch {
      // Reported as an unknown LSM list.
    }
  }
  const list = host.securityfs ? readText(join(host.securityfs, 'lsm'))?.trim() : undefined;
  const active = list?.split(',').includes('bpf') ?? false;
  return outcome(active, 'warn', list ? `lsm=${list}` : 'unknown (securityfs not mounted)', [
    'the kernel runs BPF LSM hooks (the load test below decides)',
    'bpf is not in the LSM list (boot with lsm=...,bpf): no in-kernel deny',
  ]);
}

function lockdown(host: Host): Outcome {
  const text = host.securityfs ? readText(join(host.securityfs, 'lockdown')) : null;
  const mode = text ? parseLockdown(text) : null;
  const detail = mode ?? 'none (no lockdown LSM)';
  if (mode === 'confidentiality') {
    const meaning = 'confidentiality lockdown forbids reading kernel memory from BPF: the sensors cannot run';
    return { status: 'fail', detail, meaning };
  }
  if (mode === 'integrity') {
    const meaning =
      'bpf_probe_write_user is blocked (vigil does not use it); reading kernel memory is allowed';
    return { status: 'info', detail, meaning };
  }
  return { status: 'ok', detail, meaning: 'no restriction on BPF' };
}

function cgroup2(host: Host): Outcome {
  host.cgroup2 = mountOf('cgroup2');
  return outcome(host.cgroup2 !== null, 'warn', host.cgroup2 ?? 'not mounted', [
    'container ids from cgroup paths; network hooks attach here',
    'no cgroup v2: no network deny, container ids from cgroup v1 paths only',
  ]);
}

function bpffs(): Outcome {
  const at = mountOf('bpf');
  return outcome(at !== null, 'info', at ?? 'not mounted', [
    'maps and links can be pinned',
    'not needed: vigil pins nothing',
  ]);
}

function addon(host: Host): Outcome {
  let libbpf = '';
  try {
    libbpf = libbpfVersion();
  } catch (err) {
    host.addonError = errorText(err);
  }
  return outcome(host.addonError === null, 'fail', host.addonError ?? `libbpf ${libbpf}`, [
    'programs load through libbpf',
    'vigil cannot load any program: build it with make',
  ]);
}

/** The configured ring buffer, allocated once from the probe object. */
function ringBuffer(host: Host): Outcome {
  // Since 5.11 BPF memory is charged to the cgroup, not RLIMIT_MEMLOCK.
  const v = host.version;
  const memcg = v !== null && (v[0] > 5 || (v[0] === 5 && v[1] >= 11));
  const memlock = memlockLimit();
  const limit = memlock === null ? 'unlimited' : memlock === undefined ? 'unknown' : `${memlock} bytes`;
  const memlockText = `memlock limit ${limit}${memcg ? ' (not used: BPF memory is charged to the cgroup)' : ''}`;
  const cannot = host.cannotTry();
  if (cannot !== null) {
    const detail = `${host.ringBytes} bytes not checked (${cannot}); ${memlockText}`;
    return { status: 'info', detail, meaning: 'unknown until the probes can be tried' };
  }
  const err = tryProgram(host.object, null, { ringBytes: host.ringBytes });
  return outcome(
    err === null,
    'fail',
    `${host.ringBytes} bytes ${err ? `failed: ${err}` : 'allocated'}; ${memlockText}`,
    [
      'the configured ring buffer fits',
      'the configured ring buffer cannot be created: lower sensors.ring_buffer_bytes or raise the limit',
    ],
  );
}

/** One program type: what it gives when it loads and attaches, and what is lost when not. */
const PROGRAM_MEANING: Record<ProgramKind, [ok: string, missing: string]> = {
  tracepoint: [
    'syscall tracepoints: file, network and process events are seen',
    'no syscall tracepoints: vigil cannot detect anything',
  ],
  raw_tracepoint: [
    'raw tracepoints available',
    'raw tracepoints missing: the sensors fall back to plain tracepoints',
  ],
  tp_btf: [
    'BTF-typed tracepoints: exec/fork/exit read kernel structures directly',
    'no tp_btf: process events use plain scheduler tracepoints',
  ],
  lsm: [
    'BPF LSM: rules with action deny block the operation in the kernel',
    'no BPF LSM programs: deny is not possible; enforcement falls back to killing the process (kill fallback)',
  ],
  fentry: [
    'fentry: kernel function entry probes available for richer context',
    'no fentry: detection uses tracepoints only (no loss for the bundled rules)',
  ],
  cgroup_sock_addr: [
    'cgroup connect/bind hooks: network deny returns EPERM to the caller',
    'no cgroup socket hooks: network deny is not possible',
  ],
};

/** A program type's row: only syscall tracepoints are required. */
function programRow(kind: ProgramKind): CheckRow {
  const run = (host: Host): Outcome => {
    const program = PROGRAM_PROBES[kind];
    const err =
      kind !== 'cgroup_sock_addr'
        ? host.try(program)
        : (host.cannotTry() ??
          (host.cgroup2
            ? host.try(program, { cgroupPath: host.cgroup2 })
            : 'no cgroup v2 mount to attach to'));
    host.programs[kind] = err;
    const detail = err === null ? 'loaded and attached' : `unavailable: ${err}`;
    return outcome(err === null, kind === 'tracepoint' ? 'fail' : 'warn', detail, PROGRAM_MEANING[kind]);
  };
  return { id: `prog_${kind}`, title: `${kind} programs`, run };
}

function sendSignal(host: Host): Outcome {
  host.sendSignal = host.try('probe_send_signal', { attach: false });
  const err = host.sendSignal;
  return outcome(err === null, 'warn', err === null ? 'accepted by the verifier' : `unavailable: ${err}`, [
    'kill actions can signal the offending process from the kernel (the syscall itself still completes)',
    'no in-kernel kill: kill actions are sent from user space, later',
  ]);
}

const ENFORCEMENT_MEANING: Record<Enforcement, string> = {
  lsm: 'deny in the kernel before the operation happens (BPF LSM), kill as well',
  'kill-fallback':
    'kill fallback: deny rules kill the process from the tracepoint; the operation itself is not prevented',
  none: 'no enforcement: rules with actions only alert',
};

function enforcement(host: Host): Outcome {
  const e: Enforcement =
    host.programs.lsm === null ? 'lsm' : host.sendSignal === null ? 'kill-fallback' : 'none';
  host.enforcement = e;
  return { status: e === 'lsm' ? 'ok' : 'warn', detail: e, meaning: ENFORCEMENT_MEANING[e] };
}

/** Every check, in the order they are probed and printed. */
const CHECKS: readonly CheckRow[] = [
  { id: 'kernel', title: 'kernel version', run: kernelVersion },
  { id: 'btf', title: 'kernel BTF', run: kernelBtf },
  { id: 'privileges', title: 'privileges', run: privileges },
  { id: 'tracefs', title: 'tracefs', run: tracefs },
  { id: 'lsm_list', title: 'BPF LSM in active LSMs', run: lsmList },
  { id: 'lockdown', title: 'lockdown mode', run: lockdown },
  { id: 'cgroup2', title: 'cgroup v2', run: cgroup2 },
  { id: 'bpffs', title: 'BPF filesystem', run: bpffs },
  { id: 'addon', title: 'BPF loader addon', run: addon },
  { id: 'ringbuf', title: 'ring buffer memory', run: ringBuffer },
  ...(Object.keys(PROGRAM_PROBES) as ProgramKind[]).map(programRow),
  { id: 'send_signal', title: 'bpf_send_signal', run: sendSignal },
  { id: 'enforcement', title: 'enforcement', run: enforcement },
];

export async function probeKernelFeatures(opts: ProbeOptions = {}): Promise<KernelFeatures> {
  const host = new Host(opts);
  const checks: FeatureCheck[] = [];
  for (const row of CHECKS) checks.push({ id: row.id, title: row.title, ...(await row.run(host)) });
  return {
    checks,
    programs: host.programs,
    sendSignal: host.sendSignal,
    cgroup2: host.cgroup2,
    enforcement: host.enforcement,
    canRun: !checks.some((c) => c.status === 'fail'),
  };
}
