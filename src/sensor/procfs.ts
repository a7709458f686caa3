/**
 * One process as /proc shows it, in the process table's shape: used to seed
 * the table at start and for a pid the kernel reports before the table has
 * seen it (a race at start). Synchronous on purpose: a handful of small reads,
 * once per process, and the caller needs the answer before it can go on.
 */
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import type { ProcEntry } from './process-table.js';
import { containerFromCgroup } from './cgroup-container.js';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux ABI). */
const USER_HZ = 100;
/** Bounds on what is kept from /proc, in line with what the kernel probes capture. */
const ARGS_MAX = 32 * 1024;
const ENV_MAX = 32 * 1024;

function read(path: string, max: number): string | null {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length > max ? text.slice(0, max) : text;
  } catch {
    return null;
  }
}

function link(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/** NUL-separated strings (cmdline, environ), without the trailing empty one. */
export function splitNul(s: string): string[] {
  if (s === '') return [];
  const parts = s.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * The cgroup path the kernel probe reports (events.h, vg_exec): the v2 path;
 * on hybrid hosts where the task sits in the v2 root, its v1 `pids` path;
 * when that is a root too, its v1 `memory` path; '/' when all three are roots.
 */
export function cgroupPathFromProc(text: string): string {
  let v2 = '';
  let pids = '';
  let memory = '';
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const controllers = line.slice(a + 1, b).split(',');
    const path = line.slice(b + 1);
    if (line.startsWith('0::')) v2 = path;
    else if (controllers.includes('pids')) pids = path;
    else if (controllers.includes('memory')) memory = path;
  }
  for (const p of [v2, pids, memory]) if (p !== '' && p !== '/') return p;
  return '/';
}

function statusField(status: string, key: string): string[] {
  const i = status.indexOf(`\n${key}:`);
  if (i < 0) return [];
  const end = status.indexOf('\n', i + 1);
  return status
    .slice(i + key.length + 2, end < 0 ? undefined : end)
    .trim()
    .split(/\s+/);
}

const lastNumber = (a: string[], dflt: number): number => (a.length ? Number(a[a.length - 1]) : dflt);
const hexCaps = (a: string[]): number => (a.length ? Number(BigInt(`0x${a[0]}`)) : 0);

/** Reads /proc/<pid>; null when the process is gone or unreadable. */
export function readProcess(pid: number, bootToEpochNs: number, root = '/proc'): ProcEntry | null {
  const dir = `${root}/${pid}`;
  const stat = read(`${dir}/stat`, 4096);
  const status = read(`${dir}/status`, 16384);
  if (stat === null || status === null) return null;
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const f = stat.slice(close + 2).split(' ');
  // Field n of stat(5) is f[n - 3] once "pid (comm)" is cut off.
  const ppid = Number(f[4 - 3]);
  const pgrp = Number(f[5 - 3]);
  const session = Number(f[6 - 3]);
  const tty = Number(f[7 - 3]);
  const startTicks = Number(f[22 - 3]);

  const uids = statusField(status, 'Uid').map(Number);
  const gids = statusField(status, 'Gid').map(Number);
  const loginRaw = Number(read(`${dir}/loginuid`, 32) ?? '4294967295');

  let exe = link(`${dir}/exe`) ?? '';
  const deleted = exe.endsWith(' (deleted)');
  if (deleted) exe = exe.slice(0, -' (deleted)'.length);
  let exeIno = 0;
  let exeDev = 0;
  let exeCtime = 0;
  let exeMtime = 0;
  try {
    const s = statSync(`${dir}/exe`, { bigint: true });
    exeIno = Number(s.ino);
    exeDev = Number(s.dev);
    exeCtime = Number(s.ctimeNs);
    exeMtime = Number(s.mtimeNs);
  } catch {
    // kernel threads have no exe
  }
  const args = splitNul(read(`${dir}/cmdline`, ARGS_MAX) ?? '');
  const env = splitNul(read(`${dir}/environ`, ENV_MAX) ?? '');
  const cgroup = cgroupPathFromProc(read(`${dir}/cgroup`, 16384) ?? '');
  // Falco's proc.name: the comm (see decode/process.ts).
  const name = comm || exe.slice(exe.lastIndexOf('/') + 1);

  return {
    pid,
    ppid,
    vpid: lastNumber(statusField(status, 'NSpid'), pid),
    sid: lastNumber(statusField(status, 'NSsid'), session),
    vpgid: lastNumber(statusField(status, 'NSpgid'), pgrp),
    uid: uids[0] ?? 0,
    gid: gids[0] ?? 0,
    euid: uids[1] ?? 0,
    egid: gids[1] ?? 0,
    loginuid: loginRaw === 4294967295 ? -1 : loginRaw,
    comm,
    name,
    exe,
    args,
    cmdline: cmdlineOf(name, args),
    cwd: link(`${dir}/cwd`) ?? '',
    env,
    tty,
    start_ts: Math.round((startTicks / USER_HZ) * 1e9 + bootToEpochNs),
    cap_effective: hexCaps(statusField(status, 'CapEff')),
    cap_permitted: hexCaps(statusField(status, 'CapPrm')),
    cap_inheritable: hexCaps(statusField(status, 'CapInh')),
    exe_ino: exeIno,
    exe_dev: exeDev,
    exe_ctime: exeCtime,
    exe_mtime: exeMtime,
    exe_writable: false,
    exe_upper_layer: false,
    exe_from_memfd: exe.startsWith('/memfd:'),
    cgroup,
    container_id: containerFromCgroup(cgroup).id,
    exitedAt: 0,
  };
}

/** Falco's proc.cmdline: the executable's name, then argv[1..]. */
export function cmdlineOf(name: string, args: readonly string[]): string {
  if (args.length <= 1) return name;
  return `${name} ${args.slice(1).join(' ')}`;
}
