// The batch framing forEachRecord walks: [u32 length][u32 0][bytes][zero pad to 8].
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RECORD_HEADER_BYTES, forEachRecord } from '../../src/kernel/bpf-object.js';

function frame(records: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const record of records) {
    const header = Buffer.alloc(RECORD_HEADER_BYTES);
    header.writeUInt32LE(record.length, 0);
    parts.push(header, record, Buffer.alloc((8 - (record.length % 8)) % 8));
  }
  return Buffer.concat(parts);
}

test('forEachRecord yields each record at its offset, skipping the padding', () => {
  const records = [Buffer.from('a'), Buffer.alloc(8, 2), Buffer.from('thirteen byte'), Buffer.alloc(0)];
  const batch = frame(records);
  const seen: Buffer[] = [];
  const count = forEachRecord(batch, (offset, length) => seen.push(batch.subarray(offset, offset + length)));
  assert.equal(count, 4);
  assert.deepEqual(seen, records);
});

test('forEachRecord respects the view of a Buffer that shares a larger ArrayBuffer', () => {
  const batch = frame([Buffer.from('xyz')]);
  const shared = Buffer.concat([Buffer.alloc(24, 0xee), batch]);
  const view = shared.subarray(24);
  const lengths: number[] = [];
  forEachRecord(view, (offset, length) => lengths.push(offset, length));
  assert.deepEqual(lengths, [8, 3]);
});

test('a record that overruns its batch is a RangeError', () => {
  const batch = frame([Buffer.alloc(16)]);
  assert.throws(() => forEachRecord(batch.subarray(0, 20), () => {}), RangeError);
});
