import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterMap, BucketCounts, OVERFLOW_LABEL } from '../../src/ops/plain-counters.js';

test('CounterMap stays bounded: label values past the cap are counted as "other"', () => {
  const c = new CounterMap(3);
  for (const k of ['a', 'b', 'a', 'c', 'd', 'e', 'a']) c.add(k);
  assert.equal(c.get('a'), 3);
  assert.equal(c.get('d'), 0);
  assert.equal(c.get(OVERFLOW_LABEL), 2);
  assert.equal([...c.entries()].length, 4);
});

test('BucketCounts puts a value equal to a bound in that bound (le semantics)', () => {
  const h = new BucketCounts([1, 2]);
  h.observe(1);
  h.observe(1.5);
  h.observe(5, 2);
  assert.deepEqual([...h.counts], [1, 1, 2]);
  assert.equal(h.count, 4);
  assert.equal(h.sum, 12.5);
});
