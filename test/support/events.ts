/**
 * A complete VigilEvent for tests, with overrides: `makeEvent({ type: 'openat',
 * fd: { name: '/etc/shadow' } })`. Nested objects (proc, user, group, fd,
 * container, args, rawargs) merge one level deep over the defaults, so a test
 * states only what it is about. Defaults: `cat /etc/hostname` run by root from
 * bash under sshd, on the host (no container), an execve that succeeded.
 *
 * The event itself is built by the rule tests' sampleEvent (one factory for
 * every test event); these are only this file's defaults on top of its own.
 */
import type { FdInfo, VigilEvent } from '../../src/event/types.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';

export type EventOverrides = Partial<
  Omit<VigilEvent, 'proc' | 'user' | 'group' | 'fd' | 'fd2' | 'container'>
> & {
  proc?: Partial<VigilEvent['proc']>;
  user?: Partial<VigilEvent['user']>;
  group?: Partial<VigilEvent['group']>;
  fd?: Partial<FdInfo>;
  fd2?: Partial<FdInfo>;
  container?: Partial<NonNullable<VigilEvent['container']>>;
};

/** 2026-11-23T21:00:00.1234568Z (a double: ns are approximate at this magnitude). */
export const DEFAULT_TS = 1_795_467_600_123_456_800;

/** Where these defaults differ from sampleEvent's (fresh arrays each time: a test may change its event). */
const proc = (): Partial<VigilEvent['proc']> => ({
  sid: 4100,
  loginuid: 1000,
  name: 'cat',
  comm: 'cat',
  args: ['cat', '/etc/hostname'],
  cmdline: 'cat /etc/hostname',
  env: ['HOME=/root', 'PATH=/usr/bin:/bin', 'TERM=xterm'],
  tty: 34816,
  start_ts: DEFAULT_TS - 2_000_000_000,
  exe_ino: 1234,
  exe_ctime: DEFAULT_TS - 86_400_000_000_000,
  exe_mtime: DEFAULT_TS - 86_400_000_000_000,
  cgroup: '/user.slice',
  ppid: 4200,
  ancestors: [
    { pid: 4200, exe: '/usr/bin/bash', name: 'bash', cmdline: 'bash' },
    { pid: 4100, exe: '/usr/sbin/sshd', name: 'sshd', cmdline: 'sshd: root@pts/0' },
    { pid: 1, exe: '/usr/lib/systemd/systemd', name: 'systemd', cmdline: '/sbin/init' },
  ],
});
const USER: Partial<VigilEvent['user']> = { loginuid: 1000, loginname: 'alice' };

export function makeEvent(o: EventOverrides = {}): VigilEvent {
  const { proc: p, user, group, fd, fd2, container, ...top } = o;
  // Given in full, name, comm, cmdline and ppid are not derived from exe, args or ancestors again.
  const ev = sampleEvent({
    type: 'execve',
    ts: DEFAULT_TS,
    ...top,
    proc: { ...proc(), ...p },
    user: { ...USER, ...user },
    group,
  });
  // One level deep, as documented: a test's args or rawargs replace the defaults (none) whole.
  ev.args = top.args ?? {};
  ev.rawargs = top.rawargs ?? {};
  if (fd !== undefined) ev.fd = { type: 'file', name: '', ...fd };
  if (fd2 !== undefined) ev.fd2 = { type: 'file', name: '', ...fd2 };
  if (container !== undefined) ev.container = { id: ev.proc.container_id, ...container };
  return ev;
}
