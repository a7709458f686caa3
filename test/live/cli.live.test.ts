/**
 * `vigil events` where it cannot run: as an unprivileged user it exits 1 with
 * one sentence saying what is missing, not a stack trace. (Needs root to start
 * the command as another user.) And as root, into a reader that goes away
 * (`vigil events | head`): it stops quietly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireLive } from '../support/live.js';
import { ROOT as root, vigilArgv } from '../support/replay.js';

test('vigil events without root: exit 1, one clear sentence', (t) => {
  if (!requireLive(t)) return;
  const r = spawnSync(process.execPath, vigilArgv(['events']), {
    cwd: root,
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
    env: { ...process.env, HOME: '/tmp', TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') },
    timeout: 60_000,
  });
  assert.equal(r.status, 1, `stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^vigil: vigil needs root \(or CAP_BPF\+CAP_PERFMON.*\) to load its probes$/);
});

test('vigil events into a reader that closes its end: exit 0, no stack trace', async (t) => {
  if (!requireLive(t)) return;
  const child = spawn(process.execPath, vigilArgv(['events']), {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Events keep coming while it runs: this test's own reads are some of them.
  const busy = setInterval(() => readFileSync('/etc/hostname'), 20);
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(busy);
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Error| {4}at /, stderr);
});
