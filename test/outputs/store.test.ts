import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/outputs/store/sqlite-schema.js';
import { AlertStore } from '../../src/outputs/store/alert-store.js';
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
  assert.deepEqual(indexed, ['container_id', 'rule', 'time_ms'], 'only what vigil alerts queries');
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(
    () => AlertStore.open(path),
    new RegExp(
      `schema version ${SCHEMA_VERSION + 1} is newer than this vigil understands \\(${SCHEMA_VERSION}\\)`,
    ),
  );
});

test('a version 1 store (seven indexes) migrates: unqueried indexes dropped, alerts and cursors kept', () => {
  const path = join(dir, 'v1.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE alerts (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, time TEXT NOT NULL, time_ms INTEGER NOT NULL,
      rule TEXT NOT NULL, priority INTEGER NOT NULL, hostname TEXT NOT NULL, container_id TEXT NOT NULL,
      pid INTEGER, exe TEXT, json TEXT NOT NULL);
    CREATE INDEX alerts_time ON alerts(time_ms);
    CREATE INDEX alerts_rule ON alerts(rule);
    CREATE INDEX alerts_priority ON alerts(priority);
    CREATE INDEX alerts_hostname ON alerts(hostname);
    CREATE INDEX alerts_container ON alerts(container_id);
    CREATE INDEX alerts_pid ON alerts(pid);
    CREATE INDEX alerts_exe ON alerts(exe);
    CREATE TABLE outbox_cursor (sink TEXT PRIMARY KEY, acked_id INTEGER NOT NULL);
    CREATE TABLE outbox_inflight (sink TEXT PRIMARY KEY, delivery_id TEXT NOT NULL, last_id INTEGER NOT NULL,
      alert_ids TEXT NOT NULL, summaries TEXT NOT NULL);
    INSERT INTO outbox_cursor VALUES ('file', 1);
  `);
  const a = makeAlert(1);
  db.prepare(
    `INSERT INTO alerts (uuid, time, time_ms, rule, priority, hostname, container_id, pid, exe, json)
     VALUES (?, ?, 0, ?, 4, ?, '', 1, '/x', ?)`,
  ).run(a.uuid, a.time, a.rule, a.hostname, JSON.stringify(a));
  db.pragma('user_version = 1');
  db.close();

  const store = AlertStore.open(path);
  assert.equal(store.count(), 1);
  assert.equal(store.getCursor('file'), 1);
  assert.equal(store.query({ rule: a.rule, maxRank: 4 }).length, 1);
  store.close();
  const check = new Database(path, { readonly: true });
  assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  const names = (
    check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as {
      name: string;
    }[]
  ).map((r) => r.name);
  assert.deepEqual(names.sort(), ['alerts_container', 'alerts_rule', 'alerts_time']);
  check.close();
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
