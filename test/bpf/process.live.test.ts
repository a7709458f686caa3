// Process records under the conditions that break naive sensors: a storm of short-lived
// processes, a multi-threaded exit, a container-style cgroup, an overlayfs executable.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { HDR_F_EXE_UPPER_LAYER, LAYOUT } from '../../src/kernel/layout.js';
import { requireLive } from '../support/live.js';
import { payloadI32, payloadU32, type RawRecord } from './records.js';
import { startSensors, typeValue } from './support.js';

const run = promisify(execFile);
const EXEC = typeValue('execve');
const EXIT = typeValue('procexit');

test('a storm of 2,000 short processes: every exec arrives, complete, and nothing is dropped', async (t) => {
  if (!requireLive(t)) return;
  const count = 2000;
  const isStormExec = (r: RawRecord) =>
    r.type === EXEC && r.strings[0] === '/usr/bin/true' && r.strings[1] === '/usr/bin/true\0storm\0';
  const { object, records, refused, stat } = await startSensors(t, isStormExec);
  assert.deepEqual(refused, []);
  await run('/bin/bash', [
    '-c',
    'for ((i = 0; i < $1; i++)); do /usr/bin/true storm; done',
    'bash',
    String(count),
  ]);
  await object.stopRingBuffer();

  assert.equal(records.length, count);
  assert.equal(new Set(records.map((r) => r.pid)).size, count);
  assert.equal(stat('dropped'), 0n);
  assert.equal(stat('scratch_fail'), 0n);
});

test('a multi-threaded process exits once, with its exit code', async (t) => {
  if (!requireLive(t)) return;
  const { object, records } = await startSensors(t, (r) => r.type === EXIT);
  // node runs several threads (V8 platform, libuv pool) before any script code.
  const child = run(process.execPath, ['-e', 'setTimeout(() => process.exit(3), 20)']);
  const pid = child.child.pid;
  await child.catch(() => undefined);
  await object.stopRingBuffer();
  const threads = readFileSync('/proc/self/status', 'utf8').match(/^Threads:\s+(\d+)$/m);
  assert.ok(Number(threads?.[1]) > 1, 'node is multi-threaded');
  const exits = records.filter((r) => r.pid === pid);
  assert.equal(exits.length, 1);
  assert.equal(payloadI32(exits[0]!, LAYOUT.vg_exit.fields.exit_code), 3 << 8);
});

/** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts). */
function cgroup2Mount(): string {
  const line = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[2] === 'cgroup2');
  assert.ok(line, 'cgroup2 is mounted');
  return line.split(' ')[1]!;
}

test('a process in a /docker/<64 hex> cgroup has that cgroup path and id', async (t) => {
  if (!requireLive(t)) return;
  const id = 'c0ffee'.padEnd(64, '0123456789abcdef');
  const docker = join(cgroup2Mount(), 'docker');
  const cgroup = join(docker, id);
  mkdirSync(cgroup, { recursive: true });
  t.after(() => {
    rmdirSync(cgroup);
    try {
      rmdirSync(docker);
    } catch {
      // another user of /docker: leave it
    }
  });
  const { object, records } = await startSensors(t, (r) => r.type === EXEC);
  // The shell moves itself into the cgroup, then execs: the exec happens inside it.
  const script = 'echo $$ > "$1/cgroup.procs" && exec /usr/bin/true in-container';
  await run('/bin/sh', ['-c', script, 'sh', cgroup]);
  await object.stopRingBuffer();

  const exec = records.find((r) => r.strings[1] === '/usr/bin/true\0in-container\0');
  assert.ok(exec);
  assert.equal(exec.strings[4], `/docker/${id}`);
  assert.equal(exec.cgroupId, BigInt(statSync(cgroup).ino));
});

test('an executable from an overlayfs upper layer is flagged, one from a lower layer is not', async (t) => {
  if (!requireLive(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ovl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(dir, d));
  copyFileSync('/usr/bin/true', join(dir, 'upper', 'vg-upper-true'));
  copyFileSync('/usr/bin/true', join(dir, 'lower', 'vg-lower-true'));
  const { object, records } = await startSensors(t, (r) => r.type === EXEC);
  // In a private mount namespace: the overlay disappears with the shell.
  const script =
    'mount -t overlay overlay -o "lowerdir=$1/lower,upperdir=$1/upper,workdir=$1/work" "$1/merged" && ' +
    '"$1/merged/vg-upper-true" && "$1/merged/vg-lower-true"';
  await run('unshare', ['-m', '/bin/sh', '-c', script, 'sh', dir]);
  await object.stopRingBuffer();

  const flagsOf = (name: string) => {
    const exec = records.find((r) => r.strings[0] === join(dir, 'merged', name));
    assert.ok(exec, name);
    return exec.flags & HDR_F_EXE_UPPER_LAYER;
  };
  assert.equal(flagsOf('vg-upper-true'), HDR_F_EXE_UPPER_LAYER);
  assert.equal(flagsOf('vg-lower-true'), 0);
});

test('a process in a new pid namespace: header in the host view, vpid/vppid/sid in its own', async (t) => {
  if (!requireLive(t)) return;
  const { object, records } = await startSensors(t, (r) => r.type === EXEC);
  await run('unshare', ['--pid', '--fork', '/usr/bin/true', 'in-pid-ns']);
  await object.stopRingBuffer();

  const exec = records.find((r) => r.strings[1] === '/usr/bin/true\0in-pid-ns\0');
  assert.ok(exec);
  assert.notEqual(exec.pidNs, statSync('/proc/self/ns/pid').ino);
  assert.ok(exec.pid > 1, 'the header pid is the host pid');
  assert.equal(payloadU32(exec, LAYOUT.vg_exec.fields.vpid), 1);
  assert.equal(payloadU32(exec, LAYOUT.vg_exec.fields.vppid), 0, 'the parent is outside the namespace');
  assert.equal(payloadU32(exec, LAYOUT.vg_exec.fields.sid), 0, 'so is the session leader');
});
