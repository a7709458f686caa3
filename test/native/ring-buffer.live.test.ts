// The ring buffer reader against the real kernel: completeness, framing, batching, draining,
// back-pressure (kernel-side drops instead of unbounded memory) and shutdown while blocked.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { BpfObject, forEachRecord } from '../../src/kernel/bpf-object.js';
import { requireLive } from '../support/live.js';
import { SyscallLoop, ensureTracefs, fixture } from './support.js';

const RECORD_BYTES = 16; // struct record in test/fixtures/bpf/ring.bpf.c
const ZERO = Buffer.alloc(4);
const dir = mkdtempSync(join(tmpdir(), 'vigil-ring-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function perCpuSum(object: BpfObject, map: string): bigint {
  const values = object.mapLookupPercpu(map, ZERO);
  assert.ok(values);
  return values.reduce((sum, v) => sum + v.readBigUInt64LE(0), 0n);
}

/** Blocks the main thread (and so every ring buffer callback) until `path` exists. */
function blockUntilExists(path: string): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(path)) Atomics.wait(cell, 0, 0, 1);
}

function openRing(mapMaxEntries?: Record<string, number>): BpfObject {
  ensureTracefs();
  const object = BpfObject.open(fixture('ring'), { autoload: { on_burst: false }, mapMaxEntries });
  object.load();
  return object;
}

test('every record of 5,000 getppid calls arrives once, in order, framed, in batches', async (t) => {
  if (!requireLive(t)) return;
  const object = openRing();
  const loop = await SyscallLoop.start('getppid');
  try {
    object.mapUpdate('target', ZERO, u32(loop.pid));
    const seqs: bigint[] = [];
    const problems: string[] = [];
    let batches = 0;
    object.openRingBuffer('events', (batch) => {
      batches++;
      forEachRecord(batch, (offset, length) => {
        if (length !== RECORD_BYTES) problems.push(`length ${length}`);
        if (batch.readUInt32LE(offset - 4) !== 0) problems.push('reserved word not 0');
        if (batch.readUInt32LE(offset + 8) !== loop.pid) problems.push('wrong tgid');
        seqs.push(batch.readBigUInt64LE(offset));
      });
    });
    object.attach('on_getppid');
    const calls = 5000;
    await loop.run(calls);
    await object.stopRingBuffer();

    assert.deepEqual(problems, []);
    assert.equal(seqs.length, calls);
    assert.ok(
      seqs.every((seq, i) => seq === BigInt(i)),
      'sequence numbers are 0..n-1 in order',
    );
    assert.equal(perCpuSum(object, 'hits'), BigInt(calls));
    assert.equal(perCpuSum(object, 'drops'), 0n);
    assert.ok(batches < calls / 10, `${batches} batches for ${calls} records: not batched`);
    const stats = object.ringBufferStats();
    assert.equal(stats?.records, calls);
    assert.equal(stats?.batches, batches);
    assert.equal(stats?.bytes, calls * (8 + RECORD_BYTES));
    assert.equal(stats?.running, false);

    // A new reader can follow a drained one.
    let more = 0;
    object.openRingBuffer('events', (batch) => (more += forEachRecord(batch, () => {})));
    await loop.run(100);
    await object.stopRingBuffer();
    assert.equal(more, 100);
  } finally {
    object.close();
    await loop.stop();
  }
});

test('a second reader on the same object is refused while one runs', async (t) => {
  if (!requireLive(t)) return;
  const object = openRing();
  try {
    object.openRingBuffer('events', () => {});
    assert.throws(() => object.openRingBuffer('events', () => {}), { code: 'EBUSY' });
    assert.throws(() => object.openRingBuffer('hits', () => {}), { code: 'EINVAL' });
  } finally {
    object.close();
  }
});

test('when JavaScript falls behind, the reader blocks and the kernel counts every drop', async (t) => {
  if (!requireLive(t)) return;
  // One page of ring (about 170 records) and one queued batch of 1 KiB: little slack.
  const object = openRing({ events: 4096 });
  const loop = await SyscallLoop.start('getppid');
  const marker = join(dir, 'behind');
  try {
    object.mapUpdate('target', ZERO, u32(loop.pid));
    const calls = 20000;
    let received = 0;
    let first = true;
    object.openRingBuffer(
      'events',
      (batch) => {
        received += forEachRecord(batch, () => {});
        if (first) {
          // JavaScript is busy for the whole burst: nothing is handed over meanwhile.
          first = false;
          loop.send(calls, marker);
          blockUntilExists(marker);
        }
      },
      { batchBytes: 1024, maxQueuedBatches: 1, maxWaitMs: 1 },
    );
    object.attach('on_getppid');
    await loop.run(1);
    await loop.done();
    await object.stopRingBuffer();

    const drops = perCpuSum(object, 'drops');
    assert.ok(drops > 0n, 'the ring never filled');
    assert.equal(BigInt(received) + drops, BigInt(calls + 1), 'every call was delivered or counted');
    assert.equal(perCpuSum(object, 'hits'), BigInt(calls + 1));
    assert.ok((object.ringBufferStats()?.stalls ?? 0) > 0, 'the reader never waited for JavaScript');
  } finally {
    object.close();
    await loop.stop();
  }
});

test('close() from a callback while the reader is blocked returns and stops everything', async (t) => {
  if (!requireLive(t)) return;
  const object = openRing({ events: 4096 });
  const loop = await SyscallLoop.start('getppid');
  const marker = join(dir, 'close');
  try {
    object.mapUpdate('target', ZERO, u32(loop.pid));
    let calls = 0;
    object.openRingBuffer(
      'events',
      () => {
        calls++;
        if (calls === 1) {
          loop.send(20000, marker);
          blockUntilExists(marker); // the reader is now blocked on the full queue
          object.close();
        }
      },
      { batchBytes: 1024, maxQueuedBatches: 1, maxWaitMs: 1 },
    );
    object.attach('on_getppid');
    await loop.run(1);
    await loop.done();
    // Batches queued before close are dropped, not delivered.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(object.closed, true);
    assert.equal(calls, 1);
  } finally {
    object.close();
    await loop.stop();
  }
});
