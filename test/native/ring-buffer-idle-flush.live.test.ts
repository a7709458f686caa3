// flushWhenIdle against the real kernel: with it, a record never waits for the batch deadline while
// JavaScript is idle, and records that arrive while JavaScript is busy still travel in one batch.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { BpfObject, forEachRecord } from '../../src/kernel/bpf-object.js';
import { requireLive } from '../support/live.js';
import { SyscallLoop, ensureTracefs, fixture } from './support.js';

const ZERO = Buffer.alloc(4);
// A deadline no test waits for: a batch that arrives was handed over for another reason.
const NEVER_MS = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'vigil-ring-idle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openRing(): BpfObject {
  ensureTracefs();
  const object = BpfObject.open(fixture('ring'), { autoload: { on_burst: false } });
  object.load();
  return object;
}

function target(object: BpfObject, pid: number): void {
  const value = Buffer.alloc(4);
  value.writeUInt32LE(pid);
  object.mapUpdate('target', ZERO, value);
}

test('with flushWhenIdle a lone record reaches an idle JavaScript without waiting for maxWaitMs', async (t) => {
  if (!requireLive(t)) return;
  const object = openRing();
  const loop = await SyscallLoop.start('getppid');
  try {
    target(object, loop.pid);
    let records = 0;
    const arrived = new Promise<void>((resolve) => {
      object.openRingBuffer(
        'events',
        (batch) => {
          records += forEachRecord(batch, () => {});
          resolve();
        },
        { maxWaitMs: NEVER_MS, flushWhenIdle: true },
      );
    });
    object.attach('on_getppid');
    await loop.run(1);
    await arrived;
    assert.equal(records, 1);
  } finally {
    object.close();
    await loop.stop();
  }
});

test('with flushWhenIdle the records that arrive while JavaScript is busy come in one batch', async (t) => {
  if (!requireLive(t)) return;
  const object = openRing();
  const loop = await SyscallLoop.start('getppid');
  const marker = join(dir, 'busy');
  try {
    target(object, loop.pid);
    const sizes: number[] = [];
    const calls = 2000;
    let resolveAll: () => void;
    const all = new Promise<void>((resolve) => (resolveAll = resolve));
    object.openRingBuffer(
      'events',
      (batch) => {
        sizes.push(forEachRecord(batch, () => {}));
        if (sizes.length === 1) {
          // JavaScript is busy while the burst happens: the reader gathers it meanwhile.
          loop.send(calls, marker);
          const cell = new Int32Array(new SharedArrayBuffer(4));
          while (!existsSync(marker)) Atomics.wait(cell, 0, 0, 1);
        }
        if (sizes.reduce((a, b) => a + b, 0) === calls + 1) resolveAll();
      },
      { maxWaitMs: NEVER_MS, flushWhenIdle: true },
    );
    object.attach('on_getppid');
    await loop.run(1);
    await loop.done();
    await all;
    assert.equal(sizes[0], 1);
    // The burst is one batch, or a few when the reader handed one over before the burst ended.
    assert.ok(sizes.length <= 4, `batch sizes ${sizes.join(',')}: the burst was not batched`);
  } finally {
    object.close();
    await loop.stop();
  }
});
