import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertRow, MAX_ALERT_BYTES } from '../../src/hub/alert-row.js';
import { BadParam, bucketOf, cursorOf, encodeCursor, filterOf, limitOf } from '../../src/hub/api-params.js';
import { fleetAlert } from './support/hub-fixture.js';

test('an alert message becomes a row: columns, container and pod, the JSON as published', () => {
  const a = fleetAlert('web-1', 7, { tags: ['a', 'b'] });
  a.event.container = { id: 'c1', pod: { uid: 'u', name: 'api-0', namespace: 'shop' } };
  const json = JSON.stringify(a);
  const r = alertRow(Buffer.from(json));
  assert.equal(r.uuid, a.uuid);
  assert.equal(r.timeMs, Date.parse(a.time));
  assert.equal(r.priority, 4);
  assert.equal(r.hostname, 'web-1');
  assert.equal(r.containerId, 'c1');
  assert.equal(r.pod, 'shop/api-0');
  assert.deepEqual(r.tags, ['a', 'b']);
  assert.equal(r.json, json);
});

test('a message that is not an alert is refused with the reason, never its content', () => {
  const a = fleetAlert('web-1', 1);
  const refused = (payload: string, re: RegExp) => assert.throws(() => alertRow(payload), re);
  refused('secret-token-in-garbage', /^MalformedAlert: not JSON$/);
  refused('[1]', /not a JSON object/);
  refused(JSON.stringify({ ...a, uuid: 'x' }), /"uuid" is not a UUID/);
  refused(JSON.stringify({ ...a, time: 'noon' }), /"time" is not an RFC 3339 time/);
  refused(JSON.stringify({ ...a, priority: 'Loud' }), /"priority" is not one of/);
  refused(JSON.stringify({ ...a, hostname: '' }), /"hostname" is not a non-empty string/);
  refused(JSON.stringify({ ...a, rule: 'a\u0000b' }), /NUL/);
  refused(JSON.stringify({ ...a, output: 'x'.repeat(MAX_ALERT_BYTES) }), /bytes, more than/);
});

test('API parameters: filters, limits and cursors checked, with the name in the error', () => {
  const now = Date.UTC(2026, 11, 7, 12);
  const q = (s: string) => new URLSearchParams(s);
  assert.deepEqual(filterOf(q('host=a&priority=warning&since=1h&q=&tag=T1'), now), {
    host: 'a',
    maxPriority: 4,
    sinceMs: now - 3_600_000,
    tag: 'T1',
  });
  assert.equal(filterOf(q('until=1700000000000')).untilMs, 1_700_000_000_000);
  assert.throws(() => filterOf(q('priority=loud')), BadParam);
  assert.throws(() => filterOf(q('since=whenever')), /since/);
  assert.equal(limitOf(q('')), 100);
  assert.throws(() => limitOf(q('limit=0')), /^BadParam: limit/);
  const c = { timeMs: 1234, uuid: '6c1f5d0e-0000-4000-8000-00000000abcd' };
  assert.deepEqual(cursorOf(q(`after=${encodeCursor(c)}`)), c);
  assert.throws(() => cursorOf(q(`after=${Buffer.from("1.' OR 1=1 --").toString('base64url')}`)), /after/);
  assert.equal(bucketOf(q('bucket=300'), {}), 300_000);
  assert.equal(bucketOf(q(''), { sinceMs: now - 3_600_000, untilMs: now }, now), 60_000);
  assert.throws(() => bucketOf(q('bucket=1'), {}), /bucket/);
});
