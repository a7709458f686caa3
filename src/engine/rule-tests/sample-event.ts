/**
 * A complete VigilEvent from a partial one: rule test cases (and tests) write
 * only what matters to them. Objects merge deeply; arrays replace, except
 * `proc.ancestors`, whose entries each merge onto a default ancestor. Left
 * out, `proc.name`/`comm` follow `proc.exe`, `proc.cmdline` follows
 * `proc.args`, and an ancestor's `name` follows its `exe`, as the sensor
 * fills them: the file name, cut to the kernel's 15-byte comm.
 */
import type { Ancestor, VigilEvent } from '../../event/types.js';
import { unknownProcess } from '../../event/unknown-process.js';

export type DeepPartial<T> = T extends readonly (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

// 2024-11-23T21:00:00.123456768Z (a double holds ns since the epoch to 256 ns here).
const TS = 1732395600123456768;

function defaults(): VigilEvent {
  return {
    type: 'openat',
    ts: TS,
    ret: 0,
    proc: {
      ...unknownProcess(4242),
      ppid: 4200,
      sid: 4200,
      vpgid: 4242,
      name: 'cat',
      comm: 'cat',
      exe: '/usr/bin/cat',
      args: ['cat'],
      cmdline: 'cat',
      cwd: '/root',
      start_ts: TS - 60_000_000_000,
      cgroup: '/',
      ancestors: [{ pid: 4200, exe: '/usr/bin/bash', name: 'bash', cmdline: 'bash' }],
    },
    user: { uid: 0, name: 'root', loginuid: -1, loginname: '', homedir: '/root', shell: '/bin/bash' },
    group: { gid: 0, name: 'root' },
    args: {},
    rawargs: {},
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

/** The comm the kernel sets at exec: the file name, 15 bytes at most. */
const commOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1).slice(0, 15);

export function sampleEvent(partial: DeepPartial<VigilEvent> = {}): VigilEvent {
  const ev = merge(defaults(), { ...partial, proc: { ...partial.proc, ancestors: undefined } }) as VigilEvent;
  const p = partial.proc ?? {};
  if (p.exe !== undefined && p.name === undefined) ev.proc.name = commOf(p.exe);
  if (p.comm === undefined && (p.exe !== undefined || p.name !== undefined))
    ev.proc.comm = ev.proc.name.slice(0, 15);
  if (p.args !== undefined && p.cmdline === undefined) ev.proc.cmdline = (p.args as string[]).join(' ');
  if (p.ancestors !== undefined) {
    ev.proc.ancestors = (p.ancestors as DeepPartial<Ancestor>[]).map((a, i) => {
      const exe = a.exe ?? `/usr/bin/ancestor${i + 1}`;
      return {
        pid: a.pid ?? 4200 - i * 10,
        exe,
        name: a.name ?? commOf(exe),
        cmdline: a.cmdline ?? a.name ?? commOf(exe),
      };
    });
  }
  if (partial.proc?.ppid === undefined && ev.proc.ancestors.length > 0)
    ev.proc.ppid = ev.proc.ancestors[0].pid;
  return ev;
}
