import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/outputs/schema.js';
import { AlertStore } from '../../src/outputs/store.js';
import { makeAlert, seqOf } from './support/alerts.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-store-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('schema: WAL, versioned, indexed columns; a newer schema is refused', () => {
  const path = join(dir, 'schema.db');
  AlertStore.open(path).close();
  const db = new Database(path);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('page_size', { simple: true }), 16384);
  assert.equal(db.pragma('auto_vacuum', { simple: true }), 2, 'incremental');
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  const indexed = (
    db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as {
      sql: string;
    }[]
  )
    .map((r) => /\((\w+)\)/.exec(r.sql)![1])
    .sort();
  assert.deepEqual(indexed, ['container_id', 'exe', 'hostname', 'pid', 'priority', 'rule', 'time_ms']);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => AlertStore.open(path), /schema version 2 is newer than this vigil understands \(1\)/);
});

test('retention by age, then by size, oldest first', () => {
  const store = AlertStore.open(join(dir, 'retention.db'));
  const day = 86_400_000;
  const t0 = Date.UTC(2026, 10, 1);
  const alerts = Array.from({ length: 3000 }, (_, i) =>
    makeAlert(i, { time: new Date(t0 + (i < 1000 ? 0 : 20 * day)).toISOString(), output: 'x'.repeat(500) }),
  );
  store.insert(alerts);
  assert.equal(store.applyRetention(10 * day, 0, t0 + 25 * day), 1000, 'the 1000 older than 10 days');
  const before = store.usedBytes();
  const deleted = store.applyRetention(0, Math.floor(before / 2), t0 + 25 * day);
  assert.ok(deleted > 0 && store.usedBytes() <= before / 2);
  const left = store.query({}).map((r) => seqOf(JSON.parse(r.json)));
  assert.equal(left[left.length - 1], 2999, 'newest kept');
  assert.equal(left[0], 3000 - left.length, 'oldest deleted first');
  store.close();
});

test('outbox: cursor only moves forward; an in-flight batch survives reopening', () => {
  const path = join(dir, 'outbox.db');
  const store = AlertStore.open(path);
  store.setCursor('slack', 10);
  store.setCursor('slack', 5);
  assert.equal(store.getCursor('slack'), 10);
  store.beginDelivery('slack', { deliveryId: 'slack:11-12', lastId: 12, alertIds: [11, 12], summaries: [] });
  store.close();
  const again = AlertStore.open(path);
  assert.deepEqual(again.getInflight('slack'), {
    deliveryId: 'slack:11-12',
    lastId: 12,
    alertIds: [11, 12],
    summaries: [],
  });
  again.ackDelivery('slack', 12);
  assert.equal(again.getInflight('slack'), undefined);
  assert.equal(again.getCursor('slack'), 12);
  again.close();
});
