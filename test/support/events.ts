/**
 * A complete VigilEvent for tests, with overrides: `makeEvent({ type: 'openat',
 * fd: { name: '/etc/shadow' } })`. Nested objects (proc, user, group, fd,
 * container, args, rawargs) merge one level deep over the defaults, so a test
 * states only what it is about. Defaults: `cat /etc/hostname` run by root from
 * bash under sshd, on the host (no container), an execve that succeeded.
 */
import type { FdInfo, VigilEvent } from '../../src/event/types.js';

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

export function makeEvent(o: EventOverrides = {}): VigilEvent {
  const { proc, user, group, fd, fd2, container, ...top } = o;
  const ev: VigilEvent = {
    type: 'execve',
    ts: DEFAULT_TS,
    ret: 0,
    proc: {
      pid: 4242,
      tid: 4242,
      ppid: 4200,
      vpid: 4242,
      sid: 4100,
      vpgid: 4242,
      uid: 0,
      gid: 0,
      euid: 0,
      egid: 0,
      loginuid: 1000,
      name: 'cat',
      comm: 'cat',
      exe: '/usr/bin/cat',
      args: ['cat', '/etc/hostname'],
      cmdline: 'cat /etc/hostname',
      cwd: '/root',
      env: ['HOME=/root', 'PATH=/usr/bin:/bin', 'TERM=xterm'],
      tty: 34816,
      start_ts: DEFAULT_TS - 2_000_000_000,
      cap_effective: 0,
      cap_permitted: 0,
      cap_inheritable: 0,
      exe_ino: 1234,
      exe_ctime: DEFAULT_TS - 86_400_000_000_000,
      exe_mtime: DEFAULT_TS - 86_400_000_000_000,
      exe_writable: false,
      exe_upper_layer: false,
      exe_from_memfd: false,
      container_id: '',
      cgroup: '/user.slice',
      ancestors: [
        { pid: 4200, exe: '/usr/bin/bash', name: 'bash', cmdline: 'bash' },
        { pid: 4100, exe: '/usr/sbin/sshd', name: 'sshd', cmdline: 'sshd: root@pts/0' },
        { pid: 1, exe: '/usr/lib/systemd/systemd', name: 'systemd', cmdline: '/sbin/init' },
      ],
      ...proc,
    },
    user: {
      uid: 0,
      name: 'root',
      loginuid: 1000,
      loginname: 'alice',
      homedir: '/root',
      shell: '/bin/bash',
      ...user,
    },
    group: { gid: 0, name: 'root', ...group },
    args: {},
    rawargs: {},
    ...top,
  };
  if (fd !== undefined) ev.fd = { type: 'file', name: '', ...fd };
  if (fd2 !== undefined) ev.fd2 = { type: 'file', name: '', ...fd2 };
  if (container !== undefined) ev.container = { id: ev.proc.container_id, ...container };
  return ev;
}
