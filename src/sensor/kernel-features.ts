/**
 * What this kernel and this process allow vigil to do, found by trying: each
 * program type vigil uses is loaded and attached for an instant from a probe
 * object (bpf/doctor/probes.bpf.c) through the addon, as the sensors will be,
 * because a type the kernel knows can still be refused at load or attach.
 *
 * Used by `vigil doctor` (which prints the checks) and by the agent (which
 * reads `features` to pick LSM enforcement or the kill fallback).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../config/paths.js';
// The facade loads the addon only when an object is opened: a missing addon is reported, not fatal.
import { BpfObject, libbpfVersion } from './bpf-object.js';
import { podSourceReport } from './k8s-pods.js';

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
  /** The kubelet's pod directory (config kubernetes.pods_dir). */
  podsDir?: string;
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

interface Mount {
  source: string;
  target: string;
  type: string;
}

export function mounts(): Mount[] {
  return (readText('/proc/self/mounts') ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [source, target, type] = l.split(' ');
      // /proc/self/mounts escapes spaces and friends as octal.
      return {
        source,
        target: target.replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))),
        type,
      };
    });
}

const mountOf = (type: string): string | null => mounts().find((m) => m.type === type)?.target ?? null;

async function ensureMounted(type: string, target: string): Promise<string | null> {
  const found = mountOf(type);
  if (found) return found;
  // Fixed argv, no shell.
  await promisify(execFile)('mount', ['-t', type, type, target]);
  return mountOf(type);
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

const MEANING: Record<ProgramKind, [ok: string, missing: string]> = {
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

export async function probeKernelFeatures(opts: ProbeOptions = {}): Promise<KernelFeatures> {
  const checks: FeatureCheck[] = [];
  const add = (id: string, title: string, status: CheckStatus, detail: string, meaning: string) =>
    checks.push({ id, title, status, detail, meaning });
  const isRoot = process.geteuid?.() === 0;
  const mount = opts.mount ?? isRoot;
  let fatal = false;

  // Kernel version.
  const rel = release();
  const ver = parseKernelRelease(rel);
  const oldKernel =
    ver !== null && (ver[0] < MIN_KERNEL[0] || (ver[0] === MIN_KERNEL[0] && ver[1] < MIN_KERNEL[1]));
  fatal ||= oldKernel;
  add(
    'kernel',
    'kernel version',
    oldKernel ? 'fail' : 'ok',
    rel,
    oldKernel
      ? `vigil needs Linux ${MIN_KERNEL.join('.')}+ (BPF ring buffer)`
      : 'recent enough for the BPF ring buffer',
  );

  // BTF.
  const btf = existsSync('/sys/kernel/btf/vmlinux');
  fatal ||= !btf;
  add(
    'btf',
    'kernel BTF',
    btf ? 'ok' : 'fail',
    btf ? '/sys/kernel/btf/vmlinux' : 'missing',
    btf ? 'CO-RE objects relocate to this kernel' : 'vigil needs CONFIG_DEBUG_INFO_BTF to load its probes',
  );

  // Privileges.
  const caps = effectiveCaps();
  const canLoad =
    hasCap(caps, CAP.CAP_SYS_ADMIN) || (hasCap(caps, CAP.CAP_BPF) && hasCap(caps, CAP.CAP_PERFMON));
  fatal ||= !canLoad;
  const capNames = Object.entries(CAP)
    .filter(([, bit]) => hasCap(caps, bit))
    .map(([n]) => n);
  add(
    'privileges',
    'privileges',
    canLoad ? 'ok' : 'fail',
    `uid ${process.geteuid?.()}, ${capNames.length ? capNames.join(' ') : 'no relevant capabilities'}`,
    canLoad
      ? 'may load and attach BPF programs'
      : 'vigil needs root (or CAP_BPF + CAP_PERFMON + CAP_SYS_RESOURCE, CAP_NET_ADMIN for network hooks)',
  );

  // tracefs, securityfs, cgroup v2, bpffs.
  let tracefs = mountOf('tracefs');
  let tracefsNote = '';
  if (!tracefs && mount) {
    try {
      tracefs = await ensureMounted('tracefs', '/sys/kernel/tracing');
      tracefsNote = ' (mounted now, as the agent does)';
    } catch (err) {
      tracefsNote = ` (mount failed: ${errorText(err)})`;
    }
  }
  add(
    'tracefs',
    'tracefs',
    tracefs ? 'ok' : 'warn',
    (tracefs ?? 'not mounted') + tracefsNote,
    tracefs
      ? 'tracepoints can be attached'
      : 'the agent mounts it at start; tracepoints cannot attach without it',
  );

  let securityfs = mountOf('securityfs');
  if (!securityfs && mount) {
    try {
      securityfs = await ensureMounted('securityfs', '/sys/kernel/security');
    } catch {
      // Reported below as an unknown LSM list.
    }
  }
  const lsmList = securityfs ? readText(join(securityfs, 'lsm'))?.trim() : undefined;
  const bpfLsmActive = lsmList?.split(',').includes('bpf') ?? false;
  add(
    'lsm_list',
    'BPF LSM in active LSMs',
    bpfLsmActive ? 'ok' : 'warn',
    lsmList ? `lsm=${lsmList}` : 'unknown (securityfs not mounted)',
    bpfLsmActive
      ? 'the kernel runs BPF LSM hooks (the load test below decides)'
      : 'bpf is not in the LSM list (boot with lsm=...,bpf): no in-kernel deny',
  );

  const lockdownText = securityfs ? readText(join(securityfs, 'lockdown')) : null;
  const lockdown = lockdownText ? parseLockdown(lockdownText) : null;
  const confidential = lockdown === 'confidentiality';
  fatal ||= confidential;
  add(
    'lockdown',
    'lockdown mode',
    confidential ? 'fail' : lockdown === 'integrity' ? 'info' : 'ok',
    lockdown ?? 'none (no lockdown LSM)',
    confidential
      ? 'confidentiality lockdown forbids reading kernel memory from BPF: the sensors cannot run'
      : lockdown === 'integrity'
        ? 'bpf_probe_write_user is blocked (vigil does not use it); reading kernel memory is allowed'
        : 'no restriction on BPF',
  );

  const cgroup2 = mountOf('cgroup2');
  add(
    'cgroup2',
    'cgroup v2',
    cgroup2 ? 'ok' : 'warn',
    cgroup2 ?? 'not mounted',
    cgroup2
      ? 'container ids from cgroup paths; network hooks attach here'
      : 'no cgroup v2: no network deny, container ids from cgroup v1 paths only',
  );

  const bpffs = mountOf('bpf');
  add(
    'bpffs',
    'BPF filesystem',
    bpffs ? 'ok' : 'info',
    bpffs ?? 'not mounted',
    bpffs ? 'maps and links can be pinned' : 'not needed: vigil pins nothing',
  );

  // Ring buffer memory: since 5.11 BPF memory is charged to the cgroup, not RLIMIT_MEMLOCK.
  const memlock = memlockLimit();
  const memcgAccounting = ver !== null && (ver[0] > 5 || (ver[0] === 5 && ver[1] >= 11));
  const ringBytes = opts.ringBufferBytes ?? 16 * 1024 * 1024;

  // Program types, through the addon.
  let libbpf: string | null = null;
  let addonError: string | null = null;
  try {
    libbpf = libbpfVersion();
  } catch (err) {
    addonError = errorText(err);
  }
  fatal ||= addonError !== null;
  add(
    'addon',
    'BPF loader addon',
    addonError ? 'fail' : 'ok',
    addonError ?? `libbpf ${libbpf}`,
    addonError ? 'vigil cannot load any program: build it with make' : 'programs load through libbpf',
  );

  const object = opts.probeObject ?? defaultProbeObject();
  const programs = {} as Record<ProgramKind, string | null>;
  let sendSignal: string | null;
  let ringError: string | null;
  const cannotTry =
    !canLoad || !btf
      ? 'not tried: no privileges or no BTF'
      : addonError !== null
        ? 'not tried: the addon is not built'
        : !existsSync(object)
          ? `probe object ${object} is not built; run make`
          : null;
  if (cannotTry !== null) {
    const why = cannotTry;
    for (const kind of Object.keys(PROGRAM_PROBES) as ProgramKind[]) programs[kind] = why;
    sendSignal = why;
    ringError = why;
  } else {
    for (const [kind, program] of Object.entries(PROGRAM_PROBES) as [ProgramKind, string][]) {
      const needsCgroup = kind === 'cgroup_sock_addr';
      programs[kind] =
        needsCgroup && !cgroup2
          ? 'no cgroup v2 mount to attach to'
          : tryProgram(object, program, needsCgroup ? { cgroupPath: cgroup2 ?? '' } : {});
    }
    sendSignal = tryProgram(object, 'probe_send_signal', { attach: false });
    ringError = tryProgram(object, null, { ringBytes });
  }

  const memlockText = `memlock limit ${
    memlock === null ? 'unlimited' : memlock === undefined ? 'unknown' : `${memlock} bytes`
  }${memcgAccounting ? ' (not used: BPF memory is charged to the cgroup)' : ''}`;
  if (cannotTry !== null) {
    add(
      'ringbuf',
      'ring buffer memory',
      'info',
      `${ringBytes} bytes not checked (${cannotTry}); ${memlockText}`,
      'unknown until the probes can be tried',
    );
  } else {
    add(
      'ringbuf',
      'ring buffer memory',
      ringError ? 'fail' : 'ok',
      `${ringBytes} bytes ${ringError ? `failed: ${ringError}` : 'allocated'}; ${memlockText}`,
      ringError
        ? 'the configured ring buffer cannot be created: lower sensors.ring_buffer_bytes or raise the limit'
        : 'the configured ring buffer fits',
    );
    fatal ||= ringError !== null;
  }

  for (const kind of Object.keys(PROGRAM_PROBES) as ProgramKind[]) {
    const err = programs[kind];
    const [okMeaning, missingMeaning] = MEANING[kind];
    const required = kind === 'tracepoint';
    fatal ||= required && err !== null;
    add(
      `prog_${kind}`,
      `${kind} programs`,
      err === null ? 'ok' : required ? 'fail' : 'warn',
      err === null ? 'loaded and attached' : `unavailable: ${err}`,
      err === null ? okMeaning : missingMeaning,
    );
  }
  add(
    'send_signal',
    'bpf_send_signal',
    sendSignal === null ? 'ok' : 'warn',
    sendSignal === null ? 'accepted by the verifier' : `unavailable: ${sendSignal}`,
    sendSignal === null
      ? 'kill actions can signal the offending process from the kernel (the syscall itself still completes)'
      : 'no in-kernel kill: kill actions are sent from user space, later',
  );

  const enforcement: Enforcement =
    programs.lsm === null ? 'lsm' : sendSignal === null ? 'kill-fallback' : 'none';
  add(
    'enforcement',
    'enforcement',
    enforcement === 'lsm' ? 'ok' : 'warn',
    enforcement,
    enforcement === 'lsm'
      ? 'deny in the kernel before the operation happens (BPF LSM), kill as well'
      : enforcement === 'kill-fallback'
        ? 'kill fallback: deny rules kill the process from the tracepoint; the operation itself is not prevented'
        : 'no enforcement: rules with actions only alert',
  );

  const pods = podSourceReport(opts.podsDir ?? '/var/log/pods');
  add('k8s_metadata', 'pod metadata', 'info', pods.detail, pods.meaning);

  return { checks, programs, sendSignal, cgroup2, enforcement, canRun: !fatal };
}
