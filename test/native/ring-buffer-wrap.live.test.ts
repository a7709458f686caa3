// The reader maps the ring's data once (not twice, as libbpf does), so a record that wraps around
// the end of the ring is copied in two pieces: on a 4 KiB ring (not a multiple of the 24-byte
// records) thousands of records wrap, and each must arrive whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BpfObject, forEachRecord } from '../../src/kernel/bpf-object.js';
import { requireLive } from '../support/live.js';
import { SyscallLoop, ensureTracefs, fixture } from './support.js';

const RECORD_BYTES = 16; // struct record in test/fixtures/bpf/ring.bpf.c
const ZERO = Buffer.alloc(4);

function perCpuSum(object: BpfObject, map: string): bigint {
  const values = object.mapLookupPercpu(map, ZERO);
  assert.ok(values);
  return values.reduce((sum, v) => sum + v.readBigUInt64LE(0), 0n);
}

test('records that wrap around the end of a one-page ring arrive whole and in order', async (t) => {
  if (!requireLive(t)) return;
  ensureTracefs();
  const object = BpfObject.open(fixture('ring'), {
    autoload: { on_burst: false },
    mapMaxEntries: { events: 4096 },
  });
  object.load();
  const loop = await SyscallLoop.start('getppid');
  try {
    const target = Buffer.alloc(4);
    target.writeUInt32LE(loop.pid);
    object.mapUpdate('target', ZERO, target);
    const problems: string[] = [];
    let received = 0;
    let last = -1n;
    object.openRingBuffer('events', (batch) => {
      received += forEachRecord(batch, (offset, length) => {
        if (length !== RECORD_BYTES) problems.push(`length ${length}`);
        if (batch.readUInt32LE(offset + 8) !== loop.pid) problems.push('wrong tgid');
        const seq = batch.readBigUInt64LE(offset);
        if (seq <= last) problems.push(`sequence ${seq} after ${last}`);
        last = seq;
      });
    });
    object.attach('on_getppid');
    const calls = 20000;
    for (let i = 0; i < calls; i += 100) await loop.run(100);
    await object.stopRingBuffer();

    assert.deepEqual(problems.slice(0, 5), []);
    const drops = perCpuSum(object, 'drops');
    assert.equal(BigInt(received) + drops, BigInt(calls), 'every call was delivered or counted');
    assert.ok(received > 4096 / (8 + RECORD_BYTES), 'the ring never wrapped');
  } finally {
    object.close();
    await loop.stop();
  }
});
