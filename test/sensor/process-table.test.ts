import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootToEpochNs } from '../../src/kernel/clock.js';
import { type EventCreds, type ProcEntry, ProcessTable } from '../../src/sensor/process-table.js';
import { cgroupPathFromProc, cmdlineOf, readProcess } from '../../src/sensor/procfs.js';

const offset = bootToEpochNs();
const creds = (tid: number, ppid: number, uid = 0): EventCreds => ({
  tid,
  ppid,
  uid,
  gid: 0,
  euid: uid,
  egid: 0,
  loginuid: -1,
  comm: 'x',
});

function execEntry(pid: number, ppid: number, exe: string, args: string[]): ProcEntry {
  const e = readProcess(process.pid, offset)!;
  const name = exe.slice(exe.lastIndexOf('/') + 1);
  return { ...e, pid, ppid, exe, name, args, cmdline: cmdlineOf(name, args), exitedAt: 0 };
}

test('seeded from /proc: this process with its exe, argv, cwd, parent chain and start time', () => {
  const t = new ProcessTable({ bootToEpochNs: offset });
  assert.ok(t.seedFromProc() > 1);
  const me = t.info(process.pid, creds(process.pid, process.ppid, process.getuid!()));
  assert.equal(me.exe, process.execPath);
  assert.deepEqual(me.args, readFileSync('/proc/self/cmdline', 'utf8').split('\0').slice(0, -1));
  assert.equal(me.cwd, process.cwd());
  assert.equal(me.name, 'node');
  assert.equal(me.ppid, process.ppid);
  assert.equal(me.ancestors[0]?.pid, process.ppid);
  assert.ok(me.ancestors.length >= 1);
  assert.equal(me.ancestors.at(-1)!.pid, 1, 'the chain reaches init');
  // Started before now, and not long before this test file loaded (seconds, not a timing assertion on speed).
  const nowNs = Date.now() * 1e6;
  assert.ok(me.start_ts < nowNs && me.start_ts > nowNs - 3600e9, `start_ts ${me.start_ts}`);
  assert.ok(me.env.some((kv) => kv.startsWith('PATH=')));
});

test('clone inherits the parent, exec replaces, chdir updates, exit is reaped after the delay', () => {
  const t = new ProcessTable({ bootToEpochNs: offset, reapDelayMs: 1000 });
  t.onExec(execEntry(100, 1, '/usr/bin/bash', ['bash']));
  t.onClone(100, creds(100, 1), 101, 101, 5e9);
  const child = t.info(101, creds(101, 100));
  assert.equal(child.exe, '/usr/bin/bash');
  assert.equal(child.ppid, 100);
  assert.deepEqual(
    child.ancestors.map((a) => a.pid),
    [100],
  );
  t.onExec(execEntry(101, 100, '/usr/bin/cat', ['cat', '/etc/shadow']));
  const cat = t.info(101, creds(101, 100));
  assert.equal(cat.exe, '/usr/bin/cat');
  assert.equal(cat.cmdline, 'cat /etc/shadow');
  assert.equal(cat.ancestors[0].exe, '/usr/bin/bash');
  t.onChdir(101, creds(101, 100), '/tmp');
  assert.equal(t.info(101, creds(101, 100)).cwd, '/tmp');
  // The parent is unaffected.
  assert.equal(t.info(100, creds(100, 1)).exe, '/usr/bin/bash');

  t.onExit(101, 10_000);
  t.reap(10_500);
  assert.equal(t.get(101)?.exe, '/usr/bin/cat', 'still resolvable right after exit');
  t.reap(11_000);
  assert.equal(t.get(101), undefined, 'reaped after the delay');
});

test('a reused pid is not reaped with the process that had it before', () => {
  const t = new ProcessTable({ bootToEpochNs: offset, reapDelayMs: 10 });
  t.onExec(execEntry(200, 1, '/usr/bin/old', ['old']));
  t.onExit(200, 1000);
  t.onExec(execEntry(200, 1, '/usr/bin/new', ['new']));
  t.reap(5000);
  assert.equal(t.get(200)?.exe, '/usr/bin/new');
});

test('snapshots are shared while nothing changed, rebuilt when credentials or the tree change', () => {
  const t = new ProcessTable({ bootToEpochNs: offset });
  t.onExec(execEntry(300, 1, '/usr/bin/a', ['a']));
  const a = t.info(300, creds(300, 1));
  assert.equal(t.info(300, creds(300, 1)), a);
  const asRoot = t.info(300, creds(300, 1, 0));
  assert.equal(asRoot, a);
  const asUser = t.info(300, creds(300, 1, 1000));
  assert.notEqual(asUser, a);
  assert.equal(asUser.uid, 1000);
  assert.equal(a.uid, 0, 'an earlier snapshot is not changed');
  const otherThread = t.info(300, creds(301, 1, 1000));
  assert.equal(otherThread.tid, 301);
  // Reparenting: the header's ppid wins.
  const reparented = t.info(300, creds(300, 77, 1000));
  assert.equal(reparented.ppid, 77);
});

test('bounded: exited entries are evicted first, then the oldest', () => {
  const t = new ProcessTable({ bootToEpochNs: offset, maxEntries: 3 });
  t.onExec(execEntry(1, 0, '/sbin/init', ['init']));
  t.onExec(execEntry(2, 1, '/a', ['a']));
  t.onExec(execEntry(3, 1, '/b', ['b']));
  t.onExit(3, 1);
  t.onExec(execEntry(4, 1, '/c', ['c']));
  assert.equal(t.size, 3);
  assert.equal(t.get(3), undefined, 'the exited one went first');
  t.onExec(execEntry(5, 1, '/d', ['d']));
  assert.equal(t.size, 3);
  assert.equal(t.get(1), undefined, 'then the oldest live one');
});

test('an unknown pid is read from /proc once, then falls back to the header', () => {
  const t = new ProcessTable({ bootToEpochNs: offset });
  const child = spawnSync('true');
  const gone = child.pid!;
  const e = t.info(gone, { ...creds(gone, process.pid), comm: 'true' });
  assert.equal(e.name, 'true');
  assert.equal(e.exe, '');
  assert.equal(e.cmdline, 'true');
  const me = t.info(process.pid, creds(process.pid, process.ppid));
  assert.equal(me.exe, process.execPath);
});

test('cgroup path: v2 path, or the v1 pids path when the task sits in the v2 root', () => {
  assert.equal(cgroupPathFromProc('0::/docker/abc\n'), '/docker/abc');
  assert.equal(cgroupPathFromProc('12:pids:/docker/x\n5:memory:/docker/y\n0::/\n'), '/docker/x');
  assert.equal(cgroupPathFromProc('5:memory:/docker/y\n0::/\n'), '/docker/y');
  assert.equal(cgroupPathFromProc('12:pids:/\n5:memory:/docker/y\n0::/\n'), '/docker/y');
  assert.equal(cgroupPathFromProc('12:pids:/\n5:memory:/\n0::/\n'), '/');
  assert.equal(cgroupPathFromProc('0::/\n'), '/');
});
