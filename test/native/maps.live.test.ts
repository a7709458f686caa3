// Map access against the real kernel: round trips, flags, bounds, per-CPU values.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BpfError, BpfObject, MapUpdate, numPossibleCpus } from '../../src/kernel/bpf-object.js';
import { requireLive } from '../support/live.js';
import { fixture } from './support.js';

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

function loaded(): BpfObject {
  const object = BpfObject.open(fixture('ring'));
  object.load();
  return object;
}

test('hash map: update, lookup, keys, delete round trip with flags', (t) => {
  if (!requireLive(t)) return;
  const object = loaded();
  try {
    assert.equal(object.mapLookup('scratch', u32(7)), null);
    object.mapUpdate('scratch', u32(7), u64(700));
    assert.deepEqual(object.mapLookup('scratch', u32(7)), u64(700));
    assert.throws(() => object.mapUpdate('scratch', u32(7), u64(1), MapUpdate.noExist), {
      name: 'BpfError',
      code: 'EEXIST',
    });
    assert.throws(() => object.mapUpdate('scratch', u32(8), u64(1), MapUpdate.exist), { code: 'ENOENT' });
    object.mapUpdate('scratch', u32(7), u64(701), MapUpdate.exist);
    assert.deepEqual(object.mapLookup('scratch', u32(7)), u64(701));
    assert.deepEqual(object.mapKeys('scratch'), [u32(7)]);
    assert.equal(object.mapDelete('scratch', u32(7)), true);
    assert.equal(object.mapDelete('scratch', u32(7)), false);
    assert.equal(object.mapLookup('scratch', u32(7)), null);
    assert.deepEqual(object.mapKeys('scratch'), []);
  } finally {
    object.close();
  }
});

test('mapKeys is bounded by the limit and by max_entries; a full map refuses more', (t) => {
  if (!requireLive(t)) return;
  const object = loaded();
  try {
    for (let i = 0; i < 64; i++) object.mapUpdate('scratch', u32(i), u64(i));
    assert.throws(() => object.mapUpdate('scratch', u32(64), u64(64)), { code: 'E2BIG' });
    const keys = object.mapKeys('scratch').map((k) => k.readUInt32LE(0));
    assert.deepEqual(
      keys.sort((a, b) => a - b),
      Array.from({ length: 64 }, (_, i) => i),
    );
    assert.equal(object.mapKeys('scratch', 10).length, 10);
    assert.deepEqual(object.mapKeys('target'), [u32(0)]);
  } finally {
    object.close();
  }
});

test('keys and values of the wrong size are BpfError EINVAL', (t) => {
  if (!requireLive(t)) return;
  const object = loaded();
  try {
    assert.throws(() => object.mapLookup('scratch', Buffer.alloc(3)), { code: 'EINVAL' });
    assert.throws(() => object.mapUpdate('scratch', u32(1), Buffer.alloc(4)), { code: 'EINVAL' });
    assert.throws(() => object.mapLookup('nope', u32(1)), { code: 'ENOENT' });
    assert.throws(() => object.mapLookup('scratch', 'key' as unknown as Buffer), TypeError);
    // A per-CPU map holds one value per CPU: a plain lookup is refused rather than truncated.
    assert.throws(
      () => object.mapLookup('hits', u32(0)),
      (e: unknown) => e instanceof BpfError,
    );
  } finally {
    object.close();
  }
});

test('per-CPU values: one 8-byte-aligned value per possible CPU, written and read back', (t) => {
  if (!requireLive(t)) return;
  const object = loaded();
  try {
    const cpus = numPossibleCpus();
    const initial = object.mapLookupPercpu('hits', u32(0));
    assert.ok(initial);
    assert.equal(initial.length, cpus);
    assert.ok(initial.every((v) => v.length === 8));
    object.mapUpdate('hits', u32(0), Buffer.concat(Array.from({ length: cpus }, (_, cpu) => u64(100 + cpu))));
    const values = object.mapLookupPercpu('hits', u32(0));
    assert.deepEqual(
      values?.map((v) => Number(v.readBigUInt64LE(0))),
      Array.from({ length: cpus }, (_, cpu) => 100 + cpu),
    );
    assert.equal(object.mapLookupPercpu('hits', u32(5)), null);
  } finally {
    object.close();
  }
});
